"""The Mailchimp connector finds the audience the admin's config names, by name or by id."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from connector.errors import FatalError
from connector.mailchimp import (
    AmbiguousAudience,
    AudienceNotFound,
    AudienceRef,
    MailchimpConnector,
)
from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer
from tests.conftest import MAILCHIMP_KEY
from tests.mailchimp_connector_helpers import (
    BASE,
    PROBLEM,
    Waits,
    assert_no_secret,
    connector,
    problem,
)

LISTS_URL = f"{BASE}/lists"
FIELDS = "lists.id,lists.name,total_items"
RETAIL = {"id": "6e57235ec6", "name": "Retail Customers"}
WHOLESALE = {"id": "b2f1c09a7d", "name": "Wholesale Leads"}


def lists_page(audiences: list[dict[str, Any]], total: int | None = None) -> dict[str, Any]:
    """`GET /lists?fields=lists.id,lists.name,total_items`, as Mailchimp answers it."""
    return {
        "lists": [dict(a) for a in audiences],
        "total_items": len(audiences) if total is None else total,
    }


def queries(rsps: responses.RequestsMock) -> list[dict[str, str]]:
    return [
        {k: v[0] for k, v in parse_qs(urlsplit(str(call.request.url)).query).items()}
        for call in rsps.calls
    ]


def find(name_or_id: str, *audiences: dict[str, Any]) -> AudienceRef:
    with responses.RequestsMock() as rsps:
        rsps.get(LISTS_URL, json=lists_page(list(audiences)))
        return connector().find_audience(name_or_id)


# --- reading the audiences ----------------------------------------------------------------------


def test_audiences_reads_ids_and_names_in_one_page_of_1000() -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(LISTS_URL, json=lists_page([RETAIL, WHOLESALE]))
        found = connector().audiences()
        asked = queries(rsps)
    assert found == [
        AudienceRef("6e57235ec6", "Retail Customers"),
        AudienceRef("b2f1c09a7d", "Wholesale Leads"),
    ]
    assert asked == [{"fields": FIELDS, "count": "1000", "offset": "0"}]


def test_audiences_pages_by_offset_until_every_one_is_read() -> None:
    many = [{"id": f"a{n:09d}", "name": f"Audience {n}"} for n in range(2003)]

    def account(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        query = parse_qs(urlsplit(str(request.url)).query)
        offset, count = int(query["offset"][0]), int(query["count"][0])
        return 200, {}, json.dumps(lists_page(many[offset : offset + count], total=len(many)))

    with responses.RequestsMock() as rsps:
        rsps.add_callback(
            responses.GET, LISTS_URL, callback=account, content_type="application/json"
        )
        mailchimp = connector()
        found = mailchimp.audiences()
        last = mailchimp.find_audience("audience 2002")
        offsets = [q["offset"] for q in queries(rsps)]
    assert [a.id for a in found] == [a["id"] for a in many]
    assert offsets == ["0", "1000", "2000"] * 2
    assert last == AudienceRef("a000002002", "Audience 2002")


def test_audiences_retries_a_throttled_page() -> None:
    waits = Waits()
    with responses.RequestsMock() as rsps:
        rsps.get(
            LISTS_URL,
            status=429,
            json=problem(429, "Too Many Requests", "You have exceeded the limit"),
            headers={**PROBLEM, "Retry-After": "2"},
        )
        rsps.get(LISTS_URL, json=lists_page([RETAIL]))
        found = connector(waits).audiences()
    assert found == [AudienceRef(RETAIL["id"], RETAIL["name"])]
    assert waits.seconds == [2.0]


def test_an_answer_without_lists_is_an_error_not_an_empty_account() -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(LISTS_URL, json={"total_items": 3})
        with pytest.raises(FatalError, match="no lists or total_items"):
            connector().audiences()


# --- finding one --------------------------------------------------------------------------------


def test_the_exact_name_finds_the_audience() -> None:
    assert find("Retail Customers", WHOLESALE, RETAIL) == AudienceRef(
        "6e57235ec6", "Retail Customers"
    )


def test_the_name_is_found_with_letter_case_and_surrounding_spaces_aside() -> None:
    assert find("  retail CUSTOMERS ", WHOLESALE, RETAIL).id == "6e57235ec6"


def test_the_id_finds_the_audience_and_wins_over_a_name() -> None:
    named_like_an_id = {"id": "0000000000", "name": "6e57235ec6"}
    assert find("6e57235ec6", named_like_an_id, RETAIL) == AudienceRef(
        "6e57235ec6", "Retail Customers"
    )


def test_an_exact_name_wins_over_one_that_differs_only_in_letter_case() -> None:
    shouting = {"id": "c0ffee0000", "name": "RETAIL CUSTOMERS"}
    assert find("RETAIL CUSTOMERS", RETAIL, shouting).id == "c0ffee0000"


def test_no_match_names_the_audiences_the_account_has() -> None:
    with pytest.raises(AudienceNotFound) as raised:
        find("Retail", RETAIL, WHOLESALE)
    message = str(raised.value)
    assert "no audience named or with the id 'Retail'" in message
    assert "'Retail Customers' (id 6e57235ec6)" in message
    assert "'Wholesale Leads' (id b2f1c09a7d)" in message
    assert isinstance(raised.value, FatalError)
    assert_no_secret(raised.value)


def test_a_near_miss_gets_a_did_you_mean() -> None:
    with pytest.raises(AudienceNotFound, match=r"did you mean 'Retail Customers'\?"):
        find("Retail Customer", RETAIL, WHOLESALE)


def test_no_match_in_a_large_account_names_twenty_and_counts_the_rest() -> None:
    many = [{"id": f"id{n:08d}", "name": f"Store {n}"} for n in range(25)]
    with pytest.raises(AudienceNotFound) as raised:
        find("Retail Customers", *many)
    message = str(raised.value)
    assert "'Store 19' (id id00000019)" in message
    assert "Store 20" not in message
    assert "and 5 more" in message


def test_no_match_in_an_account_without_audiences_says_so() -> None:
    with pytest.raises(AudienceNotFound, match="the account has no audiences"):
        find("Retail Customers")


def test_two_names_equal_but_for_letter_case_are_ambiguous_and_both_ids_are_named() -> None:
    shouting = {"id": "c0ffee0000", "name": "RETAIL CUSTOMERS"}
    with pytest.raises(AmbiguousAudience) as raised:
        find("retail customers", RETAIL, shouting, WHOLESALE)
    message = str(raised.value)
    assert "6e57235ec6" in message and "c0ffee0000" in message
    assert "b2f1c09a7d" not in message
    assert isinstance(raised.value, FatalError)


def test_two_audiences_with_the_very_same_name_are_ambiguous_too() -> None:
    twin = {"id": "7a1c0de000", "name": "Retail Customers"}
    with pytest.raises(AmbiguousAudience, match=r"6e57235ec6.*7a1c0de000"):
        find("Retail Customers", RETAIL, twin)


@pytest.mark.parametrize("blank", ["", "   "], ids=["empty", "spaces"])
def test_a_blank_name_is_refused_before_any_call(blank: str) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(LISTS_URL, json=lists_page([RETAIL]))
        with pytest.raises(ValueError, match="non-empty name or id"):
            connector().find_audience(blank)
        assert not rsps.calls


# --- against the sandbox ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def own_sandbox() -> Iterator[SandboxServer]:
    """A sandbox of this module's own: the shared one's fault draws follow its request count
    (which `/_sandbox/reset` keeps), so requests made here would shift other modules' faults."""
    with SandboxServer(SandboxConfig(users=200, seed=42, rate_limits="off")) as server:
        yield server


def test_the_sandbox_retail_audience_is_found_by_its_name_in_lower_case(
    own_sandbox: SandboxServer,
) -> None:
    mailchimp = MailchimpConnector(MAILCHIMP_KEY, f"{own_sandbox.url}/3.0", requests.Session())
    found = mailchimp.find_audience("retail customers")
    assert found.name == "Retail Customers"
    assert mailchimp.check(found.id).name == "Retail Customers"
    assert {a.name for a in mailchimp.audiences()} == {"Retail Customers", "Wholesale Leads"}
