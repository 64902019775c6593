"""Lists and group_by: one sub-list per value, dropdowns by option name, rules' effects seen."""

from __future__ import annotations

from typing import Any

import pytest

from mappings.engine import Mappings
from tests.mapping_helpers import NOW, check_files, sandbox_schema

ZENDESK = """\
[zendesk]
subdomain = "acme"
email = "admin@acme.test"
token = "env:ZENDESK_TOKEN"
"""


def compiled(body: str) -> Mappings:
    loaded, problems = check_files({"config.toml": ZENDESK + body}, schema=sandbox_schema())
    assert loaded is not None, problems
    return loaded.mappings


def grouped_by(address: str, profile: Any) -> list[str]:
    mappings = compiled(f'[[lists]]\nname = "L"\ngroup_by = "{address}"\n')
    return mappings.evaluator(NOW)(profile).list_names()


@pytest.mark.parametrize(
    ("address", "profile", "expected"),
    [
        pytest.param(
            "user_fields.phone_model",
            {"user_fields": {"phone_model": "iphone_15"}},
            ["L: iPhone 15"],
            id="dropdown-by-option-name",
        ),
        pytest.param(
            "user_fields.social_influence",
            {"user_fields": {"social_influence": "social_influence_high"}},
            ["L: High"],
            id="dropdown-tag-with-prefix",
        ),
        pytest.param(
            "user_fields.phone_model",
            {"user_fields": {"phone_model": "nokia_3310"}},
            ["L: nokia_3310"],
            id="dropdown-value-not-an-option-shown-as-is",
        ),
        pytest.param(
            "user_fields.ios_version",
            {"user_fields": {"ios_version": " 17.4.1 "}},
            ["L: 17.4.1"],
            id="text-trimmed",
        ),
        pytest.param(
            "user_fields.average_annual_spend",
            {"user_fields": {"average_annual_spend": 250.0}},
            ["L: 250"],
            id="whole-number-without-decimals",
        ),
        pytest.param(
            "user_fields.average_annual_spend",
            {"user_fields": {"average_annual_spend": 99.5}},
            ["L: 99.5"],
            id="decimal-number",
        ),
        pytest.param("tickets.count", {"tickets": {"count": 3}}, ["L: 3"], id="number"),
        pytest.param("user_fields.vip", {"user_fields": {"vip": True}}, ["L: Yes"], id="true"),
        pytest.param("user_fields.vip", {"user_fields": {"vip": False}}, ["L: No"], id="false"),
        pytest.param(
            "tags",
            {"tags": ["vip", "wholesale", "vip"]},
            ["L: vip", "L: wholesale"],
            id="list-one-per-item",
        ),
        pytest.param(
            "tickets.channels",
            {"tickets": {"channels": ["email", "", "web"]}},
            ["L: email", "L: web"],
            id="list-skips-empty-items",
        ),
        pytest.param("tags", {"tags": []}, [], id="empty-list"),
        pytest.param("user_fields.phone_model", {"user_fields": {}}, [], id="missing"),
        pytest.param(
            "user_fields.phone_model", {"user_fields": {"phone_model": None}}, [], id="null"
        ),
        pytest.param(
            "user_fields.ios_version", {"user_fields": {"ios_version": "  "}}, [], id="blank"
        ),
        pytest.param(
            "user_fields.ios_version",
            {"user_fields": {"ios_version": {"major": 17}}},
            [],
            id="table-is-no-value",
        ),
        pytest.param("user_fields.phone_model", None, [], id="no-profile"),
    ],
)
def test_group_by(address: str, profile: Any, expected: list[str]) -> None:
    assert grouped_by(address, profile) == expected


def test_group_by_without_a_schema_uses_the_raw_value() -> None:
    loaded, problems = check_files(
        {"config.toml": ZENDESK + '[[lists]]\nname = "L"\ngroup_by = "user_fields.phone_model"\n'}
    )
    assert loaded is not None, problems
    evaluate = loaded.mappings.evaluator(NOW)
    assert evaluate({"user_fields": {"phone_model": "iphone_15"}}).list_names() == ["L: iphone_15"]


def test_memberships_name_the_list_and_the_group() -> None:
    mappings = compiled('[[lists]]\nname = "Phones"\ngroup_by = "user_fields.phone_model"\n')
    result = mappings.evaluator(NOW)({"user_fields": {"phone_model": "iPhone 12"}})
    (membership,) = result.memberships
    assert (membership.list, membership.group, membership.name) == (
        "Phones",
        "iPhone 12",
        "Phones: iPhone 12",
    )


def test_conditions_and_group_by_both_decide() -> None:
    mappings = compiled(
        '[[lists]]\nname = "Phones"\ngroup_by = "user_fields.phone_model"\n'
        'conditions = { all = [{ field = "user_fields.vip", operator = "is", value = true }] }\n'
        '[[lists]]\nname = "Everyone"\n'
    )
    evaluate = mappings.evaluator(NOW)
    vip = {"user_fields": {"vip": True, "phone_model": "iphone_13"}}
    other = {"user_fields": {"vip": False, "phone_model": "iphone_13"}}
    assert sorted(evaluate(vip).list_names()) == ["Everyone", "Phones: iPhone 13"]
    assert evaluate(other).list_names() == ["Everyone"]


RULES_AND_LISTS = """
[[rules]]
name = "Flag bad ratings"
conditions = { all = [{ field = "satisfaction.bad_count", operator = "greater_than", value = 0 }] }
actions = [{ field = "user_fields.bad_rating_submitted", value = true },
           { field = "user_fields.service_level", value = "Bronze" }]

[[lists]]
name = "Bad rating submitted"
conditions = { all = [{ field = "tags", operator = "includes", value = "bad_rating" }] }

[[lists]]
name = "Levels"
group_by = "user_fields.service_level"
"""


def test_lists_see_the_rules_effects_in_the_same_run() -> None:
    evaluate = compiled(RULES_AND_LISTS).evaluator(NOW)
    result = evaluate({"satisfaction": {"bad_count": 1}, "user_fields": {"service_level": "gold"}})
    assert result.list_names() == ["Bad rating submitted", "Levels: Bronze"]
    untouched = evaluate(
        {"satisfaction": {"bad_count": 0}, "user_fields": {"service_level": "gold"}}
    )
    assert untouched.list_names() == ["Levels: Gold"]


def test_lists_do_not_see_a_conflicting_value() -> None:
    body = RULES_AND_LISTS + (
        '\n[[rules]]\nname = "Gold for all"\n'
        'actions = [{ field = "user_fields.service_level", value = "Gold" }]\n'
    )
    result = compiled(body).evaluator(NOW)(
        {"satisfaction": {"bad_count": 1}, "user_fields": {"service_level": "silver"}}
    )
    assert [c.target for c in result.desired.conflicts] == ["user_fields.service_level"]
    assert result.list_names() == ["Bad rating submitted", "Levels: Silver"]


def test_mailchimp_tags_are_the_list_name_or_the_tag_and_per_group_tag_colon_value() -> None:
    mappings = compiled(
        '[mailchimp]\napi_key = "env:MAILCHIMP_API_KEY"\n'
        '[[lists]]\nname = "Phone owners"\ngroup_by = "user_fields.phone_model"\n'
        'mailchimp = { audience = "Retail" }\n'
        '[[lists]]\nname = "VIP customers"\nmailchimp = { audience = "Retail", tag = "VIP" }\n'
        '[[lists]]\nname = "Tablets"\ngroup_by = "user_fields.tablet"\n'
        'mailchimp = { audience = "Retail", tag = "Tablet" }\n'
        '[[lists]]\nname = "Export only"\n'
    )
    profile = {"user_fields": {"phone_model": "iphone_15", "tablet": "ipad_air"}, "tags": ["vip"]}
    result = mappings.evaluator(NOW)(profile)
    tags = {
        m.name: mappings.list_named(m.list).mailchimp_tag(m)  # type: ignore[union-attr]
        for m in result.memberships
    }
    assert tags == {
        "VIP customers": "VIP",
        "Export only": None,
        "Phone owners: iPhone 15": "Phone owners: iPhone 15",
        "Tablets: iPad Air": "Tablet: iPad Air",
    }
