"""The seeded members of each audience, and listing them: paging, filters, fields, changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer
from tests.conftest import SANDBOX_SEED, SANDBOX_USERS
from tests.mailchimp_helpers import RETAIL, WHOLESALE, Api, iso, md5, problem_of


@pytest.fixture
def api(sandbox: SandboxServer) -> Api:
    return Api(sandbox)


# --- the seeded members ---------------------------------------------------------------------------


def test_about_45_percent_of_reachable_customers_are_retail_members_plus_leads(
    sandbox: SandboxServer, api: Api
) -> None:
    population = sandbox.app.world.population
    reachable = [
        person
        for person in map(population.person, range(population.size))
        if person.is_customer and person.email and person.deletion != "permanent"
    ]
    members = api.members()
    leads = [m for m in members if m["email_address"].startswith("lead")]
    customers = len(members) - len(leads)
    assert 0.40 < customers / len(reachable) < 0.50
    assert 0.04 * population.size <= len(leads) <= 0.06 * population.size
    zendesk = {p.email.lower() for p in reachable if p.email}
    assert not any(lead["email_address"] in zendesk for lead in leads)
    statuses = [m["status"] for m in members]
    assert 0.70 < statuses.count("subscribed") / len(statuses) < 0.86
    assert {"subscribed", "unsubscribed", "cleaned", "pending", "transactional"} == set(statuses)


def test_a_customer_who_typed_capitals_is_a_lower_case_member(
    sandbox: SandboxServer, api: Api
) -> None:
    population = sandbox.app.world.population
    emails = {m["email_address"] for m in api.members()}
    mixed = [
        person.email
        for person in map(population.person, range(population.size))
        if person.email and person.email != person.email.lower() and person.email.lower() in emails
    ]
    assert mixed, "the seeded data should hold some 'same email, different case' customers"
    member = api.get(f"/lists/{api.list_id()}/members/{md5(mixed[0])}").json()
    assert member["email_address"] == mixed[0].lower()
    assert member["id"] == md5(mixed[0])


def test_erased_addresses_are_zendesk_customers_who_are_not_members(
    sandbox: SandboxServer, api: Api
) -> None:
    forgotten = api.forgotten()
    assert 1 <= len(forgotten) <= 20
    population = sandbox.app.world.population
    customers = {p.email.lower() for p in map(population.person, range(population.size)) if p.email}
    assert set(forgotten) <= customers
    assert api.get(f"/lists/{api.list_id()}/members/{md5(forgotten[0])}").status_code == 404


def test_a_member_carries_the_fields_of_the_spec(api: Api) -> None:
    member = api.get(f"/lists/{api.list_id()}/members", count=1).json()["members"][0]
    assert member["id"] == md5(member["email_address"])
    assert set(member["merge_fields"]) == {"FNAME", "LNAME", "PHONE", "BIRTHDAY"}
    assert (
        member["full_name"]
        == f"{member['merge_fields']['FNAME']} {member['merge_fields']['LNAME']}"
    )
    for key in (
        "unique_email_id",
        "contact_id",
        "web_id",
        "email_type",
        "stats",
        "ip_signup",
        "timestamp_signup",
        "timestamp_opt",
        "member_rating",
        "last_changed",
        "language",
        "vip",
        "location",
        "source",
        "tags_count",
        "tags",
        "list_id",
        "_links",
    ):
        assert key in member, key
    assert {link["rel"] for link in member["_links"]} >= {"self", "parent", "upsert", "delete"}


def test_seeded_times_come_before_the_anchor(sandbox: SandboxServer, api: Api) -> None:
    anchor = datetime.fromtimestamp(sandbox.app.world.anchor, UTC)
    for member in api.members():
        assert member["timestamp_signup"] <= member["last_changed"] < iso(anchor)


def test_audiences_are_scoped_a_customer_on_both_is_two_members(api: Api) -> None:
    retail = {m["email_address"]: m for m in api.members(RETAIL)}
    wholesale = {m["email_address"]: m for m in api.members(WHOLESALE)}
    both = sorted(retail.keys() & wholesale.keys())
    assert both and retail.keys() - wholesale.keys()
    only_retail = sorted(retail.keys() - wholesale.keys())[0]
    wholesale_id = api.list_id(WHOLESALE)
    assert api.get(f"/lists/{wholesale_id}/members/{md5(only_retail)}").status_code == 404
    assert api.get(f"/lists/{wholesale_id}/members/{md5(both[0])}").status_code == 200


def test_the_same_seed_gives_the_same_members_on_two_servers() -> None:
    def members(seed: int) -> list[dict[str, Any]]:
        with SandboxServer(
            SandboxConfig(users=300, seed=seed, rate_limits="off", anchor=1_700_000_000)
        ) as server:
            api = Api(server)
            body = api.get(f"/lists/{api.list_id()}/members", count=1000).json()
            members: list[dict[str, Any]] = body["members"]
            for member in members:
                member.pop("_links")
            return members

    first = members(7)
    assert first == members(7)
    assert first != members(8)


# --- listing members ------------------------------------------------------------------------------


def test_paging_with_offset_and_count_reaches_exactly_total_items(mailchimp_client: Any) -> None:
    list_id = mailchimp_client.lists.get_all_lists()["lists"][0]["id"]
    seen: list[str] = []
    offset, total = 0, None
    while total is None or offset < total:
        page = mailchimp_client.lists.get_list_members_info(list_id, count=250, offset=offset)
        total = page["total_items"]
        seen += [m["id"] for m in page["members"]]
        offset += 250
    assert len(seen) == len(set(seen)) == total


def test_count_defaults_to_10_and_may_not_pass_1000(api: Api) -> None:
    path = f"/lists/{api.list_id()}/members"
    assert len(api.get(path).json()["members"]) == 10
    everyone = api.get(path, count=1000).json()
    assert len(everyone["members"]) == min(1000, everyone["total_items"])
    body = problem_of(api.get(path, count=1001), 400)
    assert body["errors"][0]["field"] == "count"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"offset": "-1"}, "offset"),
        ({"count": "ten"}, "count"),
        ({"status": "happy"}, "status"),
        ({"since_last_changed": "yesterday"}, "since_last_changed"),
        ({"vip_only": "maybe"}, "vip_only"),
        ({"sort_field": "last_changed"}, "sort_field"),
    ],
    ids=[
        "negative-offset",
        "count-not-a-number",
        "unknown-status",
        "bad-time",
        "bad-boolean",
        "unemulated-sort",
    ],
)
def test_bad_query_parameters_are_named_in_the_400(
    api: Api, params: dict[str, str], field: str
) -> None:
    body = problem_of(api.get(f"/lists/{api.list_id()}/members", **params), 400)
    assert body["title"] == "Invalid Resource"
    assert body["errors"][0]["field"] == field


def test_status_filter_lists_only_that_status(api: Api) -> None:
    page = api.get(f"/lists/{api.list_id()}/members", status="cleaned", count=1000).json()
    expected = sum(m["status"] == "cleaned" for m in api.members())
    assert page["total_items"] == expected == len(page["members"])
    assert {m["status"] for m in page["members"]} == {"cleaned"}


def test_fields_keeps_only_the_dotted_paths_asked_for(mailchimp_client: Any) -> None:
    list_id = mailchimp_client.lists.get_all_lists()["lists"][0]["id"]
    page = mailchimp_client.lists.get_list_members_info(
        list_id,
        count=3,
        fields=["members.email_address", "members.merge_fields.FNAME", "total_items"],
    )
    assert set(page) == {"members", "total_items"}
    assert all(set(m) == {"email_address", "merge_fields"} for m in page["members"])
    assert all(set(m["merge_fields"]) == {"FNAME"} for m in page["members"])


def test_exclude_fields_drops_the_dotted_paths(api: Api) -> None:
    page = api.get(
        f"/lists/{api.list_id()}/members", count=2, exclude_fields="members._links,_links"
    ).json()
    assert "_links" not in page and page["total_items"] > 2
    assert all("_links" not in m and "email_address" in m for m in page["members"])


def test_since_last_changed_lists_only_members_changed_after(
    mailchimp_client: Any, api: Api
) -> None:
    list_id = api.list_id()
    before = datetime.now(UTC) - timedelta(seconds=2)
    email = api.email_with("subscribed", skip=3)
    mailchimp_client.lists.set_list_member(
        list_id,
        md5(email),
        {
            "email_address": email,
            "status_if_new": "subscribed",
            "merge_fields": {"FNAME": "Renamed"},
        },
    )
    page = mailchimp_client.lists.get_list_members_info(list_id, since_last_changed=iso(before))
    assert [m["email_address"] for m in page["members"]] == [email]
    assert page["total_items"] == 1
    later = iso(datetime.now(UTC) + timedelta(seconds=2))
    assert api.get(f"/lists/{list_id}/members", since_last_changed=later).json()["total_items"] == 0


def test_a_mutation_unsubscribes_someone_and_since_last_changed_finds_them(api: Api) -> None:
    before = iso(datetime.now(UTC) - timedelta(seconds=2))
    change = api.control("mutate", {"kinds": ["mailchimp_unsubscribe"]})["changes"][0]
    assert change["old_status"] == "subscribed" and change["new_status"] == "unsubscribed"
    page = api.get(f"/lists/{change['list_id']}/members", since_last_changed=before).json()
    assert [(m["email_address"], m["status"]) for m in page["members"]] == [
        (change["email"], "unsubscribed")
    ]


@pytest.mark.parametrize(
    ("kind", "old", "new"),
    [
        ("mailchimp_cleaned", {"subscribed", "pending"}, "cleaned"),
        ("mailchimp_signup", {None}, "subscribed"),
    ],
    ids=["bounce", "signup"],
)
def test_mutations_bounce_members_and_sign_up_strangers(
    sandbox: SandboxServer, api: Api, kind: str, old: set[str | None], new: str
) -> None:
    change = api.control("mutate", {"kinds": [kind]})["changes"][0]
    assert change["old_status"] in old and change["new_status"] == new
    member = api.get(f"/lists/{change['list_id']}/members/{md5(change['email'])}").json()
    assert member["status"] == new
    population = sandbox.app.world.population
    if kind == "mailchimp_signup":
        assert not any(
            (p.email or "").lower() == change["email"]
            for p in map(population.person, range(population.size))
        )


def test_reset_forgets_every_change(api: Api) -> None:
    list_id = api.list_id()
    email = api.email_with("subscribed")
    api.call("DELETE", f"/lists/{list_id}/members/{md5(email)}")
    assert api.get(f"/lists/{list_id}/members/{md5(email)}").json()["status"] == "archived"
    api.control("reset")
    assert api.get(f"/lists/{list_id}/members/{md5(email)}").json()["status"] == "subscribed"


def test_reseeding_rebuilds_the_audiences(api: Api) -> None:
    try:
        api.control("seed", {"users": 500, "seed": 3})
        assert len(api.members()) < 400
    finally:
        api.control("seed", {"users": SANDBOX_USERS, "seed": SANDBOX_SEED})
    assert len(api.members()) > 800
