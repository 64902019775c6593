"""The SurveyMonkey connector against the sandbox, with faults on: right results or clear errors.

Faults: 10% 5xx, 5% 429 and 2% dropped connections on every SurveyMonkey request. The retry
policy is the real one with tiny waits, so a run takes well under a second per test.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from connector.errors import BudgetExhausted, FatalError
from connector.http import Edge
from connector.retry import RetryPolicy
from connector.surveymonkey import IncompleteRecipients, Invitee, Outcome, SurveyMonkeyConnector
from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer
from tests.conftest import SURVEYMONKEY_TOKEN
from tests.sandbox_helpers import control, state

FAULTS = (
    "surveymonkey:500=0.05,surveymonkey:502=0.03,surveymonkey:503=0.02,"
    "surveymonkey:429=0.05,surveymonkey:drop=0.02"
)
FAST = RetryPolicy(max_attempts=12, initial_backoff=0.001, max_backoff=0.01, max_retry_after=0.01)
CSAT = "Customer Satisfaction Survey"


def connect(
    server: SandboxServer, sleep: Any = time.sleep, **options: Any
) -> SurveyMonkeyConnector:
    return SurveyMonkeyConnector(
        SURVEYMONKEY_TOKEN,
        requests.Session(),
        Edge(policy=FAST, sleep=sleep),
        base_url=f"{server.url}/v3",
        **options,
    )


def api_log(server: SandboxServer) -> list[dict[str, Any]]:
    log = control(server, "GET", "requests?service=surveymonkey")
    entries: list[dict[str, Any]] = log["requests"]
    return entries


def customers(server: SandboxServer, count: int) -> tuple[list[str], set[str], set[str]]:
    """`count` customer addresses from Zendesk, led by every one SurveyMonkey holds as opted
    out or bounced; and those two sets, lower-cased."""
    users = state(server, "zendesk")["users"]
    emails = [u["email"] for u in users if u["role"] == "end-user" and u["email"] and u["active"]]
    monkey = state(server, "surveymonkey")
    opted_out = {e.lower() for e in monkey["opted_out"]["seeded"]}
    bounced = {e.lower() for e in monkey["bounced"]["seeded"]}
    suppressed = [e for e in emails if e.lower() in opted_out | bounced]
    others = [e for e in emails if e.lower() not in opted_out | bounced]
    chosen = suppressed + others[: count - len(suppressed)]
    return chosen, opted_out & {e.lower() for e in chosen}, bounced & {e.lower() for e in chosen}


def the_message(server: SandboxServer, message_id: str) -> dict[str, Any]:
    messages = state(server, "surveymonkey")["messages"]
    found: dict[str, Any] = next(m for m in messages if m["id"] == message_id)
    return found


def test_the_full_invitation_flow_survives_faults(sandbox: SandboxServer) -> None:
    emails, opted_out, bounced = customers(sandbox, 300)
    assert opted_out and bounced  # the run really meets both
    invitees = [Invitee(e, "Ada", "Lovelace") for e in emails]
    invitees += [Invitee(emails[5].upper()), Invitee("not-an-address")]
    control(sandbox, "POST", "faults", {"spec": FAULTS})
    sm = connect(sandbox, chunk_size=25)

    survey = sm.find_survey(CSAT)
    collector = sm.email_collector(survey.id)
    message = sm.invite_message(collector.id, create_if_missing=True)
    report = sm.add_recipients(collector.id, message.id, invitees)

    assert len(report.outcomes) == len(invitees)
    assert [o.position for o in report.outcomes] == list(range(len(invitees)))
    assert set(report.emails(Outcome.OPTED_OUT)) == {e for e in emails if e.lower() in opted_out}
    assert set(report.emails(Outcome.BOUNCED)) == {e for e in emails if e.lower() in bounced}
    assert report.emails(Outcome.INVALID) == ["not-an-address"]
    assert report.emails(Outcome.DUPLICATE) == [emails[5].upper()]
    assert report.emails(Outcome.UNACCOUNTED) == [] and report.unexpected == ()
    added = {o.email: o.recipient_id for o in report.outcomes if o.outcome is Outcome.ADDED}
    assert len(added) == 300 - len(opted_out) - len(bounced)
    on_message = the_message(sandbox, message.id)["recipients"]
    assert {r["email"]: r["id"] for r in on_message} == added

    bulk_ok = [
        r for r in api_log(sandbox) if r["path"].endswith("/recipients/bulk") and r["status"] == 200
    ]
    assert len(bulk_ok) == report.requests == 13  # 301 sent, 25 a call; each went through once
    assert sm.stats.retries > 0  # the faults were met, and waited out

    again = sm.invite(collector.id, message.id, invitees)
    assert set(again.recipients.emails(Outcome.EXISTING)) == set(added)
    assert again.recipients.counts().get("added", 0) == 0
    assert again.sent is not None
    after = the_message(sandbox, message.id)
    assert after["status"] in ("processing", "sent") and len(after["recipients"]) == len(added)

    control(sandbox, "DELETE", "faults")
    with pytest.raises(FatalError) as refused:
        sm.send(collector.id, message.id)
    assert refused.value.status == 409
    assert "only a message with status 'not_sent' can be sent" in str(refused.value)


def test_a_collector_and_a_message_are_created_once_under_faults(sandbox: SandboxServer) -> None:
    control(sandbox, "POST", "faults", {"spec": FAULTS + ",surveymonkey:malformed=0.05"})
    sm = connect(sandbox)
    survey = sm.find_survey("Tablet Owners Feedback")
    with pytest.raises(FatalError, match="no open email collector"):
        sm.email_collector(survey.id)
    collector = sm.email_collector(survey.id, create_if_missing=True)
    message = sm.invite_message(collector.id, create_if_missing=True, subject="Your tablet")
    assert sm.email_collector(survey.id, create_if_missing=True) == collector
    again = sm.invite_message(collector.id, create_if_missing=True, subject="Your tablet")
    assert again.id == message.id

    monkey = state(sandbox, "surveymonkey")
    email_collectors = [
        c for c in monkey["collectors"] if c["survey_id"] == survey.id and c["type"] == "email"
    ]
    assert [c["id"] for c in email_collectors] == [collector.id]
    messages = [m for m in monkey["messages"] if m["collector_id"] == collector.id]
    assert [(m["id"], m["status"]) for m in messages] == [(message.id, "not_sent")]


def test_the_named_collector_and_its_invitation_are_made_once_beside_the_accounts_own(
    sandbox: SandboxServer,
) -> None:
    control(sandbox, "POST", "faults", {"spec": FAULTS + ",surveymonkey:malformed=0.05"})
    sm = connect(sandbox)
    survey = sm.find_survey(CSAT)  # seeded with the account's open "Email Invitation 1" and a draft
    collector = sm.email_collector(survey.id, "deskbridge", create_if_missing=True)
    message = sm.invite_message(collector.id, create_if_missing=True, subject="Your visit")
    assert sm.email_collector(survey.id, "DeskBridge", create_if_missing=True) == collector
    again = sm.invite_message(collector.id, create_if_missing=True, subject="Your visit")
    assert again.id == message.id

    monkey = state(sandbox, "surveymonkey")
    email_collectors = [
        (c["name"], c["status"])
        for c in monkey["collectors"]
        if c["survey_id"] == survey.id and c["type"] == "email"
    ]
    assert email_collectors == [("Email Invitation 1", "open"), ("deskbridge", "open")]
    messages = [m["id"] for m in monkey["messages"] if m["collector_id"] == collector.id]
    assert messages == [message.id]


def test_a_create_whose_answer_is_cut_off_is_found_not_repeated(sandbox: SandboxServer) -> None:
    sm = connect(sandbox)
    survey = sm.find_survey("Tablet Owners Feedback")
    # the list goes through ("slow" of 0 s); the create is carried out, its answer cut in half
    queue = {"slow_seconds": 0, "queue": {"surveymonkey": ["slow", "malformed"]}}
    control(sandbox, "POST", "faults", queue)
    collector = sm.email_collector(survey.id, create_if_missing=True)
    creates = [r for r in api_log(sandbox) if r["method"] == "POST"]
    assert [(r["status"], r["fault"]) for r in creates] == [(201, "malformed")]
    ids = [c["id"] for c in state(sandbox, "surveymonkey")["collectors"]]
    assert collector.id in ids


def test_a_queued_429_and_503_are_waited_out_then_the_chunk_goes_through(
    sandbox: SandboxServer,
) -> None:
    waits: list[float] = []
    sm = connect(sandbox, sleep=waits.append)
    collector = sm.email_collector(sm.find_survey(CSAT).id)
    message = sm.invite_message(collector.id)
    control(sandbox, "DELETE", "requests")
    control(sandbox, "POST", "faults", {"queue": {"surveymonkey": ["429", "503"]}})
    report = sm.add_recipients(collector.id, message.id, [Invitee("ada@example.com")])
    assert report.counts() == {"added": 1}
    calls = [(r["method"], r["status"], r["fault"]) for r in api_log(sandbox)]
    assert calls == [("POST", 429, "429"), ("POST", 503, "503"), ("POST", 200, None)]
    assert waits == [0.01, 0.01]  # the sandbox's Retry-After: 1, clamped by the policy
    assert sm.stats.throttled == 1


@pytest.fixture(scope="module")
def small_day() -> Iterator[SandboxServer]:
    """A sandbox whose SurveyMonkey app has 20 requests a day; a day lasts 24 real minutes."""
    config = SandboxConfig(
        users=300, seed=42, rate_limits="realistic", surveymonkey_daily=20, time_scale=60
    )
    with SandboxServer(config) as server:
        yield server


@pytest.fixture
def day(small_day: SandboxServer) -> SandboxServer:
    control(small_day, "POST", "reset")
    return small_day


def test_an_invitation_too_big_for_the_day_is_refused_before_sending(day: SandboxServer) -> None:
    sm = connect(day, chunk_size=10)
    collector = sm.email_collector(sm.find_survey(CSAT).id)
    message = sm.invite_message(collector.id)
    emails, _opted, _bounced = customers(day, 200)
    with pytest.raises(BudgetExhausted) as refused:
        sm.invite(collector.id, message.id, [Invitee(e) for e in emails])
    text = str(refused.value)
    assert "inviting 200 people (20 recipient calls and the send) needs 21 requests" in text
    assert "17 of 20 requests left today; the day resets in" in text
    assert [r["method"] for r in api_log(day)] == ["GET", "GET", "GET"]  # no POST at all
    assert the_message(day, message.id)["recipients"] == []


def test_the_connector_stops_before_the_server_refuses_for_the_day(day: SandboxServer) -> None:
    sm = connect(day)
    with pytest.raises(BudgetExhausted, match="stopped before this request: 0 of 20"):
        for _ in range(25):
            sm.find_survey("Post-Purchase Survey")
    log = api_log(day)
    assert len(log) == 20 and all(r["status"] == 200 for r in log)


def test_a_chunk_that_keeps_failing_stops_clearly_and_adding_again_is_safe(
    sandbox: SandboxServer,
) -> None:
    sm = connect(sandbox, chunk_size=2)
    collector = sm.email_collector(sm.find_survey(CSAT).id)
    message = sm.invite_message(collector.id)
    emails, _opted, _bounced = customers(sandbox, 40)
    people = [Invitee(e) for e in emails[-4:]]  # past the suppressed ones: all addable
    control(sandbox, "POST", "faults", {"queue": {"surveymonkey": ["503"] * 11}})
    first = sm.add_recipients(collector.id, message.id, people[:2])  # the 12th try goes through
    assert first.counts() == {"added": 2}
    control(sandbox, "POST", "faults", {"queue": {"surveymonkey": ["502"] * 12}})
    with pytest.raises(IncompleteRecipients) as stopped:
        sm.add_recipients(collector.id, message.id, people)
    text = str(stopped.value)
    assert "answered 502" in text and "gave up after 12 attempts" in text
    assert "stopped after 0 of 2 recipient chunks" in text
    assert stopped.value.not_processed == tuple(emails[-4:])
    assert len(the_message(sandbox, message.id)["recipients"]) == 2

    again = sm.add_recipients(collector.id, message.id, people)
    assert [o.outcome for o in again.outcomes] == [Outcome.EXISTING] * 2 + [Outcome.ADDED] * 2
    assert len(the_message(sandbox, message.id)["recipients"]) == 4
