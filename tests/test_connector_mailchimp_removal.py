"""Archiving and erasing members; an address not on the list is reported, not raised."""

from __future__ import annotations

import pytest
import responses

from connector.mailchimp import AudienceNotFound, RemovalOutcome, subscriber_hash
from tests.mailchimp_connector_helpers import (
    LIST_ID,
    LIST_URL,
    PROBLEM,
    Waits,
    connector,
    fixture,
    problem,
)

ANN = f"{LIST_URL}/members/{subscriber_hash('ann@example.org')}"


def test_archiving_deletes_the_member_by_the_hash_of_its_lower_cased_address() -> None:
    with responses.RequestsMock() as rsps:
        rsps.delete(ANN, status=204)
        outcome = connector().archive(LIST_ID, " Ann@Example.org")
    assert outcome == RemovalOutcome("Ann@Example.org", "archived")


def test_erasing_posts_delete_permanent() -> None:
    with responses.RequestsMock() as rsps:
        rsps.post(f"{ANN}/actions/delete-permanent", status=204)
        outcome = connector().erase(LIST_ID, "ann@example.org")
    assert outcome == RemovalOutcome("ann@example.org", "erased")


@pytest.mark.parametrize(
    ("how", "method", "url"),
    [("archive", "DELETE", ANN), ("erase", "POST", f"{ANN}/actions/delete-permanent")],
    ids=["archive", "erase"],
)
def test_an_address_not_on_the_list_is_reported_as_such(how: str, method: str, url: str) -> None:
    """The 404 is the member's, not the audience's: the audience is looked up to be sure."""
    with responses.RequestsMock() as rsps:
        rsps.add(method, url, status=404, json=fixture("problem_404.json"), headers=PROBLEM)
        rsps.get(LIST_URL, json=fixture("list.json"))
        outcome = getattr(connector(), how)(LIST_ID, "ann@example.org")
        assert len(rsps.calls) == 2
    assert outcome == RemovalOutcome("ann@example.org", "not_on_list")


def test_a_missing_audience_is_not_mistaken_for_a_missing_member() -> None:
    with responses.RequestsMock() as rsps:
        rsps.delete(ANN, status=404, json=fixture("problem_404.json"), headers=PROBLEM)
        rsps.get(LIST_URL, status=404, json=fixture("problem_404.json"), headers=PROBLEM)
        with pytest.raises(AudienceNotFound, match="no audience with the id '6e57235ec6'"):
            connector().archive(LIST_ID, "ann@example.org")


def test_an_archive_that_fails_on_the_way_is_retried() -> None:
    waits = Waits()
    with responses.RequestsMock() as rsps:
        rsps.delete(ANN, status=502, json=problem(502, "Bad Gateway", "upstream"))
        rsps.delete(ANN, status=204)
        outcome = connector(waits).archive(LIST_ID, "ann@example.org")
    assert outcome.action == "archived" and len(waits.seconds) == 1


def test_a_non_address_is_refused() -> None:
    with pytest.raises(ValueError, match="not an email address"):
        connector().archive(LIST_ID, "ann")
