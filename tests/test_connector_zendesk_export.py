"""The incremental exports: every page to the caller, stored before the next, resumable."""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from responses import matchers

from connector.errors import FatalError
from connector.zendesk import ExportEnd, ExportPage, UnexpectedResponse
from tests.test_connector_zendesk_fixtures import (
    TICKETS_EXPORT,
    USERS_EXPORT,
    FakeTime,
    fixture,
    make_connector,
)

PAGE1 = fixture("incremental_users_page1.json")
PAGE2 = fixture("incremental_users_page2.json")
END = fixture("incremental_users_end.json")


def query_of(call: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


def export_page(number: int, last: bool) -> dict[str, Any]:
    page = copy.deepcopy(PAGE2)
    page["users"][0]["id"] = number
    page["after_cursor"] = f"cursor-{number}"
    page["after_url"] = f"{USERS_EXPORT}?cursor=cursor-{number}"
    page["end_of_stream"] = last
    return page


@responses.activate
def test_two_pages_then_end_of_stream_hand_every_user_and_cursor_to_the_caller() -> None:
    responses.get(USERS_EXPORT, json=PAGE1)
    responses.get(USERS_EXPORT, json=PAGE2)
    pages: list[ExportPage] = []

    end = make_connector().users_since(pages.append, start_time=0)

    assert [[u["id"] for u in p.records] for p in pages] == [
        [u["id"] for u in PAGE1["users"]],
        [u["id"] for u in PAGE2["users"]],
    ]
    assert [(p.after_cursor, p.end_of_stream) for p in pages] == [
        (PAGE1["after_cursor"], False),
        (PAGE2["after_cursor"], True),
    ]
    assert end == ExportEnd(PAGE2["after_cursor"], pages=2, records=3)
    first, second = (query_of(call) for call in responses.calls)
    assert first == {"start_time": ["0"], "per_page": ["1000"]}
    assert second == {"cursor": [PAGE1["after_cursor"]], "per_page": ["1000"]}


@responses.activate
def test_resuming_from_a_stored_cursor_sends_per_page_1000() -> None:
    stored = PAGE1["after_cursor"]
    responses.get(
        USERS_EXPORT,
        json=PAGE2,
        match=[matchers.query_param_matcher({"cursor": stored, "per_page": "1000"})],
    )
    pages: list[ExportPage] = []

    end = make_connector().users_since(pages.append, cursor=stored)

    assert [u["id"] for u in pages[0].records] == [u["id"] for u in PAGE2["users"]]
    assert end.after_cursor == PAGE2["after_cursor"]


@responses.activate(registry=responses.registries.OrderedRegistry)
def test_each_page_is_handed_over_before_the_next_page_is_asked_for() -> None:
    events: list[str] = []

    def answer(body: dict[str, Any], name: str) -> Any:
        def callback(_request: Any) -> tuple[int, dict[str, str], str]:
            events.append(f"request {name}")
            return 200, {"Content-Type": "application/json"}, json.dumps(body)

        return callback

    responses.add_callback(responses.GET, USERS_EXPORT, callback=answer(PAGE1, "page 1"))
    responses.add_callback(responses.GET, USERS_EXPORT, callback=answer(PAGE2, "page 2"))

    def store(page: ExportPage) -> None:
        events.append(f"stored {len(page.records)} users, then cursor {page.after_cursor}")

    make_connector().users_since(store, start_time=0)

    assert events == [
        "request page 1",
        f"stored 2 users, then cursor {PAGE1['after_cursor']}",
        "request page 2",
        f"stored 1 users, then cursor {PAGE2['after_cursor']}",
    ]


@responses.activate
def test_an_empty_last_page_still_reports_its_cursor_as_the_resume_point() -> None:
    responses.get(USERS_EXPORT, json=PAGE1)
    responses.get(USERS_EXPORT, json=END)
    pages: list[ExportPage] = []

    end = make_connector().users_since(pages.append, start_time=0)

    assert pages[-1] == ExportPage([], END["after_cursor"], end_of_stream=True)
    assert end == ExportEnd(END["after_cursor"], pages=2, records=2)


@responses.activate
def test_resuming_when_nothing_changed_keeps_the_stored_cursor() -> None:
    stored = END["after_cursor"]
    responses.get(USERS_EXPORT, json=END)

    end = make_connector().users_since(lambda _page: None, cursor=stored)

    assert end == ExportEnd(stored, pages=1, records=0)


@responses.activate
def test_a_last_page_without_a_cursor_keeps_the_previous_resume_point() -> None:
    last = {**END, "after_cursor": None, "after_url": None}
    responses.get(USERS_EXPORT, json=PAGE1)
    responses.get(USERS_EXPORT, json=last)

    end = make_connector().users_since(lambda _page: None, start_time=0)

    assert end.after_cursor == PAGE1["after_cursor"]


@responses.activate
def test_a_cursor_that_repeats_without_end_of_stream_raises_before_the_page_is_handed_over() -> (
    None
):
    responses.get(USERS_EXPORT, json=PAGE1)  # the same page, the same cursor, again and again
    pages: list[ExportPage] = []

    with pytest.raises(UnexpectedResponse, match="came back again") as raised:
        make_connector().users_since(pages.append, start_time=0)

    assert len(pages) == 1
    assert len(responses.calls) == 2
    assert PAGE1["after_cursor"] in str(raised.value)


@responses.activate
def test_a_resumed_export_that_answers_with_the_same_cursor_and_more_to_come_raises() -> None:
    stuck = {**PAGE1, "after_cursor": "stored", "end_of_stream": False}
    responses.get(USERS_EXPORT, json=stuck)

    with pytest.raises(UnexpectedResponse, match="came back again"):
        make_connector().users_since(lambda _page: None, cursor="stored")


@responses.activate
def test_more_to_come_without_a_cursor_is_an_error() -> None:
    responses.get(USERS_EXPORT, json={**PAGE1, "after_cursor": None, "after_url": None})

    with pytest.raises(UnexpectedResponse, match="no after_cursor"):
        make_connector().users_since(lambda _page: None, start_time=0)


@responses.activate
def test_without_an_after_url_the_next_page_is_asked_for_by_cursor() -> None:
    responses.get(USERS_EXPORT, json={**PAGE1, "after_url": None})
    responses.get(USERS_EXPORT, json=PAGE2)

    make_connector().users_since(lambda _page: None, start_time=0)

    assert query_of(responses.calls[1]) == {
        "cursor": [PAGE1["after_cursor"]],
        "per_page": ["1000"],
    }


@responses.activate
def test_a_next_page_on_another_host_is_not_followed_with_the_credentials() -> None:
    elsewhere = {**PAGE1, "after_url": "https://collector.example/api/v2/steal?cursor=x"}
    responses.get(USERS_EXPORT, json=elsewhere)

    with pytest.raises(UnexpectedResponse, match=r"collector\.example"):
        make_connector().users_since(lambda _page: None, start_time=0)

    assert len(responses.calls) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"after_cursor": "x", "end_of_stream": True},
        {"users": {"id": 1}, "after_cursor": "x", "end_of_stream": True},
        {"users": [1, 2], "after_cursor": "x", "end_of_stream": True},
        {"users": [], "after_cursor": "x"},
        [],
    ],
    ids=["no-users", "users-not-a-list", "users-not-objects", "no-end-of-stream", "not-an-object"],
)
@responses.activate
def test_a_page_in_the_wrong_shape_is_an_error_naming_the_path(body: Any) -> None:
    responses.get(USERS_EXPORT, json=body)

    with pytest.raises(UnexpectedResponse) as raised:
        make_connector().users_since(lambda _page: None, start_time=0)

    assert "/api/v2/incremental/users/cursor.json" in str(raised.value)


@responses.activate
def test_a_bodiless_200_is_an_error_not_an_empty_export() -> None:
    responses.get(USERS_EXPORT, body=b"")

    with pytest.raises(UnexpectedResponse, match="expected a JSON object"):
        make_connector().users_since(lambda _page: None, start_time=0)


@responses.activate
def test_tickets_come_from_the_ticket_export() -> None:
    page = fixture("incremental_tickets_page.json")
    responses.get(TICKETS_EXPORT, json=page)
    pages: list[ExportPage] = []

    end = make_connector().tickets_since(pages.append, start_time=1_700_000_000)

    assert [t["id"] for t in pages[0].records] == [t["id"] for t in page["tickets"]]
    assert end == ExportEnd(page["after_cursor"], pages=1, records=2)
    assert query_of(responses.calls[0]) == {"start_time": ["1700000000"], "per_page": ["1000"]}


@responses.activate
def test_a_too_recent_start_time_is_refused_with_zendesks_words() -> None:
    responses.get(USERS_EXPORT, json=fixture("error_400_start_time.json"), status=400)

    with pytest.raises(FatalError, match="Too recent start_time"):
        make_connector().users_since(lambda _page: None, start_time=1_900_000_000)

    assert len(responses.calls) == 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, r"exactly one of start_time and cursor \(got neither\)"),
        ({"start_time": 0, "cursor": "abc"}, r"exactly one of start_time and cursor \(got both\)"),
        ({"start_time": -5}, "Unix seconds"),
        ({"start_time": 1.5}, "Unix seconds"),
        ({"start_time": True}, "Unix seconds"),
        ({"cursor": " "}, "non-empty"),
    ],
    ids=["neither", "both", "negative", "float", "bool", "blank-cursor"],
)
def test_a_bad_starting_point_is_refused_before_any_request(
    arguments: dict[str, Any], message: str
) -> None:
    with responses.RequestsMock() as mock, pytest.raises(ValueError, match=message):
        make_connector().users_since(lambda _page: None, **arguments)
    assert len(mock.calls) == 0


@responses.activate
def test_the_export_throttle_holds_the_11th_export_call_in_a_minute() -> None:
    for number in range(11):
        responses.get(USERS_EXPORT, json=export_page(number, last=number == 10))
    time = FakeTime()
    sent_at: list[float] = []

    make_connector(time).users_since(lambda _page: sent_at.append(time.now), start_time=0)

    assert time.waits == [60.0]
    assert sent_at == [0.0] * 10 + [60.0]


@responses.activate
def test_a_quota_running_low_slows_the_next_request_down() -> None:
    low = {"X-Rate-Limit": "400", "X-Rate-Limit-Remaining": "1"}
    responses.get(USERS_EXPORT, json=PAGE1, headers=low)
    responses.get(USERS_EXPORT, json=PAGE2)
    time = FakeTime()

    make_connector(time).users_since(lambda _page: None, start_time=0)

    assert time.waits == [60.0]  # the one request left, spread over the window
