"""deskbridge's own email collector, found or made by name, and its invitation with the wording
asked for: against recorded answers in the reference's shapes (collectors.md)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import responses

from connector.surveymonkey import Ambiguous, Closed, NotFound
from tests.surveymonkey_connector_helpers import (
    COLLECTOR,
    MESSAGE,
    FakeTime,
    calls_to,
    connector,
    fixture,
    mocked,  # noqa: F401 (the fixture)
    reply,
    sent,
)

pytestmark = pytest.mark.usefixtures("mocked")

SURVEY = "315916538"
COLLECTORS = f"/surveys/{SURVEY}/collectors"
MESSAGES = f"/collectors/{COLLECTOR}/messages"
SUBJECT = "How did we do?"
BODY = (
    "Tell us: [SurveyLink]\nPrivacy policy: [PrivacyLink]\nUnsubscribe: [OptOutLink]\n"
    "[FooterLink]\n"
)
EMPTY = {"data": [], "per_page": 1000, "page": 1, "total": 0, "links": {}}


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


def collectors(*changes: dict[str, Any]) -> dict[str, Any]:
    """collectors.json (a weblink, a closed and an open email collector), each item updated
    with the change at its position; extra changes are added as new items."""
    page = fixture("collectors.json")
    items: list[dict[str, Any]] = page["data"]
    for position, change in enumerate(changes):
        if position < len(items):
            items[position] = items[position] | change
        else:
            href = f"https://api.surveymonkey.com/v3/collectors/{change['id']}"
            items.append({"href": href} | change)
    return page | {"total": len(items)}


def created(name: str) -> dict[str, Any]:
    """POST's answer for a new email collector: the reference gives back the name it was given."""
    answer: dict[str, Any] = fixture("collector_email_created.json")
    return answer | {"name": name}


# --- the collector, by name ---------------------------------------------------------------------


def test_the_open_email_collector_is_found_by_its_name_in_any_letter_case(
    time: FakeTime,
) -> None:
    reply("GET", COLLECTORS, collectors({}, {}, {"name": "DeskBridge"}))
    found = connector(time).email_collector(SURVEY, "deskBRIDGE", create_if_missing=True)
    assert (found.id, found.name, found.status, found.survey_id) == (
        COLLECTOR,
        "DeskBridge",
        "open",
        SURVEY,
    )
    assert "include=type%2Cstatus" in str(responses.calls[0].request.url)
    assert calls_to("POST", COLLECTORS) == 0


def test_an_other_open_email_collector_is_not_taken_for_the_named_one(time: FakeTime) -> None:
    reply("GET", COLLECTORS, collectors())  # the account's own "Email Invitation 2" is open
    reply("POST", COLLECTORS, created("deskbridge"), 201)
    found = connector(time).email_collector(SURVEY, "deskbridge", create_if_missing=True)
    assert (found.id, found.name) == ("177480999", "deskbridge")


def test_a_missing_named_collector_is_created_with_that_name(time: FakeTime) -> None:
    weblink_of_the_name = collectors({"name": "deskbridge"})  # a weblink cannot send invitations
    reply("GET", COLLECTORS, weblink_of_the_name)
    reply("POST", COLLECTORS, created("deskbridge"), 201)
    found = connector(time).email_collector(SURVEY, " deskbridge ", create_if_missing=True)
    assert (found.id, found.type, found.name, found.survey_id) == (
        "177480999",
        "email",
        "deskbridge",
        SURVEY,
    )
    assert sent("POST", COLLECTORS) == [{"type": "email", "name": "deskbridge"}]


def test_a_missing_named_collector_is_not_created_unless_asked(time: FakeTime) -> None:
    reply("GET", COLLECTORS, collectors())
    with pytest.raises(NotFound, match=r"no email collector named 'deskbridge' .*create_if_miss"):
        connector(time).email_collector(SURVEY, "deskbridge")
    assert calls_to("POST", COLLECTORS) == 0


def test_a_closed_collector_of_the_name_is_an_error_and_no_second_one_is_made(
    time: FakeTime,
) -> None:
    reply("GET", COLLECTORS, collectors({}, {"name": "deskbridge"}))  # 177480110, closed
    with pytest.raises(Closed) as closed:
        connector(time).email_collector(SURVEY, "Deskbridge", create_if_missing=True)
    text = str(closed.value)
    assert "email collector named 'Deskbridge' of survey 315916538 (id 177480110) is closed" in text
    assert "reopen it" in text
    assert calls_to("POST", COLLECTORS) == 0


def test_an_open_collector_of_the_name_is_taken_beside_a_closed_one(time: FakeTime) -> None:
    reply("GET", COLLECTORS, collectors({}, {"name": "deskbridge"}, {"name": "deskbridge"}))
    found = connector(time).email_collector(SURVEY, "deskbridge", create_if_missing=True)
    assert found.id == COLLECTOR
    assert calls_to("POST", COLLECTORS) == 0


def test_two_open_email_collectors_of_the_name_are_ambiguous(time: FakeTime) -> None:
    twin = {"id": "177480112", "name": "DESKBRIDGE", "type": "email", "status": "open"}
    reply("GET", COLLECTORS, collectors({}, {}, {"name": "deskbridge"}, twin))
    with pytest.raises(Ambiguous, match=r"2 open email collectors .* \(ids 177480111, 177480112\)"):
        connector(time).email_collector(SURVEY, "deskbridge", create_if_missing=True)
    assert calls_to("POST", COLLECTORS) == 0


def test_collectors_listed_without_their_type_are_read_one_by_one(time: FakeTime) -> None:
    listed = collectors({}, {}, {"name": "deskbridge"})
    for item in listed["data"]:  # a server that ignores `include`
        whole = fixture("surveymonkey/collector.json") | item | {"survey_id": SURVEY}
        reply("GET", f"/collectors/{item['id']}", whole)
    listed["data"] = [{k: c[k] for k in ("id", "name", "href")} for c in listed["data"]]
    reply("GET", COLLECTORS, listed)
    found = connector(time).email_collector(SURVEY, "deskbridge")
    assert (found.id, found.type, found.status, found.name) == (
        COLLECTOR,
        "email",
        "open",
        "deskbridge",
    )
    assert calls_to("GET", f"/collectors/{COLLECTOR}") == 1


def test_a_named_create_whose_answer_was_lost_is_found_by_its_name(time: FakeTime) -> None:
    reply("GET", COLLECTORS, collectors())
    reply("POST", COLLECTORS, fixture("surveymonkey/error.json"), 500)
    reply("GET", COLLECTORS, collectors({}, {}, {}, {"id": "177480999", "name": "deskbridge"}))
    reply("GET", "/collectors/177480999", created("deskbridge") | {"survey_id": SURVEY})
    found = connector(time).email_collector(SURVEY, "deskbridge", create_if_missing=True)
    assert found.id == "177480999"
    assert calls_to("POST", COLLECTORS) == 1


def test_a_named_create_that_did_not_happen_is_tried_again(time: FakeTime) -> None:
    reply("GET", COLLECTORS, collectors())
    reply("POST", COLLECTORS, body=requests.ConnectionError("reset"))
    reply("GET", COLLECTORS, collectors())  # only the account's own open collector: not ours
    reply("POST", COLLECTORS, created("deskbridge"), 201)
    found = connector(time).email_collector(SURVEY, "deskbridge", create_if_missing=True)
    assert found.id == "177480999"
    assert sent("POST", COLLECTORS) == [{"type": "email", "name": "deskbridge"}] * 2


@pytest.mark.parametrize("bad", ["", "   "], ids=["empty", "blank"])
def test_a_blank_collector_name_is_refused_before_asking(time: FakeTime, bad: str) -> None:
    with pytest.raises(ValueError, match="collector's name must not be empty"):
        connector(time).email_collector(SURVEY, bad, create_if_missing=True)
    assert len(responses.calls) == 0


# --- its invitation, with the wording asked for ---------------------------------------------------


def message(subject: str, body: str) -> dict[str, Any]:
    """GET /collectors/{id}/messages/{id} for the unsent invitation of messages.json."""
    answer: dict[str, Any] = fixture("surveymonkey/message.json")
    return answer | {
        "id": MESSAGE,
        "is_scheduled": False,
        "scheduled_date": None,
        "subject": subject,
        "body": body,
        "href": f"https://api.surveymonkey.com/v3{MESSAGES}/{MESSAGE}",
    }


def test_an_unsent_invitation_with_the_wording_asked_for_is_reused(time: FakeTime) -> None:
    reply("GET", MESSAGES, fixture("messages.json"))
    reply("GET", f"{MESSAGES}/{MESSAGE}", message(SUBJECT, BODY))
    found = connector(time).invite_message(COLLECTOR, True, subject=SUBJECT, body_text=BODY)
    assert (found.id, found.subject, found.body) == (MESSAGE, SUBJECT, BODY)
    assert calls_to("POST", MESSAGES) == 0


@pytest.mark.parametrize(
    ("subject", "body"),
    [("We want your opinion", BODY), (SUBJECT, BODY.replace("Tell us", "Begin"))],
    ids=["other-subject", "other-body"],
)
def test_an_unsent_invitation_that_says_something_else_is_not_reused(
    time: FakeTime, subject: str, body: str
) -> None:
    reply("GET", MESSAGES, fixture("messages.json"))
    reply("GET", f"{MESSAGES}/{MESSAGE}", message(subject, body))
    reply("POST", MESSAGES, fixture("surveymonkey/message_created.json"), 201)
    found = connector(time).invite_message(COLLECTOR, True, subject=SUBJECT, body_text=BODY)
    assert found.id == "31454399"
    assert sent("POST", MESSAGES) == [{"type": "invite", "subject": SUBJECT, "body_text": BODY}]


def test_a_message_create_whose_answer_was_lost_is_found_by_its_wording(time: FakeTime) -> None:
    sent_only = fixture("messages.json")
    sent_only["data"] = sent_only["data"][:1]
    reply("GET", MESSAGES, sent_only)
    reply("POST", MESSAGES, fixture("surveymonkey/error.json"), 500)
    reply("GET", MESSAGES, fixture("messages.json"))  # the create had happened: 27137772
    reply("GET", f"{MESSAGES}/{MESSAGE}", message(SUBJECT, BODY))
    found = connector(time).invite_message(COLLECTOR, True, subject=SUBJECT, body_text=BODY)
    assert found.id == MESSAGE
    assert calls_to("POST", MESSAGES) == 1


def test_no_unsent_invitation_with_the_wording_is_not_found_unless_creating(
    time: FakeTime,
) -> None:
    reply("GET", MESSAGES, fixture("messages.json"))
    reply("GET", f"{MESSAGES}/{MESSAGE}", message("We want your opinion", BODY))
    with pytest.raises(NotFound, match="no invitation with that subject and body"):
        connector(time).invite_message(COLLECTOR, subject=SUBJECT, body_text=BODY)
    assert calls_to("POST", MESSAGES) == 0
