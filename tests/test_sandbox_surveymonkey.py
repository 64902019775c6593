"""The sandbox's SurveyMonkey API v3: the invitation flow, its failures, its limits, its shapes."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer
from tests.conftest import SURVEYMONKEY_TOKEN

FIXTURES = Path(__file__).parent / "fixtures" / "surveymonkey"
AUTH = {"Authorization": f"Bearer {SURVEYMONKEY_TOKEN}"}
CSAT = "Customer Satisfaction Survey"


@dataclass(frozen=True)
class Invitation:
    base: str  # .../v3
    survey_id: str
    collector_id: str
    message_id: str

    @property
    def message(self) -> str:
        return f"{self.base}/collectors/{self.collector_id}/messages/{self.message_id}"


def find_invitation(session: requests.Session, url: str) -> Invitation:
    """The seeded unsent invite, found the way a connector finds it: by survey title."""
    base = url + "/v3"
    surveys = session.get(f"{base}/surveys", params={"title": CSAT}, timeout=10).json()["data"]
    [survey] = [s for s in surveys if s["title"] == CSAT]
    collectors = session.get(
        f"{base}/surveys/{survey['id']}/collectors", params={"include": "type"}, timeout=10
    ).json()["data"]
    [email] = [c for c in collectors if c["type"] == "email"]
    messages = session.get(f"{base}/collectors/{email['id']}/messages", timeout=10).json()
    [invite] = [m for m in messages["data"] if m["type"] == "invite"]
    return Invitation(base, survey["id"], email["id"], invite["id"])


def seeded_suppressed(url: str) -> dict[str, list[str]]:
    state = requests.get(f"{url}/_sandbox/state?service=surveymonkey", timeout=30).json()
    sm = state["surveymonkey"]
    return {"opted_out": sm["opted_out"]["seeded"], "bounced": sm["bounced"]["seeded"]}


def add(session: requests.Session, invitation: Invitation, *emails: str) -> dict[str, Any]:
    response = session.post(
        f"{invitation.message}/recipients/bulk",
        json={"contacts": [{"email": e} for e in emails]},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def error_of(response: requests.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"docs", "message", "id", "name", "http_status_code"}
    assert body["error"]["http_status_code"] == response.status_code
    error: dict[str, Any] = body["error"]
    return error


@pytest.fixture
def invitation(sandbox: SandboxServer, surveymonkey_session: requests.Session) -> Invitation:
    return find_invitation(surveymonkey_session, sandbox.url)


# --- the invitation flow ----------------------------------------------------------------------


def test_the_seeded_account_has_the_three_surveys_and_an_unsent_invite(
    surveymonkey_session: requests.Session, invitation: Invitation
) -> None:
    surveys = surveymonkey_session.get(f"{invitation.base}/surveys", timeout=10).json()
    assert [s["title"] for s in surveys["data"]] == [
        CSAT,
        "Tablet Owners Feedback",
        "Post-Purchase Survey",
    ]
    assert all(s["id"].isdigit() for s in surveys["data"])
    message = surveymonkey_session.get(invitation.message, timeout=10).json()
    assert (message["type"], message["status"], message["is_scheduled"]) == (
        "invite",
        "not_sent",
        False,
    )
    survey = surveymonkey_session.get(
        f"{invitation.base}/surveys/{invitation.survey_id}", timeout=10
    ).json()
    assert survey["date_created"] < survey["date_modified"] < message["date_created"]


def test_bulk_recipients_sort_every_address_into_its_outcome(
    sandbox: SandboxServer, surveymonkey_session: requests.Session, invitation: Invitation
) -> None:
    suppressed = seeded_suppressed(sandbox.url)
    opted_out, bounced = suppressed["opted_out"][0], suppressed["bounced"][0]
    answer = add(
        surveymonkey_session,
        invitation,
        "ada@example.com",
        "not-an-address",
        "ADA@example.com",
        opted_out,
        bounced,
        "grace@example.org",
    )
    assert [r["email"] for r in answer["succeeded"]] == ["ada@example.com", "grace@example.org"]
    for recipient in answer["succeeded"]:
        assert recipient["href"] == f"{invitation.base}/collectors/{invitation.collector_id}" + (
            f"/recipients/{recipient['id']}"
        )
    assert answer["invalids"] == ["not-an-address"]
    assert answer["duplicate"] == ["ADA@example.com"]
    assert answer["opted_out"] == [opted_out]
    assert answer["bounced"] == [bounced]
    assert answer["existing"] == []


def test_an_address_already_on_the_message_comes_back_existing_whatever_its_case(
    surveymonkey_session: requests.Session, invitation: Invitation
) -> None:
    first = add(surveymonkey_session, invitation, "Ada.Lovelace@Example.com")
    second = add(surveymonkey_session, invitation, "ada.lovelace@example.com", "new@example.com")
    assert second["existing"] == ["ada.lovelace@example.com"]
    assert [r["email"] for r in second["succeeded"]] == ["new@example.com"]
    recipient = surveymonkey_session.get(first["succeeded"][0]["href"], timeout=10).json()
    assert recipient["email"] == "Ada.Lovelace@Example.com"


def test_a_seeded_customer_who_opted_out_is_recognised_whatever_the_case(
    sandbox: SandboxServer, surveymonkey_session: requests.Session, invitation: Invitation
) -> None:
    opted_out = seeded_suppressed(sandbox.url)["opted_out"][0]
    answer = add(surveymonkey_session, invitation, opted_out.upper())
    assert answer["opted_out"] == [opted_out.upper()] and answer["succeeded"] == []


def test_recipients_are_listed_page_by_page_with_the_details_asked_for(
    surveymonkey_session: requests.Session, invitation: Invitation
) -> None:
    emails = [f"reader{n}@example.com" for n in range(5)]
    added = add(surveymonkey_session, invitation, *emails)
    listed: list[dict[str, Any]] = []
    url: str | None = f"{invitation.message}/recipients?per_page=2&include=mail_status"
    while url:
        page = surveymonkey_session.get(url, timeout=10).json()
        assert page["total"] == 5 and page["per_page"] == 2
        listed += page["data"]
        url = page["links"].get("next")
    assert [r["email"] for r in listed] == emails
    assert [r["id"] for r in listed] == [r["id"] for r in added["succeeded"]]
    assert {r["mail_status"] for r in listed} == {"not_sent"}
    assert set(listed[0]) == {"id", "email", "phone_number", "href", "mail_status"}


def test_sending_puts_the_message_in_processing_and_a_second_send_fails(
    surveymonkey_session: requests.Session, invitation: Invitation
) -> None:
    added = add(surveymonkey_session, invitation, "one@example.com", "two@example.com")
    sent = surveymonkey_session.post(f"{invitation.message}/send", json={}, timeout=10)
    assert sent.status_code == 200
    assert sent.json()["recipients"] == [r["id"] for r in added["succeeded"]]
    assert sent.json()["is_scheduled"] is False
    assert surveymonkey_session.get(invitation.message, timeout=10).json()["status"] == (
        "processing"
    )
    again = surveymonkey_session.post(f"{invitation.message}/send", json={}, timeout=10)
    assert again.status_code == 409
    assert error_of(again)["id"] == "1025" and "'processing'" in error_of(again)["message"]
    late = surveymonkey_session.post(
        f"{invitation.message}/recipients/bulk",
        json={"contacts": [{"email": "late@example.com"}]},
        timeout=10,
    )
    assert late.status_code == 409 and error_of(late)["id"] == "1025"


def test_a_sent_invite_ends_up_sent_and_reminders_follow_those_it_reached() -> None:
    config = SandboxConfig(users=50, seed=3, rate_limits="off", time_scale=30)
    with SandboxServer(config) as server, requests.Session() as session:
        session.headers.update(AUTH)
        invitation = find_invitation(session, server.url)
        invited = add(session, invitation, "one@example.com", "two@example.com")["succeeded"]
        assert session.post(f"{invitation.message}/send", timeout=10).status_code == 200
        deadline = time.monotonic() + 5
        while session.get(invitation.message, timeout=10).json()["status"] != "sent":
            assert time.monotonic() < deadline, "the message never left 'processing'"
            time.sleep(0.02)
        listed = session.get(f"{invitation.message}/recipients?include=mail_status", timeout=10)
        assert [r["mail_status"] for r in listed.json()["data"]] == ["sent", "sent"]

        messages = f"{invitation.base}/collectors/{invitation.collector_id}/messages"
        reminder = session.post(messages, json={"type": "reminder"}, timeout=10).json()
        assert reminder["recipient_status"] == "has_not_responded"
        refused = session.post(
            f"{messages}/{reminder['id']}/recipients/bulk",
            json={"contacts": [{"email": "three@example.com"}]},
            timeout=10,
        )
        assert refused.status_code == 409 and "invite messages only" in refused.text
        sent = session.post(f"{messages}/{reminder['id']}/send", timeout=10).json()
        assert sent["recipients"] == [r["id"] for r in invited]

        thanks = session.post(messages, json={"type": "thank_you"}, timeout=10).json()
        nobody = session.post(f"{messages}/{thanks['id']}/send", timeout=10)
        assert nobody.status_code == 409 and "no recipients" in nobody.text


def test_a_scheduled_message_stays_not_sent_until_its_date(
    surveymonkey_session: requests.Session, invitation: Invitation
) -> None:
    add(surveymonkey_session, invitation, "later@example.com")
    when = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() + 86_400))
    sent = surveymonkey_session.post(
        f"{invitation.message}/send", json={"scheduled_date": when}, timeout=10
    ).json()
    assert (sent["is_scheduled"], sent["scheduled_date"]) == (True, when)
    message = surveymonkey_session.get(invitation.message, timeout=10).json()
    assert (message["status"], message["is_scheduled"], message["scheduled_date"]) == (
        "not_sent",
        True,
        when,
    )


def test_a_message_without_recipients_cannot_be_sent(
    surveymonkey_session: requests.Session, invitation: Invitation
) -> None:
    response = surveymonkey_session.post(f"{invitation.message}/send", timeout=10)
    assert response.status_code == 409
    assert "no recipients" in error_of(response)["message"]


def test_a_weblink_collector_cannot_have_messages(
    surveymonkey_session: requests.Session, invitation: Invitation
) -> None:
    collectors = surveymonkey_session.get(
        f"{invitation.base}/surveys/{invitation.survey_id}/collectors?include=type", timeout=10
    ).json()["data"]
    [weblink] = [c for c in collectors if c["type"] == "weblink"]
    response = surveymonkey_session.post(
        f"{invitation.base}/collectors/{weblink['id']}/messages",
        json={"type": "invite"},
        timeout=10,
    )
    assert response.status_code == 409
    error = error_of(response)
    assert error["id"] == "1025" and "weblink collector" in error["message"]


def test_a_new_email_collector_and_invite_can_be_made_for_a_survey(
    surveymonkey_session: requests.Session, invitation: Invitation
) -> None:
    surveys = surveymonkey_session.get(
        f"{invitation.base}/surveys?title=post-purchase", timeout=10
    ).json()["data"]
    [survey] = surveys
    created = surveymonkey_session.post(
        f"{invitation.base}/surveys/{survey['id']}/collectors",
        json={"type": "email", "name": "deskbridge"},
        timeout=10,
    )
    assert created.status_code == 201
    collector = created.json()
    assert (collector["type"], collector["name"], collector["status"]) == (
        "email",
        "deskbridge",
        "open",
    )
    fetched = surveymonkey_session.get(collector["href"], timeout=10).json()
    assert fetched["survey_id"] == survey["id"]
    message = surveymonkey_session.post(
        f"{collector['href']}/messages", json={"type": "invite", "subject": "Tell us"}, timeout=10
    )
    assert message.status_code == 201
    assert (message.json()["subject"], message.json()["status"]) == ("Tell us", "not_sent")


# --- pagination -------------------------------------------------------------------------------


def test_survey_pages_link_to_each_other_with_absolute_urls_on_the_host_called(
    sandbox: SandboxServer, surveymonkey_session: requests.Session
) -> None:
    base = f"http://localhost:{sandbox.port}/v3/surveys"
    first = surveymonkey_session.get(f"{base}?per_page=1", timeout=10).json()
    assert (first["page"], first["per_page"], first["total"]) == (1, 1, 3)
    assert first["links"] == {
        "self": f"{base}?page=1&per_page=1",
        "next": f"{base}?page=2&per_page=1",
        "last": f"{base}?page=3&per_page=1",
    }
    middle = surveymonkey_session.get(first["links"]["next"], timeout=10).json()
    assert set(middle["links"]) == {"self", "prev", "first", "next", "last"}
    last = surveymonkey_session.get(first["links"]["last"], timeout=10).json()
    assert "next" not in last["links"]
    titles = [page["data"][0]["title"] for page in (first, middle, last)]
    assert len(set(titles)) == 3


def test_a_page_past_the_end_is_empty_but_links_back(
    surveymonkey_session: requests.Session, invitation: Invitation
) -> None:
    page = surveymonkey_session.get(f"{invitation.base}/surveys?page=9", timeout=10).json()
    assert page["data"] == [] and page["total"] == 3
    assert page["links"]["prev"].endswith("page=1&per_page=50")


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("/surveys/999", "Survey '999'"),
        ("/surveys/999/collectors", "Survey '999'"),
        ("/collectors/999", "Collector '999'"),
        ("/collectors/999/messages", "Collector '999'"),
        ("/collectors/{collector}/messages/999", "Message '999'"),
        ("/collectors/{collector}/recipients/999", "Recipient '999'"),
        ("/no/such/endpoint", "/v3/no/such/endpoint"),
    ],
    ids=["survey", "survey-collectors", "collector", "messages", "message", "recipient", "path"],
)
def test_unknown_ids_get_404_with_error_1020_naming_what_is_missing(
    surveymonkey_session: requests.Session, invitation: Invitation, path: str, names: str
) -> None:
    url = invitation.base + path.format(collector=invitation.collector_id)
    response = surveymonkey_session.get(url, timeout=10)
    assert response.status_code == 404
    error = error_of(response)
    assert (error["id"], error["name"]) == ("1020", "Resource Not Found")
    assert names in error["message"]


def test_a_message_is_only_found_under_its_own_collector(
    surveymonkey_session: requests.Session, invitation: Invitation
) -> None:
    collectors = surveymonkey_session.get(
        f"{invitation.base}/surveys/{invitation.survey_id}/collectors", timeout=10
    ).json()["data"]
    other = next(c["id"] for c in collectors if c["id"] != invitation.collector_id)
    url = f"{invitation.base}/collectors/{other}/messages/{invitation.message_id}"
    assert surveymonkey_session.get(url, timeout=10).status_code == 404


@pytest.mark.parametrize(
    ("where", "body", "code", "says"),
    [
        ("collectors", {}, "1002", "'type' is required"),
        ("collectors", {"type": "paper"}, "1002", "'type' must be one of 'email', 'weblink'"),
        ("collectors", {"type": "email", "colour": "red"}, "1002", "Unknown field 'colour'"),
        (
            "collectors",
            {"type": "email", "allow_multiple_responses": True},
            "1002",
            "'allow_multiple_responses' is not available for email collectors",
        ),
        ("collectors", {"type": "weblink", "close_date": "soon"}, "1002", "'close_date'"),
        ("messages", {"subject": "Hi"}, "1002", "'type' is required"),
        ("messages", {"type": "postcard"}, "1002", "'type' must be one of"),
        (
            "messages",
            {"type": "invite", "body_text": "Hi [SurveyLink]"},
            "1002",
            "'body_text' must include",
        ),
        (
            "messages",
            {"type": "reminder", "recipient_status": "completed"},
            "1002",
            "'recipient_status' must be one of 'has_not_responded', 'partially_responded'",
        ),
        ("bulk", {}, "1002", "at least one of 'contacts'"),
        (
            "bulk",
            {"contacts": [{"email": "a@example.com"}, {"first_name": "B"}]},
            "1002",
            "'contacts[1].email' is required",
        ),
        ("bulk", {"contacts": [{"email": 7}]}, "1002", "'contacts[0].email' must be a string"),
        (
            "bulk",
            {"contacts": [{"email": "a@example.com", "custom_fields": {"9": "x"}}]},
            "1002",
            "'contacts[0].custom_fields' keys are '1' to '6'",
        ),
        (
            "bulk",
            {"contacts": [{"email": "a@example.com", "extra_fields": {"k": 1}}]},
            "1002",
            "'contacts[0].extra_fields.k' must be a string",
        ),
        ("send", {"scheduled_date": "next tuesday"}, "1002", "'scheduled_date' must be a date"),
        ("send", {"scheduled_date": "2015-10-06T12:56:55+00:00"}, "1002", "in the future"),
        ("send", [], "1002", "must be a JSON object"),
        ("bulk", "{not json", "1001", "not a proper JSON string"),
    ],
    ids=[
        "collector-without-type",
        "collector-of-unknown-type",
        "collector-with-unknown-field",
        "email-collector-with-multiple-responses",
        "collector-with-bad-close-date",
        "message-without-type",
        "message-of-unknown-type",
        "message-body-without-required-links",
        "reminder-with-thank-you-filter",
        "bulk-with-nobody",
        "bulk-contact-without-email",
        "bulk-email-not-a-string",
        "bulk-custom-field-out-of-range",
        "bulk-extra-field-not-a-string",
        "send-with-bad-date",
        "send-in-the-past",
        "send-body-not-an-object",
        "body-not-json",
    ],
)
def test_bad_bodies_get_400_naming_the_field(
    surveymonkey_session: requests.Session,
    invitation: Invitation,
    where: str,
    body: Any,
    code: str,
    says: str,
) -> None:
    if where == "send":
        add(surveymonkey_session, invitation, "someone@example.com")
    url = {
        "collectors": f"{invitation.base}/surveys/{invitation.survey_id}/collectors",
        "messages": f"{invitation.base}/collectors/{invitation.collector_id}/messages",
        "bulk": f"{invitation.message}/recipients/bulk",
        "send": f"{invitation.message}/send",
    }[where]
    data = body if isinstance(body, str) else json.dumps(body)
    response = surveymonkey_session.post(
        url, data=data, headers={"Content-Type": "application/json"}, timeout=10
    )
    assert response.status_code == 400
    error = error_of(response)
    assert (error["id"], error["name"]) == (code, "Bad Request")
    assert says in error["message"]


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("per_page=1001", "'per_page' must be an integer from 1 to 1000"),
        ("page=0", "'page' must be an integer from 1"),
        ("sort_by=colour", "'sort_by' must be one of"),
    ],
    ids=["page-too-large", "page-zero", "unknown-sort"],
)
def test_bad_query_parameters_get_400_with_error_1003(
    surveymonkey_session: requests.Session, invitation: Invitation, query: str, says: str
) -> None:
    response = surveymonkey_session.get(f"{invitation.base}/surveys?{query}", timeout=10)
    assert response.status_code == 400
    error = error_of(response)
    assert error["id"] == "1003" and says in error["message"]


@pytest.mark.parametrize(
    ("headers", "code"),
    [({}, "1010"), ({"Authorization": "Bearer not-the-token"}, "1011")],
    ids=["no-token", "wrong-token"],
)
def test_requests_without_the_token_get_401(
    sandbox: SandboxServer, headers: dict[str, str], code: str
) -> None:
    response = requests.get(f"{sandbox.url}/v3/surveys", headers=headers, timeout=10)
    assert response.status_code == 401
    assert error_of(response)["id"] == code


# --- limits -----------------------------------------------------------------------------------

MINUTE_HEADERS = [f"X-Ratelimit-App-Global-Minute-{f}" for f in ("Limit", "Remaining", "Reset")]
DAY_HEADERS = [f"X-Ratelimit-App-Global-Day-{f}" for f in ("Limit", "Remaining", "Reset")]


def _wait_for_a_fresh_window(server: SandboxServer, window: float) -> None:
    clock = server.app.world.clock
    left = window - clock.virtual_elapsed() % window
    time.sleep(clock.real_seconds(left) + 0.01)


def test_the_sixth_request_in_a_minute_gets_429_until_the_minute_is_over() -> None:
    # A virtual minute of 3 real seconds: six requests fit in it even on a busy machine.
    config = SandboxConfig(users=50, surveymonkey_rpm=5, surveymonkey_daily=500, time_scale=20)
    with SandboxServer(config) as server, requests.Session() as session:
        session.headers.update(AUTH)
        _wait_for_a_fresh_window(server, 60)
        answers = [session.get(f"{server.url}/v3/surveys", timeout=10) for _ in range(6)]
        assert [a.status_code for a in answers] == [200] * 5 + [429]
        assert [a.headers[MINUTE_HEADERS[1]] for a in answers] == ["4", "3", "2", "1", "0", "0"]
        assert {a.headers[MINUTE_HEADERS[0]] for a in answers} == {"5"}
        assert [a.headers[DAY_HEADERS[1]] for a in answers] == [
            "499",
            "498",
            "497",
            "496",
            "495",
            "495",
        ]
        refused = answers[-1]
        assert error_of(refused)["id"] == "1040"
        assert "5 requests per minute" in error_of(refused)["message"]
        time.sleep(int(refused.headers[MINUTE_HEADERS[2]]))
        again = session.get(f"{server.url}/v3/surveys", timeout=10)
        assert again.status_code == 200 and again.headers[MINUTE_HEADERS[1]] == "4"


def test_the_daily_limit_refuses_requests_once_used_up() -> None:
    config = SandboxConfig(users=50, surveymonkey_rpm=120, surveymonkey_daily=3)
    with SandboxServer(config) as server, requests.Session() as session:
        session.headers.update(AUTH)
        answers = [session.get(f"{server.url}/v3/surveys", timeout=10) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        refused = answers[-1]
        assert refused.headers[DAY_HEADERS[1]] == "0"
        assert int(refused.headers[DAY_HEADERS[2]]) > 3600
        assert "3 requests per day" in error_of(refused)["message"]


def test_without_rate_limits_no_rate_limit_headers_are_sent(
    surveymonkey_session: requests.Session, invitation: Invitation
) -> None:
    response = surveymonkey_session.get(f"{invitation.base}/surveys", timeout=10)
    assert not [h for h in response.headers if h.lower().startswith("x-ratelimit")]


@pytest.mark.parametrize(
    ("fault", "code"),
    [("429", "1040"), ("500", "1050"), ("503", "1051")],
    ids=["throttled", "server-error", "unavailable"],
)
def test_injected_faults_answer_in_surveymonkeys_error_shape(
    sandbox: SandboxServer, surveymonkey_session: requests.Session, fault: str, code: str
) -> None:
    requests.post(
        f"{sandbox.url}/_sandbox/faults", json={"queue": {"surveymonkey": [fault]}}, timeout=10
    ).raise_for_status()
    response = surveymonkey_session.get(f"{sandbox.url}/v3/surveys", timeout=10)
    assert response.status_code == int(fault)
    assert error_of(response)["id"] == code


# --- seeded data, changes, state ----------------------------------------------------------------


def _snapshot(url: str) -> dict[str, Any]:
    with requests.Session() as session:
        session.headers.update(AUTH)
        invitation = find_invitation(session, url)
        details = session.get(f"{url}/v3/surveys/{invitation.survey_id}/details", timeout=10)
        return {
            "invitation": invitation,
            "details": details.json(),
            "suppressed": seeded_suppressed(url),
        }


def test_the_same_seed_gives_the_same_account_and_another_seed_another() -> None:
    def config(seed: int) -> SandboxConfig:
        return SandboxConfig(users=400, seed=seed, anchor=1_700_000_000, rate_limits="off")

    with SandboxServer(config(5)) as one, SandboxServer(config(5)) as two:
        first, second = _snapshot(one.url), _snapshot(two.url)
        assert first["details"] == {
            **second["details"],
            "href": second["details"]["href"].replace(two.url, one.url),
            "pages": [
                {
                    **p,
                    "href": p["href"].replace(two.url, one.url),
                    "questions": [
                        {**q, "href": q["href"].replace(two.url, one.url)} for q in p["questions"]
                    ],
                }
                for p in second["details"]["pages"]
            ],
        }
        assert first["suppressed"] == second["suppressed"]
        assert first["details"]["date_modified"] < "2023-11-14T22:13:20+00:00"  # the anchor
        requests.post(f"{two.url}/_sandbox/seed", json={"seed": 6}, timeout=30).raise_for_status()
        reseeded = _snapshot(two.url)
        assert reseeded["invitation"].survey_id != first["invitation"].survey_id
        assert reseeded["suppressed"] != first["suppressed"]
        with requests.Session() as session:
            session.headers.update(AUTH)
            opted_out = reseeded["suppressed"]["opted_out"][0]
            answer = add(session, reseeded["invitation"], opted_out)
            assert answer["opted_out"] == [opted_out]


def test_an_invited_recipient_who_opts_out_is_reported_on_the_next_invitation(
    sandbox: SandboxServer, surveymonkey_session: requests.Session, invitation: Invitation
) -> None:
    add(surveymonkey_session, invitation, "fickle@example.com")
    changes = requests.post(
        f"{sandbox.url}/_sandbox/mutate",
        json={"kinds": ["surveymonkey_opt_out"]},
        timeout=10,
    ).json()["changes"]
    assert changes == [
        {
            "service": "surveymonkey",
            "kind": "surveymonkey_opt_out",
            "email": "fickle@example.com",
            "contact_id": changes[0]["contact_id"],
            "who": "recipient",
        }
    ]
    reminder = surveymonkey_session.post(
        f"{invitation.base}/collectors/{invitation.collector_id}/messages",
        json={"type": "invite"},
        timeout=10,
    ).json()
    second = Invitation(
        invitation.base, invitation.survey_id, invitation.collector_id, reminder["id"]
    )
    assert add(surveymonkey_session, second, "Fickle@example.com")["opted_out"] == [
        "Fickle@example.com"
    ]
    state = requests.get(f"{sandbox.url}/_sandbox/state?service=surveymonkey", timeout=10).json()
    assert state["surveymonkey"]["opted_out"]["added"] == ["fickle@example.com"]


def test_with_nobody_invited_a_customer_opts_out(sandbox: SandboxServer) -> None:
    changes = requests.post(
        f"{sandbox.url}/_sandbox/mutate",
        json={"kinds": ["surveymonkey_opt_out"], "count": 3},
        timeout=10,
    ).json()["changes"]
    assert [c["who"] for c in changes] == ["customer"] * 3
    assert len({c["email"] for c in changes}) == 3


def test_state_shows_messages_with_their_recipients_and_reset_forgets_them(
    sandbox: SandboxServer, surveymonkey_session: requests.Session, invitation: Invitation
) -> None:
    add(surveymonkey_session, invitation, "kept@example.com")
    surveymonkey_session.post(f"{invitation.message}/send", timeout=10)

    def message_state() -> dict[str, Any]:
        state = requests.get(
            f"{sandbox.url}/_sandbox/state?service=surveymonkey", timeout=30
        ).json()["surveymonkey"]
        [message] = [m for m in state["messages"] if m["id"] == invitation.message_id]
        return message

    message = message_state()
    assert message["status"] == "processing"
    assert [r["email"] for r in message["recipients"]] == ["kept@example.com"]
    requests.post(f"{sandbox.url}/_sandbox/reset", timeout=30).raise_for_status()
    assert message_state()["status"] == "not_sent" and message_state()["recipients"] == []


def test_survey_details_hold_the_pages_and_questions(
    surveymonkey_session: requests.Session, invitation: Invitation
) -> None:
    details = surveymonkey_session.get(
        f"{invitation.base}/surveys/{invitation.survey_id}/details", timeout=10
    ).json()
    [page] = details["pages"]
    assert details["question_count"] == page["question_count"] == len(page["questions"]) == 2
    headings = [q["headings"][0]["heading"] for q in page["questions"]]
    assert headings[0] == "How satisfied were you with our support?"
    assert len(page["questions"][0]["answers"]["choices"]) == 5


# --- shapes: exactly the keys of the reference's example responses -------------------------------

FREE_FORM = {"custom_fields", "extra_fields", "custom_variables"}


def key_shape(value: Any) -> Any:
    """The keys of a JSON value, nested; the values themselves and free-form maps don't count."""
    if isinstance(value, dict):
        return {k: "object" if k in FREE_FORM else key_shape(v) for k, v in value.items()}
    if isinstance(value, list):
        dicts = [item for item in value if isinstance(item, dict)]
        return [key_shape(dicts[0])] if dicts else "list"
    return "value"


def _doc_responses(session: requests.Session, invitation: Invitation) -> dict[str, Any]:
    """The sandbox's answer for each endpoint that has an example in the reference."""
    added = add(session, invitation, "shape@example.com")
    recipient_href = added["succeeded"][0]["href"]
    collectors = f"{invitation.base}/surveys/{invitation.survey_id}/collectors"
    collector = session.post(collectors, json={"type": "weblink"}, timeout=10).json()
    email_collector = f"{invitation.base}/collectors/{invitation.collector_id}"
    created_message = session.post(
        f"{email_collector}/messages", json={"type": "invite"}, timeout=10
    ).json()
    answers = {
        "recipients_bulk.json": added,
        "collector_created.json": collector,
        "collector.json": session.get(collector["href"], timeout=10).json(),
        "message_created.json": created_message,
        "message.json": session.get(invitation.message, timeout=10).json(),
        "recipients_page.json": session.get(f"{email_collector}/recipients", timeout=10).json(),
        "recipient.json": session.get(recipient_href, timeout=10).json(),
        "message_stats.json": session.get(f"{invitation.message}/stats", timeout=10).json(),
        "error.json": session.get(f"{invitation.base}/surveys/1", timeout=10).json(),
    }
    answers["message_sent.json"] = session.post(f"{invitation.message}/send", timeout=10).json()
    return answers


DOC_EXAMPLES = sorted(p.name for p in FIXTURES.glob("*.json"))


def test_every_answer_carries_exactly_the_keys_of_the_references_example(
    surveymonkey_session: requests.Session, invitation: Invitation
) -> None:
    answers = _doc_responses(surveymonkey_session, invitation)
    assert sorted(answers) == DOC_EXAMPLES
    for name in DOC_EXAMPLES:
        example = json.loads((FIXTURES / name).read_text())
        assert key_shape(answers[name]) == key_shape(example), name
