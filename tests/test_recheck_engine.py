"""`Mappings.next_change`: until the moment it returns, evaluating a profile again gives the same
outcome (what the rules want, where the customer belongs); at it, a relative date has moved.

The config below has the interactions that make it more than a minimum over conditions: a rule
sets a date that a list (on the profile as the rules leave it) and a later rule (on the
sequential path) read, and a list reads a tag that a rule with a relative date adds.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mappings.conditions.values import DAY_US, as_time, now_us
from mappings.engine import Evaluation, Mappings
from tests.mapping_helpers import NOW, check_files

ZENDESK = """\
[zendesk]
subdomain = "acme"
email = "admin@acme.test"
token = "env:ZENDESK_TOKEN"
"""
TRIAL_ENDS = "2026-12-01T00:00:00Z"
CONFIG = f"""
[[rules]]
name = "Trial starts"
conditions.all = [{{ field = "tags", operator = "includes", value = "trial" }}]
actions = [{{ field = "user_fields.trial_ends", value = "{TRIAL_ENDS}" }}]

[[rules]]
name = "Trial ends within a week"
conditions.all = [
  {{ field = "user_fields.trial_ends", operator = "within_next_n_days", value = 7 }},
]
actions = [{{ field = "user_fields.nudge", value = true }}]

[[rules]]
name = "Lapsed"
conditions.all = [
  {{ field = "tickets.last_created_at", operator = "more_than_n_days_ago", value = 30 }},
]
actions = [{{ field = "add_tags", value = "lapsed" }}]

[[lists]]
name = "Trial ends within 3 days"
conditions.all = [
  {{ field = "user_fields.trial_ends", operator = "within_next_n_days", value = 3 }},
]

[[lists]]
name = "New customers"
conditions.all = [{{ field = "user.created_at", operator = "within_previous_n_days", value = 30 }}]

[[lists]]
name = "Lapsed customers"
conditions.all = [{{ field = "tags", operator = "includes", value = "lapsed" }}]
"""
SPANS = [0, 3 * DAY_US, 7 * DAY_US, 30 * DAY_US]
MOMENT = now_us(NOW)


def compiled(text: str = CONFIG) -> Mappings:
    loaded, problems = check_files({"config.toml": ZENDESK + text})
    assert loaded is not None, problems
    return loaded.mappings


MAPPINGS = compiled()


def at(moment: int) -> datetime:
    return NOW + timedelta(microseconds=moment - MOMENT)


def outcome(evaluation: Evaluation) -> tuple[Any, ...]:
    return evaluation.desired, evaluation.memberships


def test_a_list_reads_the_date_a_rule_sets_not_the_one_pulled() -> None:
    """The pulled profile has no trial end; the rules give it one, which the list counts from."""
    evaluation = MAPPINGS.evaluate({"tags": ["trial"]}, NOW)
    assert evaluation.list_names() == []
    change = MAPPINGS.next_change(evaluation, NOW)
    ends = as_time(TRIAL_ENDS)
    assert ends is not None
    assert change == ends - 7 * DAY_US  # the rule's week opens first; the list's 3 days later
    assert MAPPINGS.evaluate({"tags": ["trial"]}, at(change)).desired.fired == (
        "Trial starts",
        "Trial ends within a week",
    )
    later = MAPPINGS.evaluate({"tags": ["trial"]}, at(change))
    assert MAPPINGS.next_change(later, at(change)) == ends - 3 * DAY_US
    assert MAPPINGS.evaluate({"tags": ["trial"]}, at(ends - 3 * DAY_US)).list_names() == [
        "Trial ends within 3 days"
    ]


def test_a_later_rule_reading_a_date_an_earlier_rule_sets_is_rechecked_when_it_comes() -> None:
    """Only a rule's claim holds the date the second rule reads (the sequential path)."""
    mappings = compiled(CONFIG.split('[[rules]]\nname = "Lapsed"')[0])
    evaluation = mappings.evaluate({"tags": ["trial"]}, NOW)
    assert evaluation.desired.fired == ("Trial starts",)
    ends = as_time(TRIAL_ENDS)
    assert ends is not None
    assert mappings.next_change(evaluation, NOW) == ends - 7 * DAY_US


def test_a_date_two_rules_disagree_on_is_rechecked_for_the_later_rule_that_saw_it() -> None:
    """Neither date is applied (a conflict), yet the third rule saw the second's on its way."""
    first, second = NOW + timedelta(days=20), NOW + timedelta(days=10)
    mappings = compiled(
        f"""
[[rules]]
name = "Trial"
conditions.all = [{{ field = "tags", operator = "includes", value = "trial" }}]
actions = [{{ field = "user_fields.trial_ends", value = "{first.isoformat()}" }}]

[[rules]]
name = "Promotion"
conditions.all = [{{ field = "tags", operator = "includes", value = "promo" }}]
actions = [{{ field = "user_fields.trial_ends", value = "{second.isoformat()}" }}]

[[rules]]
name = "Trial ends within a week"
conditions.all = [
  {{ field = "user_fields.trial_ends", operator = "within_next_n_days", value = 7 }},
]
actions = [{{ field = "user_fields.nudge", value = true }}]
"""
    )
    profile = {"tags": ["trial", "promo"]}
    evaluation = mappings.evaluate(profile, NOW)
    assert evaluation.desired.conflicts and not evaluation.change
    change = mappings.next_change(evaluation, NOW)
    assert change == now_us(second) - 7 * DAY_US
    assert mappings.evaluate(profile, at(change - 1)).desired.user_fields == {}
    assert mappings.evaluate(profile, at(change)).desired.user_fields == {"nudge": True}


def test_a_list_on_a_tag_a_dated_rule_adds_changes_when_the_rule_does() -> None:
    last_ticket = NOW - timedelta(days=20)
    profile = {"tickets": {"last_created_at": int(last_ticket.timestamp())}}
    evaluation = MAPPINGS.evaluate(profile, NOW)
    change = MAPPINGS.next_change(evaluation, NOW)
    assert change == now_us(last_ticket) + 30 * DAY_US + 1
    assert MAPPINGS.evaluate(profile, at(change - 1)).list_names() == []
    assert MAPPINGS.evaluate(profile, at(change)).list_names() == ["Lapsed customers"]


def test_a_profile_without_dates_is_never_rechecked() -> None:
    assert MAPPINGS.next_change(MAPPINGS.evaluate({"tags": ["vip"]}, NOW), NOW) is None


def test_mappings_without_relative_dates_never_change_with_time() -> None:
    mappings = compiled(
        '[[lists]]\nname = "VIP"\n'
        'conditions.all = [{ field = "tags", operator = "includes", value = "vip" }]\n'
    )
    profile = {"tags": ["vip"], "user": {"created_at": "2026-11-20"}}
    assert mappings.next_change(mappings.evaluate(profile, NOW), NOW) is None


# --- brute force over random profiles -------------------------------------------------------

near_now = st.builds(
    lambda d, s: NOW + timedelta(days=d, seconds=s),
    st.integers(-40, 40),
    st.sampled_from([-1, 0, 1]),
)
time_data = st.one_of(
    near_now.map(lambda m: m.strftime("%Y-%m-%dT%H:%M:%SZ")),
    near_now.map(lambda m: int(m.timestamp())),
    st.sampled_from([None, "never"]),
)


@st.composite
def profiles(draw: st.DrawFn) -> dict[str, Any]:
    profile: dict[str, Any] = {
        "user": {"created_at": draw(time_data)},
        "tickets": {"last_created_at": draw(time_data)},
        "tags": draw(st.sampled_from([[], ["trial"], ["lapsed"]])),
    }
    if draw(st.booleans()):
        profile["user_fields"] = {"trial_ends": draw(time_data)}
    return profile


def grid_of(profile: dict[str, Any]) -> list[int]:
    """Every moment at which a window of the config may open or close for this profile."""
    values = [
        profile["user"]["created_at"],
        profile["tickets"]["last_created_at"],
        (profile.get("user_fields") or {}).get("trial_ends"),
        TRIAL_ENDS,
    ]
    times = [t for value in values if (t := as_time(value)) is not None]
    return sorted(
        {t + k * span + d for t in times for span in SPANS for k in (-1, 0, 1) for d in (-1, 0, 1)}
    )


def flipped_conditions(evaluation_now: Evaluation, moment: int) -> list[str]:
    """The relative-date conditions whose outcome at `moment` differs from now's, each read on
    the profile it is evaluated on (a rule's also on the values rules set)."""
    flipped = []
    rule_profiles = [evaluation_now.original, evaluation_now.profile]
    for rule in MAPPINGS.rules:
        for leaf in rule.conditions.relative_leaves:
            if any(leaf.test(p, moment) != leaf.test(p, MOMENT) for p in rule_profiles):
                flipped.append(f"rule {rule.name}")
    for lst in MAPPINGS.lists:
        for leaf in lst.conditions.relative_leaves:
            seen = evaluation_now.profile
            if leaf.test(seen, moment) != leaf.test(seen, MOMENT):
                flipped.append(f"list {lst.name}")
    return flipped


@settings(max_examples=300, deadline=None)
@given(profiles())
def test_the_outcome_holds_until_the_moment_and_a_condition_moves_at_it(
    profile: dict[str, Any],
) -> None:
    evaluation = MAPPINGS.evaluate(profile, NOW)
    change = MAPPINGS.next_change(evaluation, NOW)
    grid = grid_of(profile)
    for moment in (g for g in grid if g > MOMENT and (change is None or g < change)):
        assert outcome(MAPPINGS.evaluate(profile, at(moment))) == outcome(evaluation), moment
    if change is not None:
        assert change > MOMENT
        assert flipped_conditions(evaluation, change)
