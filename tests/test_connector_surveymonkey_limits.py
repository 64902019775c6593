"""The SurveyMonkey connector under pressure: 429s, 5xx, the day's budget, refusals, secrets."""

from __future__ import annotations

import pytest
import requests
import responses

from connector.errors import BudgetExhausted, FatalError, RetriesExhausted
from connector.surveymonkey import IncompleteRecipients, Invitee
from tests.surveymonkey_connector_helpers import (
    BULK,
    COLLECTOR,
    MESSAGE,
    SEND,
    TOKEN,
    FakeTime,
    calls_to,
    connector,
    fixture,
    mocked,  # noqa: F401 (the fixture)
    quota,
    reply,
)

ADDED = {"succeeded": [{"id": "1", "email": "a@example.com"}]}
pytestmark = pytest.mark.usefixtures("mocked")


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


def people(count: int) -> list[Invitee]:
    return [Invitee(f"person{n}@example.com") for n in range(count)]


# --- 429 and 5xx ------------------------------------------------------------------------------


def test_a_429_waits_for_the_minutes_reset(time: FakeTime) -> None:
    limited = quota(minute_remaining=0, minute_reset=7)
    reply("POST", BULK, fixture("error_429.json"), status=429, headers=limited)
    reply("POST", BULK, ADDED)
    sm = connector(time)
    report = sm.add_recipients(COLLECTOR, MESSAGE, [Invitee("a@example.com")])
    assert report.counts() == {"added": 1}
    assert time.slept == [7.0]  # once, by the retry policy; the throttle's pacing is then past
    assert (sm.stats.requests, sm.stats.retries, sm.stats.throttled) == (2, 1, 1)


def test_a_retry_after_the_server_gives_wins_over_the_reset(time: FakeTime) -> None:
    headers = quota(minute_remaining=50, minute_reset=40) | {"Retry-After": "3"}
    reply("POST", BULK, fixture("error_429.json"), status=429, headers=headers)
    reply("POST", BULK, ADDED)
    connector(time).add_recipients(COLLECTOR, MESSAGE, [Invitee("a@example.com")])
    assert time.slept == [3.0]


def test_a_bodiless_429_without_any_header_backs_off_and_retries(time: FakeTime) -> None:
    reply("POST", BULK, body="", status=429, headers={})
    reply("POST", BULK, ADDED)
    connector(time).add_recipients(COLLECTOR, MESSAGE, [Invitee("a@example.com")])
    assert len(time.slept) == 1 and 0 <= time.slept[0] <= 0.5


def test_a_5xx_then_success(time: FakeTime) -> None:
    reply("GET", f"/collectors/{COLLECTOR}/messages", fixture("surveymonkey/error.json"), 500)
    reply("GET", f"/collectors/{COLLECTOR}/messages", body="", status=503)
    reply("GET", f"/collectors/{COLLECTOR}/messages", fixture("messages.json"))
    sm = connector(time)
    assert sm.invite_message(COLLECTOR).id == MESSAGE
    assert sm.stats.retries == 2 and len(time.slept) == 2


def test_retries_exhausted_say_which_call_and_after_how_much(time: FakeTime) -> None:
    for _ in range(3):
        reply("POST", BULK, fixture("surveymonkey/error.json"), status=500)
    with pytest.raises(IncompleteRecipients) as stopped:
        connector(time, max_attempts=3).add_recipients(COLLECTOR, MESSAGE, people(2))
    cause = stopped.value.cause
    assert isinstance(cause, RetriesExhausted) and cause.attempts == 3
    text = str(stopped.value)
    assert f"surveymonkey POST /v3{BULK} answered 500: 1050 Internal Server Error" in text
    assert "gave up after 3 attempts" in text and "stopped after 0 of 1 recipient chunks" in text
    assert stopped.value.not_processed == ("person0@example.com", "person1@example.com")


def test_a_401_is_fatal_at_once_and_never_shows_the_token(time: FakeTime) -> None:
    reply("GET", "/surveys", fixture("error_401.json"), status=401, headers={})
    sm = connector(time)
    with pytest.raises(FatalError) as refused:
        sm.find_survey("Customer Satisfaction Survey")
    assert refused.value.status == 401 and len(responses.calls) == 1 and time.slept == []
    assert "1011 Authorization Error: The authorization token provided was invalid." in str(
        refused.value
    )
    for text in (str(refused.value), repr(refused.value), repr(sm), str(sm.stats)):
        assert TOKEN not in text and "Bearer" not in text


def test_the_token_is_sent_as_a_bearer_header_and_kept_nowhere_else(time: FakeTime) -> None:
    reply("GET", f"/collectors/{COLLECTOR}/messages", fixture("messages.json"))
    session = requests.Session()
    sm = connector(time, session=session)
    sm.invite_message(COLLECTOR)
    assert responses.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert all(TOKEN not in repr(value) for value in vars(sm).values())


def test_errors_in_a_partial_add_never_show_the_token(time: FakeTime) -> None:
    reply("POST", BULK, fixture("error_401.json"), status=401)
    with pytest.raises(IncompleteRecipients) as stopped:
        connector(time).add_recipients(COLLECTOR, MESSAGE, people(1))
    for text in (str(stopped.value), repr(stopped.value), repr(stopped.value.report)):
        assert TOKEN not in text


@pytest.mark.parametrize("token", ["", "   "], ids=["empty", "blank"])
def test_an_empty_token_is_refused(time: FakeTime, token: str) -> None:
    from connector.surveymonkey import SurveyMonkeyConnector

    with pytest.raises(ValueError, match="token is empty"):
        SurveyMonkeyConnector(token, requests.Session())


# --- the day's budget -------------------------------------------------------------------------


def test_an_invitation_too_big_for_the_day_is_refused_before_any_request(time: FakeTime) -> None:
    sm = connector(time, chunk_size=10, day_known=False)
    reply("GET", "/surveys", {"data": [], "links": {}}, headers=quota(day_remaining=5))
    with pytest.raises(BudgetExhausted) as refused:
        sm.invite(COLLECTOR, MESSAGE, people(50))
    text = str(refused.value)
    assert "inviting 50 people (5 recipient calls and the send) needs 6 requests" in text
    assert "5 of 500 requests left today" in text
    assert "the day resets in 1 h 0 min (at 2026-11-18 12:06 UTC)" in text
    assert "nothing was started" in text and refused.value.retry_after == 3600
    assert [call.request.method for call in responses.calls] == ["GET"]  # the cheap look only


def test_what_fits_in_the_day_goes_ahead(time: FakeTime) -> None:
    sm = connector(time, chunk_size=10, day_known=False)
    reply("GET", "/surveys", {"data": [], "links": {}}, headers=quota(day_remaining=6))
    for _ in range(5):
        reply("POST", BULK, {"succeeded": []}, headers=quota(day_remaining=4))
    reply("POST", SEND, fixture("surveymonkey/message_sent.json"))
    result = sm.invite(COLLECTOR, MESSAGE, people(50))
    assert calls_to("POST", BULK) == 5 and result.recipients.requests == 5


def test_a_known_budget_needs_no_look(time: FakeTime) -> None:
    sm = connector(time)  # knows 400 left
    reply("POST", BULK, ADDED)
    sm.add_recipients(COLLECTOR, MESSAGE, [Invitee("a@example.com")])
    assert len(responses.calls) == 1


def test_the_budget_counts_down_between_answers(time: FakeTime) -> None:
    sm = connector(time, day_known=False)
    sm.budget.observe(quota(day_remaining=2))
    reply("POST", BULK, body=requests.ConnectionError("dropped"))  # no answer, no headers
    reply("POST", BULK, ADDED, headers={})
    sm.add_recipients(COLLECTOR, MESSAGE, [Invitee("a@example.com")])
    assert sm.day_quota().remaining == 0
    with pytest.raises(BudgetExhausted, match="needs 1 requests, but 0 of 500"):
        sm.send(COLLECTOR, MESSAGE)


def test_a_spent_day_stops_a_retry_before_the_request(time: FakeTime) -> None:
    spent = quota(day_remaining=0, day_reset=5400)
    reply("POST", BULK, fixture("error_429.json"), status=429, headers=spent)
    sm = connector(time)
    with pytest.raises(IncompleteRecipients) as stopped:
        sm.add_recipients(COLLECTOR, MESSAGE, [Invitee("a@example.com")])
    cause = stopped.value.cause
    assert isinstance(cause, BudgetExhausted)
    assert "stopped before this request: 0 of 500 requests left today" in str(cause)
    assert cause.retry_after is not None and cause.retry_after > 5000
    assert len(responses.calls) == 1  # the 429 was not retried into a spent day
    assert all(wait < 60 for wait in time.slept)


def test_a_new_day_forgets_the_old_count(time: FakeTime) -> None:
    sm = connector(time, day_known=False)
    sm.budget.observe(quota(day_remaining=0, day_reset=60))
    assert sm.budget.quota().remaining == 0
    time.now += 61
    reply("GET", "/surveys", {"data": [], "links": {}}, headers=quota(day_remaining=500))
    assert sm.day_quota().remaining == 500
    assert len(responses.calls) == 1


def test_without_quota_headers_the_budget_is_looked_up_once_only(time: FakeTime) -> None:
    sm = connector(time, day_known=False)
    reply("GET", "/surveys", {"data": [], "links": {}}, headers={})
    reply("POST", BULK, ADDED, headers={})
    reply("POST", BULK, ADDED, headers={})
    sm.add_recipients(COLLECTOR, MESSAGE, [Invitee("a@example.com")])
    sm.add_recipients(COLLECTOR, MESSAGE, [Invitee("a@example.com")])
    assert [call.request.method for call in responses.calls] == ["GET", "POST", "POST"]


def test_a_low_minute_quota_spreads_the_next_requests(time: FakeTime) -> None:
    reply("GET", "/surveys/1", fixture("survey.json"), headers=quota(minute_remaining=4))
    reply("GET", "/surveys/1", fixture("survey.json"))
    sm = connector(time, per_minute=120)
    sm.find_survey("1")
    sm.find_survey("1")
    assert time.slept == [7.5]  # 30 s left in the minute for 4 requests


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("chunk_size", 0, "chunk_size must be at least 1"),
        ("page_size", 1001, "page_size must be 1 to 1000"),
        ("daily_limit", 0, "daily request limit must be at least 1"),
        ("per_minute", 0, "per_minute must be at least 1"),
        ("base_url", "ftp://x", "base_url must be an http"),
    ],
    ids=["chunk", "page", "daily", "minute", "url"],
)
def test_bad_settings_are_refused_saying_which(
    time: FakeTime, option: str, value: object, message: str
) -> None:
    from connector.surveymonkey import SurveyMonkeyConnector

    with pytest.raises(ValueError, match=message):
        SurveyMonkeyConnector(TOKEN, requests.Session(), **{option: value})  # type: ignore[arg-type]
