"""The Mailchimp connector reads the audience and its members: check, pages, resume, changes."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from connector.errors import FatalError
from connector.mailchimp import AudienceNotFound, PaginationLoop
from tests.mailchimp_connector_helpers import (
    BASE,
    LIST_ID,
    LIST_URL,
    PROBLEM,
    Waits,
    assert_no_secret,
    connector,
    fixture,
    problem,
)

MEMBERS_URL = f"{LIST_URL}/members"
MEMBER_FIELDS = (
    "members.email_address,members.status,members.tags,members.merge_fields,"
    "members.last_changed,members.id,total_items"
)


def page(members: list[dict[str, Any]], total: int) -> dict[str, Any]:
    return {"members": copy.deepcopy(members), "total_items": total}


def queries(rsps: responses.RequestsMock) -> list[dict[str, str]]:
    return [
        {k: v[0] for k, v in parse_qs(urlsplit(str(call.request.url)).query).items()}
        for call in rsps.calls
    ]


FIVE = fixture("members_page.json")["members"]


# --- check ------------------------------------------------------------------------------------


def test_check_pings_and_reports_the_audience_and_its_counts() -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(f"{BASE}/ping", json=fixture("ping.json"))
        rsps.get(LIST_URL, json=fixture("list.json"))
        audience = connector().check(LIST_ID)
        asked = queries(rsps)[1]
    assert (audience.id, audience.name) == (LIST_ID, "Retail Customers")
    assert (audience.member_count, audience.unsubscribe_count, audience.cleaned_count) == (
        742,
        87,
        51,
    )
    assert audience.total_contacts == 954
    assert asked["include_total_contacts"] == "True"  # the client's way of saying true


def test_check_of_a_missing_audience_says_which() -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(f"{BASE}/ping", json=fixture("ping.json"))
        rsps.get(
            f"{BASE}/lists/nope", status=404, json=fixture("problem_404.json"), headers=PROBLEM
        )
        with pytest.raises(AudienceNotFound) as raised:
            connector().check("nope")
    assert raised.value.status == 404
    assert "no audience with the id 'nope'" in str(raised.value)
    assert_no_secret(raised.value)


# --- members ----------------------------------------------------------------------------------


def test_members_are_read_page_by_page_to_the_end() -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(MEMBERS_URL, json=page(FIVE[0:2], 5))
        rsps.get(MEMBERS_URL, json=page(FIVE[2:4], 5))
        rsps.get(MEMBERS_URL, json=page(FIVE[4:5], 5))
        pages = list(connector().members(LIST_ID, page_size=2))
        asked = queries(rsps)
    assert [(p.offset, p.next_offset, p.total_items) for p in pages] == [
        (0, 2, 5),
        (2, 4, 5),
        (4, None, 5),
    ]
    assert [m.email for p in pages for m in p.members] == [m["email_address"] for m in FIVE]
    assert [(q["offset"], q["count"]) for q in asked] == [("0", "2"), ("2", "2"), ("4", "2")]
    assert all(q["fields"] == MEMBER_FIELDS for q in asked)


def test_a_member_record_has_email_status_tag_names_merge_fields_and_last_changed() -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(MEMBERS_URL, json=page(FIVE, 5))
        (only,) = list(connector().members(LIST_ID))
        assert queries(rsps)[0]["count"] == "1000"
    tagged = only.members[3]
    assert tagged.email == "francesca.fabbri13@example.net"
    assert tagged.tags == ("Newsletter",)
    assert tagged.status == FIVE[3]["status"] and tagged.id == FIVE[3]["id"]
    assert tagged.merge_fields == FIVE[3]["merge_fields"]
    assert tagged.last_changed == datetime.fromisoformat(FIVE[3]["last_changed"])
    assert only.next_offset is None


def test_a_walk_resumes_from_the_stored_offset() -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(MEMBERS_URL, json=page(FIVE[2:4], 5))
        rsps.get(MEMBERS_URL, json=page(FIVE[4:5], 5))
        pages = list(connector().members(LIST_ID, offset=2, page_size=2))
        assert [q["offset"] for q in queries(rsps)] == ["2", "4"]
    assert [p.offset for p in pages] == [2, 4]


def test_an_incremental_read_asks_for_changes_since_and_offers_the_next_since() -> None:
    started = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    since = datetime(2026, 2, 1, 8, 30, tzinfo=UTC)
    with responses.RequestsMock() as rsps:
        rsps.get(MEMBERS_URL, json=page(FIVE[:1], 1))
        walk = connector(now=lambda: started).members(LIST_ID, since_last_changed=since)
        pages = list(walk)
        assert queries(rsps)[0]["since_last_changed"] == "2026-02-01T08:30:00+00:00"
    assert len(pages) == 1
    assert walk.next_since == started - timedelta(minutes=5)


def test_a_naive_since_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        connector().members(LIST_ID, since_last_changed=datetime(2026, 2, 1))


@pytest.mark.parametrize(
    ("offset", "page_size"), [(-1, 10), (0, 0), (0, 1001)], ids=["negative", "zero", "over-1000"]
)
def test_impossible_paging_is_refused(offset: int, page_size: int) -> None:
    with pytest.raises(ValueError, match=r"offset|page_size"):
        connector().members(LIST_ID, offset=offset, page_size=page_size)


def test_a_member_removed_behind_the_walk_does_not_make_it_skip_one() -> None:
    """a..e; after the first page `a` is archived, so `c` moves to offset 1: step back for it."""
    a, b, c, d, e = FIVE
    with responses.RequestsMock() as rsps:
        rsps.get(MEMBERS_URL, json=page([a, b], 5))
        rsps.get(MEMBERS_URL, json=page([d, e], 4))  # at offset 2, after the shift
        rsps.get(MEMBERS_URL, json=page([c, d], 4))  # offset 1, read again
        rsps.get(MEMBERS_URL, json=page([e], 4))
        pages = list(connector().members(LIST_ID, page_size=2))
        assert [q["offset"] for q in queries(rsps)] == ["0", "2", "1", "3"]
    emails = [m.email for p in pages for m in p.members]
    assert emails == [m["email_address"] for m in (a, b, c, d, e)]


def test_a_member_removed_ahead_of_the_walk_costs_a_reread_not_a_duplicate() -> None:
    a, b, c, _d, e = FIVE
    with responses.RequestsMock() as rsps:
        rsps.get(MEMBERS_URL, json=page([a, b], 5))
        rsps.get(MEMBERS_URL, json=page([c, e], 4))  # d went, after the offset
        rsps.get(MEMBERS_URL, json=page([b, c], 4))  # stepped back to 1: b was given already
        rsps.get(MEMBERS_URL, json=page([e], 4))
        pages = list(connector().members(LIST_ID, page_size=2))
    emails = [m.email for p in pages for m in p.members]
    assert emails == [m["email_address"] for m in (a, b, c, e)]


def test_pages_that_do_not_move_forward_stop_the_walk_with_a_clear_error() -> None:
    a, b, c, d, _e = FIVE
    with responses.RequestsMock() as rsps:
        rsps.get(MEMBERS_URL, json=page([a, b], 5))
        rsps.get(MEMBERS_URL, json=page([c, d], 3))  # shrank by 2: back to offset 0
        rsps.get(MEMBERS_URL, json=page([a, b], 5))  # grew again: offset 0, total 5 once more
        with pytest.raises(PaginationLoop, match="offset 0 was read twice with the same total"):
            list(connector().members(LIST_ID, page_size=2))


def test_a_failing_page_is_retried_and_the_walk_goes_on() -> None:
    waits = Waits()
    with responses.RequestsMock() as rsps:
        rsps.get(MEMBERS_URL, json=page(FIVE[0:2], 4))
        rsps.get(MEMBERS_URL, status=503, json=problem(503, "Service Unavailable", "later"))
        rsps.get(MEMBERS_URL, json=page(FIVE[2:4], 4))
        pages = list(connector(waits).members(LIST_ID, page_size=2))
        assert [q["offset"] for q in queries(rsps)] == ["0", "2", "2"]
    assert sum(len(p.members) for p in pages) == 4 and len(waits.seconds) == 1


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ({"status": "subscribed", "id": "x"}, "member 1 of the page at offset 0 has no email_addr"),
        ({"email_address": "z@example.org", "id": "x"}, "has no status or id"),
        (
            {"email_address": "z@example.org", "id": "x", "status": "subscribed", "tags": "VIP"},
            "malformed tags",
        ),
        (
            {
                "email_address": "z@example.org",
                "id": "x",
                "status": "subscribed",
                "last_changed": "yesterday",
            },
            "last_changed that is not ISO 8601",
        ),
    ],
    ids=["no-email", "no-status", "tags-not-a-list", "bad-time"],
)
def test_a_malformed_member_is_a_clear_error_naming_it(entry: dict[str, Any], says: str) -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(MEMBERS_URL, json={"members": [FIVE[0], entry], "total_items": 2})
        with pytest.raises(FatalError, match=says):
            list(connector().members(LIST_ID))


def test_an_answer_without_total_items_is_a_clear_error() -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(MEMBERS_URL, json={"members": FIVE})
        with pytest.raises(FatalError, match="total_items is missing"):
            list(connector().members(LIST_ID))
