"""Tags (static segments): found or created once, members added and removed 500 a call."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import responses

from connector.errors import FatalError
from connector.mailchimp import EmailProblem
from tests.mailchimp_connector_helpers import (
    LIST_ID,
    LIST_URL,
    PROBLEM,
    Waits,
    body_of,
    connector,
    fixture,
    problem,
)

SEGMENTS = f"{LIST_URL}/segments"
NEWSLETTER = f"{SEGMENTS}/10001"


def test_an_existing_tag_is_found_whatever_the_letter_case() -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(SEGMENTS, json=fixture("segments.json"))
        tag = connector().ensure_tag(LIST_ID, " newsletter ")
        assert len(rsps.calls) == 1
    assert (tag.id, tag.name, tag.member_count, tag.created) == (10001, "Newsletter", 291, False)


def test_an_audiences_segments_are_listed_once_for_all_its_tags() -> None:
    """Tags found in the first listing cost no call; one made later is known from then on."""
    client = connector()
    with responses.RequestsMock() as rsps:
        rsps.get(SEGMENTS, json=fixture("segments.json"))
        rsps.post(SEGMENTS, json=fixture("segment_created.json"))
        first = client.ensure_tag(LIST_ID, "Newsletter")
        made = client.ensure_tag(LIST_ID, "Spring Sale")
        again = client.ensure_tag(LIST_ID, "spring sale")
        same = client.ensure_tag(LIST_ID, "NEWSLETTER")
        assert [c.request.method for c in rsps.calls] == ["GET", "POST"]
    assert (first.id, made.id, again.id, same.id) == (10001, 10006, 10006, 10001)
    assert made.created and not again.created


def test_a_missing_tag_is_created_as_a_static_segment() -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(SEGMENTS, json=fixture("segments.json"))
        rsps.post(SEGMENTS, json=fixture("segment_created.json"))
        tag = connector().ensure_tag(LIST_ID, "Spring Sale")
        assert body_of(rsps.calls[1]) == {"name": "Spring Sale", "static_segment": []}
    assert (tag.id, tag.name, tag.created) == (10006, "Spring Sale", True)


def test_a_create_lost_on_the_way_is_looked_for_again_then_made() -> None:
    waits = Waits()
    with responses.RequestsMock() as rsps:
        rsps.get(SEGMENTS, json=fixture("segments.json"))
        rsps.post(SEGMENTS, body=requests.ConnectionError("dropped"))
        rsps.get(SEGMENTS, json=fixture("segments.json"))
        rsps.post(SEGMENTS, json=fixture("segment_created.json"))
        tag = connector(waits).ensure_tag(LIST_ID, "Spring Sale")
        assert [c.request.method for c in rsps.calls] == ["GET", "POST", "GET", "POST"]
    assert tag.id == 10006 and len(waits.seconds) == 1


def test_a_tag_someone_else_made_meanwhile_is_taken_rather_than_an_error() -> None:
    made = {"segments": [fixture("segment_created.json")], "total_items": 1}
    with responses.RequestsMock() as rsps:
        rsps.get(SEGMENTS, json={"segments": [], "total_items": 0})
        rsps.post(
            SEGMENTS,
            status=400,
            json=problem(400, "Invalid Resource", 'A segment or tag named "Spring Sale" exists'),
            headers=PROBLEM,
        )
        rsps.get(SEGMENTS, json=made)
        tag = connector().ensure_tag(LIST_ID, "Spring Sale")
    assert tag.id == 10006 and tag.created is False


def test_a_saved_segment_with_the_tags_name_is_a_clear_error() -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(SEGMENTS, json=fixture("segments.json"))
        with pytest.raises(FatalError, match="'Recent subscribers' is the name of a saved segment"):
            connector().ensure_tag(LIST_ID, "Recent subscribers")


def test_segments_are_read_past_the_first_page() -> None:
    first = {"segments": [{"id": n, "name": f"T{n}", "type": "static"} for n in range(1000)]}
    second = {"segments": [{"id": 5000, "name": "Late", "type": "static", "member_count": 3}]}
    with responses.RequestsMock() as rsps:
        rsps.get(SEGMENTS, json={**first, "total_items": 1001})
        rsps.get(SEGMENTS, json={**second, "total_items": 1001})
        tag = connector().ensure_tag(LIST_ID, "late")
        assert "offset=1000" in (rsps.calls[1].request.url or "")
    assert tag.id == 5000


def test_adding_and_removing_report_every_address() -> None:
    add = ["lead0@example.net", "NOBODY@example.org", "already@example.org"]
    with responses.RequestsMock() as rsps:
        rsps.get(SEGMENTS, json=fixture("segments.json"))
        rsps.post(NEWSLETTER, json=fixture("segment_batch.json"))
        result = connector().tag_members(
            LIST_ID, "Newsletter", add=add, remove=["francesca.fabbri13@example.net"]
        )
        sent = body_of(rsps.calls[1])
    assert sent == {
        "members_to_add": add,
        "members_to_remove": ["francesca.fabbri13@example.net"],
    }
    assert result.added == ("lead0@example.net",)
    assert result.removed == ("francesca.fabbri13@example.net",)
    assert result.unchanged == ("already@example.org",)
    assert result.failed == (
        EmailProblem(
            "NOBODY@example.org", "These email addresses are not members of this audience."
        ),
    )


def test_addresses_go_500_a_call_each_way() -> None:
    bodies: list[dict[str, Any]] = []

    def segment_batch(request: Any) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)
        bodies.append(body)
        answer = {
            "members_added": [{"email_address": e} for e in body["members_to_add"]],
            "members_removed": [{"email_address": e} for e in body["members_to_remove"]],
            "errors": [],
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(answer)

    add = [f"a{n}@example.org" for n in range(1200)]
    remove = [f"r{n}@example.org" for n in range(600)]
    with responses.RequestsMock() as rsps:
        rsps.get(SEGMENTS, json=fixture("segments.json"))
        rsps.add_callback(responses.POST, NEWSLETTER, callback=segment_batch)
        result = connector().tag_members(LIST_ID, "Newsletter", add=add, remove=remove)
    sizes = sorted((len(b["members_to_add"]), len(b["members_to_remove"])) for b in bodies)
    assert sizes == [(200, 0), (500, 100), (500, 500)]
    assert (len(result.added), len(result.removed), result.failed) == (1200, 600, ())


def test_a_segment_call_that_keeps_failing_fails_its_addresses_as_data() -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(SEGMENTS, json=fixture("segments.json"))
        rsps.post(NEWSLETTER, status=500, body=b"")
        result = connector(max_attempts=2).tag_members(
            LIST_ID, "Newsletter", add=["a@example.org"], remove=["b@example.org"]
        )
    assert [p.email for p in result.failed] == ["a@example.org", "b@example.org"]
    assert (
        "answered 500" in result.failed[0].reason and "after 2 attempts" in result.failed[0].reason
    )


def test_the_same_address_given_twice_is_sent_once() -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(SEGMENTS, json=fixture("segments.json"))
        rsps.post(NEWSLETTER, json={"members_added": [], "members_removed": [], "errors": []})
        result = connector().tag_members(
            LIST_ID, "Newsletter", add=["a@example.org", " A@EXAMPLE.org"]
        )
        assert body_of(rsps.calls[1])["members_to_add"] == ["a@example.org"]
    assert result.unchanged == ("a@example.org",)


@pytest.mark.parametrize(
    ("add", "remove", "error", "says"),
    [
        (["a@example.org"], ["A@example.org"], ValueError, "both to add and to remove"),
        ("a@example.org", [], TypeError, "a list of addresses, not one string"),
        ([""], [], ValueError, "is not an email address"),
    ],
    ids=["add-and-remove", "one-string", "empty-address"],
)
def test_contradictory_or_malformed_requests_are_refused(
    add: Any, remove: Any, error: type[Exception], says: str
) -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(SEGMENTS, json=fixture("segments.json"))
        with pytest.raises(error, match=says):
            connector().tag_members(LIST_ID, "Newsletter", add=add, remove=remove)


def test_a_tag_needs_a_name() -> None:
    with pytest.raises(ValueError, match="non-empty name"):
        connector().ensure_tag(LIST_ID, "  ")
