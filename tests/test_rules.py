"""Rules over profiles: order, idempotence, conflicts, disabled rules and ticket actions."""

from __future__ import annotations

from typing import Any

import pytest

from mappings.engine import Evaluation, Mappings
from mappings.rules import Desired
from tests.mapping_helpers import NOW, check_files, sandbox_schema

ZENDESK = """\
[zendesk]
subdomain = "acme"
email = "admin@acme.test"
token = "env:ZENDESK_TOKEN"
"""
FLAG_THEN_ESCALATE = """
[[rules]]
name = "Flag bad ratings"
conditions = { all = [{ field = "satisfaction.bad_count", operator = "greater_than", value = 0 }] }
actions = [{ field = "user_fields.bad_rating_submitted", value = true }]

[[rules]]
name = "Escalate flagged customers"
conditions = { all = [{ field = "tags", operator = "includes", value = "bad_rating" }] }
actions = [
  { field = "tickets.priority", value = "High" },
  { field = "tickets.group", value = "returns" },
  { field = "tickets.add_tags", value = "escalated Follow_Up" },
]
"""


def compiled(rules: str) -> Mappings:
    loaded, problems = check_files({"config.toml": ZENDESK + rules}, schema=sandbox_schema())
    assert loaded is not None, problems
    return loaded.mappings


def evaluate(rules: str, profile: Any) -> Evaluation:
    return compiled(rules).evaluator(NOW)(profile)


def not_yet_true(desired: Desired, profile: dict[str, Any]) -> dict[str, object]:
    """The user field and tag claims that the profile does not already satisfy."""
    fields = profile.get("user_fields") or {}
    tags = profile.get("tags") or []
    new: dict[str, object] = {}
    for target, value in desired.claims().items():
        if target.startswith("user_fields."):
            if fields.get(target.removeprefix("user_fields.")) != value:
                new[target] = value
        elif target.startswith("tags.") and (target.removeprefix("tags.") in tags) != (
            value == "add"
        ):
            new[target] = value
    return new


def test_rules_fire_in_order_and_a_later_rule_sees_the_checkbox_tag() -> None:
    result = evaluate(FLAG_THEN_ESCALATE, {"satisfaction": {"bad_count": 1}, "tags": ["x"]})
    desired = result.desired
    assert desired.fired == ("Flag bad ratings", "Escalate flagged customers")
    assert desired.user_fields == {"bad_rating_submitted": True}
    assert desired.add_tags == {"bad_rating"}
    assert result.profile["tags"] == ["x", "bad_rating"]
    assert result.profile["user_fields"] == {"bad_rating_submitted": True}


def test_a_later_rule_does_not_see_what_an_earlier_rule_would_do_in_reverse_order() -> None:
    first, second = FLAG_THEN_ESCALATE.split("\n[[rules]]", 2)[1:]
    reversed_rules = f"\n[[rules]]{second}\n[[rules]]{first}"
    result = evaluate(reversed_rules, {"satisfaction": {"bad_count": 1}})
    assert result.desired.fired == ("Flag bad ratings",)
    assert result.desired.ticket_priority is None


def test_ticket_actions_are_wanted_as_normalised_values() -> None:
    desired = evaluate(FLAG_THEN_ESCALATE, {"tags": ["bad_rating"]}).desired
    assert desired.fired == ("Escalate flagged customers",)
    assert desired.ticket_priority == "high"
    assert desired.ticket_group == "Returns"
    assert desired.ticket_tags == {"escalated", "follow_up"}
    assert desired.actions() == {
        "tickets.priority": "high",
        "tickets.group": "Returns",
        "tickets.add_tags": ["escalated", "follow_up"],
    }
    assert desired.claims() == {
        "tickets.priority": "high",
        "tickets.group": "Returns",
        "tickets.tags.escalated": "add",
        "tickets.tags.follow_up": "add",
    }


def test_ticket_actions_do_not_change_the_profile_the_lists_see() -> None:
    seen = evaluate(FLAG_THEN_ESCALATE, {"tags": ["bad_rating"]}).profile
    assert seen["tags"] == ["bad_rating"]
    assert not seen.get("user_fields")
    assert "tickets" not in seen


def test_no_rule_fires_wants_nothing_and_leaves_the_profile_alone() -> None:
    profile = {"satisfaction": {"bad_count": 0}}
    result = evaluate(FLAG_THEN_ESCALATE, profile)
    assert not result.desired
    assert result.desired.claims() == {}
    assert result.profile is profile


@pytest.mark.parametrize(
    "profile",
    [
        pytest.param({"satisfaction": {"bad_count": 3}}, id="flag-and-escalate"),
        pytest.param({"satisfaction": {"bad_count": 1}, "tags": ["bad_rating"]}, id="half-done"),
        pytest.param(
            {"user_fields": {"bad_rating_submitted": False}, "satisfaction": {"bad_count": 2}},
            id="checkbox-clear",
        ),
    ],
)
def test_rules_are_idempotent_on_the_profile_they_leave(profile: dict[str, Any]) -> None:
    evaluator = compiled(FLAG_THEN_ESCALATE).evaluator(NOW)
    first = evaluator(profile)
    assert not_yet_true(first.desired, profile) != {}
    second = evaluator(first.profile)
    assert second.desired == first.desired
    assert second.profile == first.profile
    assert not_yet_true(second.desired, first.profile) == {}


CONFLICTING = """
[[rules]]
name = "Platinum"
actions = [{ field = "user_fields.service_level", value = "Platinum" }]

[[rules]]
name = "Gold"
actions = [{ field = "user_fields.service_level", value = "gold" }]

[[rules]]
name = "Also platinum"
actions = [
  { field = "user_fields.service_level", value = "platinum" },
  { field = "user_fields.vip", value = true },
]
"""


def test_two_rules_setting_one_field_differently_conflict_and_neither_applies() -> None:
    profile = {"user_fields": {"service_level": "silver"}}
    result = evaluate(CONFLICTING, profile)
    desired = result.desired
    assert desired.fired == ("Platinum", "Gold", "Also platinum")
    assert desired.user_fields == {"vip": True}
    assert [str(c) for c in desired.conflicts] == [
        "rules disagree on user_fields.service_level: 'Platinum' wants 'platinum'; "
        "'Gold' wants 'gold'; 'Also platinum' wants 'platinum' — neither is applied"
    ]
    assert result.profile["user_fields"] == {"service_level": "silver", "vip": True}
    assert result.profile["tags"] == ["vip"]


def test_adding_and_removing_one_tag_conflict() -> None:
    rules = """
[[rules]]
name = "Add"
actions = [{ field = "add_tags", value = "keep other" }]

[[rules]]
name = "Remove"
actions = [{ field = "remove_tags", value = ["KEEP"] }]
"""
    result = evaluate(rules, {"tags": ["keep"]})
    assert [str(c) for c in result.desired.conflicts] == [
        "rules disagree on tags.keep: 'Add' wants 'add'; 'Remove' wants 'remove' "
        "— neither is applied"
    ]
    assert result.desired.add_tags == {"other"}
    assert result.desired.remove_tags == frozenset()
    assert result.profile["tags"] == ["keep", "other"]


def test_a_checkbox_and_the_removal_of_its_tag_conflict_on_both() -> None:
    rules = """
[[rules]]
name = "Tick"
actions = [{ field = "user_fields.vip", value = true }]

[[rules]]
name = "Untag"
actions = [{ field = "remove_tags", value = "vip" }]
"""
    desired = evaluate(rules, {}).desired
    assert [c.target for c in desired.conflicts] == ["user_fields.vip", "tags.vip"]
    assert desired.claims() == {}


def test_agreeing_rules_do_not_conflict() -> None:
    rules = """
[[rules]]
name = "By name"
actions = [{ field = "user_fields.service_level", value = "Platinum" },
           { field = "user_fields.average_annual_spend", value = 100 }]

[[rules]]
name = "By tag"
actions = [{ field = "user_fields.service_level", value = "platinum" },
           { field = "user_fields.average_annual_spend", value = 100.0 },
           { field = "add_tags", value = "vip" }]

[[rules]]
name = "Checkbox"
actions = [{ field = "user_fields.vip", value = true }]
"""
    desired = evaluate(rules, {}).desired
    assert desired.conflicts == ()
    assert desired.user_fields == {
        "service_level": "platinum",
        "average_annual_spend": 100,
        "vip": True,
    }
    assert desired.add_tags == {"vip"}


def test_true_and_one_are_not_the_same_value() -> None:
    rules = """
[[rules]]
name = "Number"
actions = [{ field = "user_fields.score", value = 1 }]

[[rules]]
name = "Bool"
actions = [{ field = "user_fields.score", value = true }]
"""
    loaded, problems = check_files({"config.toml": ZENDESK + rules})  # no schema: untyped
    assert loaded is not None, problems
    desired = loaded.mappings.evaluator(NOW)({}).desired
    assert [str(c) for c in desired.conflicts] == [
        "rules disagree on user_fields.score: 'Number' wants 1; 'Bool' wants true "
        "— neither is applied"
    ]


def test_disabled_rules_do_not_run() -> None:
    rules = """
[[rules]]
name = "Off"
enabled = false
actions = [{ field = "add_tags", value = "off" }]

[[rules]]
name = "On"
actions = [{ field = "add_tags", value = "on" }]
"""
    mappings = compiled(rules)
    assert [rule.name for rule in mappings.rules] == ["On"]
    desired = mappings.evaluator(NOW)({}).desired
    assert desired.fired == ("On",)
    assert desired.add_tags == {"on"}


def test_a_disabled_rule_does_not_feed_later_rules() -> None:
    rules = FLAG_THEN_ESCALATE.replace(
        'name = "Flag bad ratings"', 'name = "Flag bad ratings"\nenabled = false'
    )
    desired = evaluate(rules, {"satisfaction": {"bad_count": 4}}).desired
    assert desired.fired == ()
    assert desired.claims() == {}


def test_rules_never_raise_on_odd_profiles() -> None:
    evaluator = compiled(FLAG_THEN_ESCALATE).evaluator(NOW)
    odd: list[Any] = [None, [], "text", {"tags": "bad_rating"}, {"user_fields": None}]
    for profile in odd:
        assert evaluator(profile).desired.conflicts == ()
