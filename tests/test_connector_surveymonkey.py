"""The SurveyMonkey connector against recorded answers: finding, creating, inviting, sending."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import requests
import responses

from connector.errors import FatalError
from connector.surveymonkey import (
    Ambiguous,
    IncompleteRecipients,
    Invitee,
    NotFound,
    Outcome,
    UnexpectedAnswer,
)
from tests.surveymonkey_connector_helpers import (
    BASE,
    BULK,
    COLLECTOR,
    MESSAGE,
    MESSAGE_PATH,
    SEND,
    FakeTime,
    calls_to,
    connector,
    fixture,
    mocked,  # noqa: F401 (the fixture)
    reply,
    sent,
)

pytestmark = pytest.mark.usefixtures("mocked")


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


# --- surveys ----------------------------------------------------------------------------------


def test_a_survey_is_found_by_its_exact_title_on_a_later_page(time: FakeTime) -> None:
    reply("GET", "/surveys", fixture("surveys_page1.json"))
    reply("GET", "/surveys", fixture("surveys_page2.json"))
    survey = connector(time, page_size=2).find_survey("Customer Satisfaction Survey")
    assert (survey.id, survey.title, survey.nickname) == (
        "315916538",
        "Customer Satisfaction Survey",
        "CSAT",
    )
    first, second = (str(call.request.url) for call in responses.calls)
    assert "title=Customer+Satisfaction+Survey" in first and "per_page=2" in first
    assert second == fixture("surveys_page1.json")["links"]["next"]


def test_a_survey_is_found_by_its_id(time: FakeTime) -> None:
    reply("GET", "/surveys/315916538", fixture("survey.json"))
    assert connector(time).find_survey("315916538").title == "Customer Satisfaction Survey"
    assert len(responses.calls) == 1


def test_a_title_in_another_letter_case_is_still_found(time: FakeTime) -> None:
    reply("GET", "/surveys", fixture("surveys_page2.json") | {"links": {}})
    assert connector(time).find_survey("customer satisfaction SURVEY").id == "315916538"


def test_a_missing_survey_is_a_clear_error_naming_titles_that_come_close(time: FakeTime) -> None:
    page = fixture("surveys_page1.json") | {"links": {}}
    reply("GET", "/surveys", page)
    with pytest.raises(NotFound) as missing:
        connector(time).find_survey("Customer Satisfaction")
    text = str(missing.value)
    assert "no survey titled 'Customer Satisfaction'" in text
    assert "'Customer Satisfaction Survey (2023)'" in text
    assert "GET /v3/surveys?title=Customer+Satisfaction" in text


def test_an_unknown_survey_id_is_not_found(time: FakeTime) -> None:
    reply("GET", "/surveys/999", fixture("error_404.json"), status=404)
    reply("GET", "/surveys", {"data": [], "page": 1, "per_page": 1000, "total": 0, "links": {}})
    with pytest.raises(NotFound, match="no survey with id or title '999'"):
        connector(time).find_survey("999")


def test_two_surveys_with_the_same_title_are_ambiguous(time: FakeTime) -> None:
    page = fixture("surveys_page2.json")
    twin = dict(page["data"][0], id="315916539")
    reply("GET", "/surveys", page | {"data": [page["data"][0], twin], "links": {}})
    with pytest.raises(Ambiguous, match=r"2 surveys .* \(ids 315916538, 315916539\)"):
        connector(time).find_survey("Customer Satisfaction Survey")


@pytest.mark.parametrize("bad", ["", "   "], ids=["empty", "blank"])
def test_a_blank_survey_name_is_refused_before_asking(time: FakeTime, bad: str) -> None:
    with pytest.raises(ValueError, match="title or id"):
        connector(time).find_survey(bad)
    assert len(responses.calls) == 0


def test_a_next_link_back_to_a_page_already_read_stops_the_paging(time: FakeTime) -> None:
    first = fixture("surveys_page1.json")
    looping = fixture("surveys_page2.json")
    looping["page"] = 3
    looping["links"]["next"] = first["links"]["next"]  # page 2 again
    reply("GET", "/surveys", first)
    reply("GET", "/surveys", looping)
    with pytest.raises(UnexpectedAnswer, match="already read"):
        connector(time).find_survey("Nothing like it")
    assert len(responses.calls) == 2


def test_a_page_number_that_goes_backwards_stops_the_paging(time: FakeTime) -> None:
    first = fixture("surveys_page1.json")
    again = fixture("surveys_page1.json")
    again["links"]["next"] = first["links"]["next"].replace("page=2", "page=3")
    reply("GET", "/surveys", first)
    reply("GET", "/surveys", again)
    with pytest.raises(UnexpectedAnswer, match="page 1 came after page 1"):
        connector(time).find_survey("Nothing like it")


def test_a_next_link_to_another_host_is_not_followed(time: FakeTime) -> None:
    page = fixture("surveys_page1.json")
    page["links"]["next"] = "https://evil.example/v3/surveys?page=2"
    reply("GET", "/surveys", page)
    with pytest.raises(UnexpectedAnswer, match="leads off the API's host"):
        connector(time).find_survey("Customer Satisfaction Survey")
    assert len(responses.calls) == 1


# --- collectors -------------------------------------------------------------------------------


def test_the_open_email_collector_is_found_among_the_others(time: FakeTime) -> None:
    reply("GET", "/surveys/315916538/collectors", fixture("collectors.json"))
    collector = connector(time).email_collector("315916538")
    assert (collector.id, collector.type, collector.status) == (COLLECTOR, "email", "open")
    assert collector.survey_id == "315916538"
    assert "include=type%2Cstatus" in str(responses.calls[0].request.url)


def test_a_missing_collector_is_not_created_unless_asked(time: FakeTime) -> None:
    only_weblink = fixture("collectors.json")
    only_weblink["data"] = only_weblink["data"][:1]
    reply("GET", "/surveys/315916538/collectors", only_weblink)
    with pytest.raises(NotFound, match=r"no open email collector .*create_if_missing=True"):
        connector(time).email_collector("315916538")
    assert calls_to("POST", "/collectors") == 0


def test_an_email_collector_is_created_when_asked(time: FakeTime) -> None:
    reply("GET", "/surveys/315916538/collectors", {"data": [], "page": 1, "links": {}})
    reply("POST", "/surveys/315916538/collectors", fixture("collector_email_created.json"), 201)
    collector = connector(time).email_collector("315916538", create_if_missing=True)
    assert (collector.id, collector.type, collector.survey_id) == (
        "177480999",
        "email",
        "315916538",
    )
    assert sent("POST", "/surveys/315916538/collectors") == [{"type": "email"}]


def test_a_create_whose_answer_was_lost_is_found_not_repeated(time: FakeTime) -> None:
    empty = {"data": [], "page": 1, "links": {}}
    reply("GET", "/surveys/315916538/collectors", empty)
    reply("POST", "/surveys/315916538/collectors", fixture("surveymonkey/error.json"), 500)
    reply("GET", "/surveys/315916538/collectors", fixture("collectors.json"))
    collector = connector(time).email_collector("315916538", create_if_missing=True)
    assert collector.id == COLLECTOR
    assert calls_to("POST", "/surveys/315916538/collectors") == 1


def test_a_create_that_did_not_happen_is_tried_again(time: FakeTime) -> None:
    empty = {"data": [], "page": 1, "links": {}}
    reply("GET", "/surveys/315916538/collectors", empty)
    reply("POST", "/surveys/315916538/collectors", body=requests.ConnectionError("reset"))
    reply("GET", "/surveys/315916538/collectors", empty)
    reply("POST", "/surveys/315916538/collectors", fixture("collector_email_created.json"), 201)
    collector = connector(time).email_collector("315916538", create_if_missing=True)
    assert collector.id == "177480999"
    assert calls_to("POST", "/surveys/315916538/collectors") == 2
    assert len(time.slept) == 1  # one backoff between the two tries


@pytest.mark.parametrize("bad", ["", "12/../34", "12?x=1"], ids=["empty", "path", "query"])
def test_an_id_that_is_not_an_id_is_refused_before_asking(time: FakeTime, bad: str) -> None:
    with pytest.raises(ValueError, match="survey_id must be a SurveyMonkey id"):
        connector(time).email_collector(bad)
    assert len(responses.calls) == 0


# --- invitation messages ----------------------------------------------------------------------


def test_the_unsent_invitation_is_found_past_sent_ones_and_reminders(time: FakeTime) -> None:
    reply("GET", f"/collectors/{COLLECTOR}/messages", fixture("messages.json"))
    message = connector(time).invite_message(COLLECTOR)
    assert (message.id, message.type, message.status) == (MESSAGE, "invite", "not_sent")


def test_an_invitation_is_created_with_the_links_the_reference_requires(time: FakeTime) -> None:
    sent_only = fixture("messages.json")
    sent_only["data"] = sent_only["data"][:1]
    reply("GET", f"/collectors/{COLLECTOR}/messages", sent_only)
    reply("POST", f"/collectors/{COLLECTOR}/messages", fixture("surveymonkey/message_created.json"))
    message = connector(time).invite_message(COLLECTOR, create_if_missing=True, subject="Hello")
    assert (message.id, message.status, message.collector_id) == ("31454399", "not_sent", COLLECTOR)
    (body,) = sent("POST", f"/collectors/{COLLECTOR}/messages")
    assert body["type"] == "invite" and body["subject"] == "Hello"
    for link in ("[SurveyLink]", "[OptOutLink]", "[PrivacyLink]", "[FooterLink]"):
        assert link in body["body_text"]
    assert "Unsubscribe" in body["body_text"] and "Privacy" in body["body_text"]


def test_a_body_without_the_required_links_is_refused_before_asking(time: FakeTime) -> None:
    with pytest.raises(ValueError, match=r"body_html must include .* lacks \[OptOutLink\]"):
        connector(time).invite_message(
            COLLECTOR,
            create_if_missing=True,
            body_html="<a href='[SurveyLink]'>Go</a> [PrivacyLink] [FooterLink]",
        )
    assert len(responses.calls) == 0


def test_no_unsent_invitation_is_not_found_unless_creating(time: FakeTime) -> None:
    reply("GET", f"/collectors/{COLLECTOR}/messages", {"data": [], "page": 1, "links": {}})
    with pytest.raises(NotFound, match="no invitation that is not sent yet"):
        connector(time).invite_message(COLLECTOR)


# --- recipients -------------------------------------------------------------------------------

PEOPLE = [
    Invitee("hana.kim@example.com", "하나", "김"),
    Invitee("aino.virtanen@example.fi", "Aino", "Virtanen"),
    Invitee("giulia.rossi@example.it", "Giulia", "Rossi"),
    Invitee("not-an-address"),
    Invitee("old.box@example.com"),
    Invitee("optedout@example.com"),
    Invitee("lost@example.com"),
]


def test_every_address_given_gets_exactly_one_outcome(time: FakeTime) -> None:
    answer = fixture("recipients_bulk_mixed.json")
    answer["existing"].append("stranger@example.com")
    reply("POST", BULK, answer)
    report = connector(time).add_recipients(COLLECTOR, MESSAGE, PEOPLE)
    got = [(o.position, o.email, o.outcome, o.recipient_id) for o in report.outcomes]
    assert got == [
        (0, "hana.kim@example.com", Outcome.ADDED, "3001"),
        (1, "aino.virtanen@example.fi", Outcome.ADDED, "3002"),
        (2, "giulia.rossi@example.it", Outcome.EXISTING, None),
        (3, "not-an-address", Outcome.INVALID, None),
        (4, "old.box@example.com", Outcome.BOUNCED, None),
        (5, "optedout@example.com", Outcome.OPTED_OUT, None),  # the answer's case differs
        (6, "lost@example.com", Outcome.UNACCOUNTED, None),
    ]
    assert "named in none of the answer's lists" in report.outcomes[6].detail
    assert report.unexpected == ("stranger@example.com",)
    assert report.requests == 1 and report.on_message == 3
    (body,) = sent("POST", BULK)
    assert body["contacts"][0] == {
        "email": "hana.kim@example.com",
        "first_name": "하나",
        "last_name": "김",
    }


def test_the_references_own_bulk_example_is_read(time: FakeTime) -> None:
    reply("POST", BULK, fixture("surveymonkey/recipients_bulk.json"))
    report = connector(time).add_recipients(COLLECTOR, MESSAGE, [Invitee("test@surveymonkey.com")])
    assert [(o.outcome, o.recipient_id) for o in report.outcomes] == [(Outcome.ADDED, "1234")]


def test_recipients_go_in_calls_of_chunk_size(time: FakeTime) -> None:
    emails = [f"person{n}@example.com" for n in range(5)]
    for start in (0, 2, 4):
        chunk = emails[start : start + 2]
        succeeded = [{"id": str(100 + emails.index(e)), "email": e} for e in chunk]
        reply("POST", BULK, {"succeeded": succeeded, "invalids": [], "existing": []})
    report = connector(time, chunk_size=2).add_recipients(
        COLLECTOR, MESSAGE, [Invitee(e) for e in emails]
    )
    assert [len(b["contacts"]) for b in sent("POST", BULK)] == [2, 2, 1]
    assert [o.recipient_id for o in report.outcomes] == ["100", "101", "102", "103", "104"]
    assert report.requests == 3


def test_the_same_address_twice_is_sent_once(time: FakeTime) -> None:
    reply("POST", BULK, {"succeeded": [{"id": "7", "email": "ann@example.com"}]})
    people = [Invitee("ann@example.com"), Invitee("ANN@Example.com ")]
    report = connector(time).add_recipients(COLLECTOR, MESSAGE, people)
    assert [o.outcome for o in report.outcomes] == [Outcome.ADDED, Outcome.DUPLICATE]
    assert "invitees[0]" in report.outcomes[1].detail
    assert [len(b["contacts"]) for b in sent("POST", BULK)] == [1]


@pytest.mark.parametrize(
    ("invitee", "reason"),
    [
        (Invitee(""), "no email address"),
        (Invitee("a@example.com", custom_fields={"7": "x"}), "keys are '1' to '6'"),
        (Invitee("a@example.com", extra_fields={"n": 3}), "values must be text"),  # type: ignore[dict-item]
    ],
    ids=["no-email", "custom-field-key", "extra-field-value"],
)
def test_an_invitee_the_api_would_refuse_is_invalid_without_asking(
    time: FakeTime, invitee: Invitee, reason: str
) -> None:
    report = connector(time).add_recipients(COLLECTOR, MESSAGE, [invitee])
    (outcome,) = report.outcomes
    assert outcome.outcome is Outcome.INVALID and reason in outcome.detail
    assert calls_to("POST", BULK) == 0


def test_something_that_is_not_an_invitee_is_a_clear_error(time: FakeTime) -> None:
    with pytest.raises(TypeError, match=r"invitees\[1\] is a str, not an Invitee"):
        connector(time).add_recipients(COLLECTOR, MESSAGE, [Invitee("a@b.c"), "x@y.z"])  # type: ignore[list-item]


def test_a_bodiless_bulk_answer_leaves_every_address_unaccounted(time: FakeTime) -> None:
    reply("POST", BULK, body="", status=200)
    report = connector(time).add_recipients(COLLECTOR, MESSAGE, PEOPLE[:2])
    assert [o.outcome for o in report.outcomes] == [Outcome.UNACCOUNTED] * 2
    assert report.outcomes[0].detail == "the answer had no body"


def test_a_bulk_answer_in_another_shape_leaves_the_chunk_unaccounted(time: FakeTime) -> None:
    reply("POST", BULK, {"succeeded": "all of them"})
    report = connector(time).add_recipients(COLLECTOR, MESSAGE, PEOPLE[:1])
    (outcome,) = report.outcomes
    assert outcome.outcome is Outcome.UNACCOUNTED
    assert outcome.detail == "the answer's 'succeeded' is not a list"


def test_a_chunk_that_fails_for_good_reports_what_was_done(time: FakeTime) -> None:
    reply("POST", BULK, {"succeeded": [{"id": "1", "email": "hana.kim@example.com"}]})
    reply("POST", BULK, fixture("error_409_sent.json"), status=409)
    with pytest.raises(IncompleteRecipients) as stopped:
        connector(time, chunk_size=1).add_recipients(COLLECTOR, MESSAGE, PEOPLE[:3])
    error = stopped.value
    assert [o.email for o in error.report.outcomes] == ["hana.kim@example.com"]
    assert error.not_processed == ("aino.virtanen@example.fi", "giulia.rossi@example.it")
    assert isinstance(error.cause, FatalError) and error.status == 409
    assert "stopped after 1 of 3 recipient chunks" in str(error)
    assert "only a message with status 'not_sent' can be sent" in str(error)


# --- sending ----------------------------------------------------------------------------------


def test_send_now_posts_an_empty_body_and_returns_the_recipients(time: FakeTime) -> None:
    answer = fixture("surveymonkey/message_sent.json") | {"is_scheduled": False}
    reply("POST", SEND, answer)
    result = connector(time).send(COLLECTOR, MESSAGE)
    assert sent("POST", SEND) == [{}]
    assert result.recipient_ids == ("1234", "1234") and not result.confirmed_by_lookup


def test_a_send_is_scheduled_in_the_references_date_format(time: FakeTime) -> None:
    reply("POST", SEND, fixture("surveymonkey/message_sent.json"))
    when = datetime(2026, 12, 1, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    result = connector(time).send(COLLECTOR, MESSAGE, scheduled_date=when)
    assert sent("POST", SEND) == [{"scheduled_date": "2026-12-01T07:30:00+00:00"}]
    assert result.is_scheduled and result.scheduled_date == "2015-11-04T12:56:55+00:00"


def test_a_schedule_without_a_time_zone_is_refused_before_asking(time: FakeTime) -> None:
    with pytest.raises(ValueError, match="scheduled_date must be a datetime with a time zone"):
        connector(time).send(COLLECTOR, MESSAGE, scheduled_date=datetime(2026, 12, 1, 9, 30))
    assert len(responses.calls) == 0


def test_sending_a_message_already_sent_is_the_apis_conflict(time: FakeTime) -> None:
    reply("POST", SEND, fixture("error_409_sent.json"), status=409)
    with pytest.raises(FatalError) as refused:
        connector(time).send(COLLECTOR, MESSAGE)
    assert refused.value.status == 409 and calls_to("POST", SEND) == 1
    assert str(refused.value).startswith(f"surveymonkey POST /v3{SEND} answered 409: 1025")
    assert "has status 'sent'" in str(refused.value)


def test_a_lost_send_answer_is_read_back_not_sent_twice(time: FakeTime) -> None:
    reply("POST", BULK, fixture("surveymonkey/recipients_bulk.json"))
    reply("POST", SEND, fixture("surveymonkey/error.json"), status=500)
    processing = fixture("surveymonkey/message.json") | {
        "status": "processing",
        "is_scheduled": False,
    }
    reply("GET", MESSAGE_PATH, processing)
    result = connector(time).invite(COLLECTOR, MESSAGE, [Invitee("test@surveymonkey.com")])
    assert result.sent is not None and result.sent.confirmed_by_lookup
    assert calls_to("POST", SEND) == 1


def test_a_lost_answer_to_a_lone_send_of_a_sent_message_says_it_cannot_tell(
    time: FakeTime,
) -> None:
    reply("POST", SEND, body=requests.ConnectionError("reset by peer"))
    reply("GET", MESSAGE_PATH, fixture("surveymonkey/message.json") | {"status": "sent"})
    with pytest.raises(FatalError, match="sent by this call or an earlier one; not sent again"):
        connector(time).send(COLLECTOR, MESSAGE)
    assert calls_to("POST", SEND) == 1


def test_a_send_that_did_not_happen_is_tried_again(time: FakeTime) -> None:
    reply("POST", SEND, fixture("surveymonkey/error.json"), status=502)
    not_sent = fixture("surveymonkey/message.json") | {"is_scheduled": False}
    reply("GET", MESSAGE_PATH, not_sent)
    reply("POST", SEND, fixture("surveymonkey/message_sent.json"))
    assert connector(time).send(COLLECTOR, MESSAGE).recipient_ids == ("1234", "1234")
    assert calls_to("POST", SEND) == 2


def test_invite_adds_then_sends(time: FakeTime) -> None:
    reply("POST", BULK, fixture("recipients_bulk_mixed.json"))
    reply("POST", SEND, fixture("surveymonkey/message_sent.json"))
    when = datetime(2026, 12, 1, tzinfo=UTC)
    result = connector(time).invite(COLLECTOR, MESSAGE, PEOPLE, scheduled_date=when)
    assert result.recipients.counts()["added"] == 2 and result.sent is not None
    order = [call.request.path_url.rsplit("/", 1)[1] for call in responses.calls]
    assert order == ["bulk", "send"]


def test_invite_does_not_send_when_nobody_is_on_the_message(time: FakeTime) -> None:
    answer = {"succeeded": [], "invalids": [], "existing": [], "opted_out": ["a@example.com"]}
    reply("POST", BULK, answer)
    result = connector(time).invite(COLLECTOR, MESSAGE, [Invitee("a@example.com")])
    assert result.sent is None and result.not_sent_because is not None
    assert "none of the invitees" in result.not_sent_because
    assert calls_to("POST", SEND) == 0


def test_urls_are_the_callers(time: FakeTime) -> None:
    reply("GET", f"/collectors/{COLLECTOR}/messages", fixture("messages.json"))
    connector(time).invite_message(COLLECTOR)
    assert str(responses.calls[0].request.url).startswith(f"{BASE}/collectors/{COLLECTOR}/messages")
