"""`Compiled.next_change`: the first moment after now at which a relative-date condition of a set
can change its outcome for a profile — checked by brute force over every moment that matters.

A relative-date condition's outcome is constant between the edges of its window (the field's
moment, that moment plus or minus the span, each give or take a microsecond), so a grid holding
every edge of every condition, with its neighbours, sees every change there is.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mappings.conditions import Compiled, compile_conditions
from mappings.conditions.fields import FieldType
from mappings.conditions.predicates import build, getter, n_days_flip
from mappings.conditions.values import DAY_US, as_time, now_us
from tests.test_conditions_support import NOW

N_DAYS = ("within_previous_n_days", "within_next_n_days", "more_than_n_days_ago")
MOMENT = now_us(NOW)
TIME_FIELDS = ("user.created_at", "tickets.last_created_at", "user_fields.renewal")


def edges(times: list[int], spans: list[int]) -> list[int]:
    """Every moment at which a window over one of `times` may open or close, with neighbours."""
    found: set[int] = set()
    for t in times:
        for span in {0, *spans}:
            for base in (t - span, t, t + span):
                found.update(base + d for d in (-2, -1, 0, 1, 2))
    return sorted(found)


def first_change(outcome: Any, now: int, grid: list[int]) -> int | None:
    """Brute force: the first grid moment after `now` whose outcome differs from now's."""
    at_now = outcome(now)
    return next((g for g in grid if g > now and outcome(g) != at_now), None)


# --- one window -----------------------------------------------------------------------------


def flip_of(operator: str, span: int, t: int, now: int) -> int | None:
    """When a window over a field holding `t` (µs, whole seconds) next changes after `now`."""
    return n_days_flip(operator, span, lambda p: t // 1_000_000)(None, now)


@pytest.mark.parametrize("operator", N_DAYS)
@pytest.mark.parametrize("days", [0, 1, 30])
@pytest.mark.parametrize("seconds", [0, 1_795_000_000, -86_400])
def test_a_window_changes_first_where_brute_force_finds_its_first_change(
    operator: str, days: int, seconds: int
) -> None:
    """Exhaustive over every edge and its neighbours, with the real closures (Unix seconds)."""
    read = getter(("t",))
    test = build(FieldType.TIME, operator, days, read)
    flip = n_days_flip(operator, days * DAY_US, read)
    profile = {"t": seconds}
    grid = edges([seconds * 1_000_000], [days * DAY_US])
    found = {now: flip(profile, now) for now in grid}
    expected = {now: first_change(lambda n: test(profile, n), now, grid) for now in grid}
    assert found == expected
    assert any(at is not None for at in found.values())


def test_a_window_opens_at_the_moment_and_closes_a_microsecond_after_its_span() -> None:
    span = 30 * DAY_US
    t = 1_000 * DAY_US
    assert flip_of("within_previous_n_days", span, t, t - 5) == t
    assert flip_of("within_previous_n_days", span, t, t) == t + span + 1
    assert flip_of("within_previous_n_days", span, t, t + span + 1) is None
    assert flip_of("within_next_n_days", span, t, 0) == t - span
    assert flip_of("within_next_n_days", span, t, t - span) == t + 1
    assert flip_of("within_next_n_days", span, t, t + 1) is None
    assert flip_of("more_than_n_days_ago", span, t, t) == t + span + 1
    assert flip_of("more_than_n_days_ago", span, t, t + span + 1) is None


def test_an_operator_that_is_not_relative_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'less_than' is not a relative-date operator"):
        n_days_flip("less_than", DAY_US, getter(("t",)))


# --- condition sets -------------------------------------------------------------------------


def spec_of(*conditions: dict[str, Any], mode: str = "all") -> dict[str, Any]:
    return {mode: list(conditions)}


def test_missing_or_unreadable_times_never_change() -> None:
    compiled = compile_conditions(
        spec_of({"field": "user.created_at", "operator": "within_previous_n_days", "value": 30})
    )
    for profile in ({}, {"user": {"created_at": "soon"}}, {"user": {"created_at": True}}, None):
        assert compiled.next_change(profile, MOMENT) is None


def test_a_set_without_relative_dates_never_changes_with_time() -> None:
    compiled = compile_conditions(spec_of({"field": "tags", "operator": "includes", "value": "x"}))
    assert not compiled.relative_leaves
    assert compiled.next_change({"user": {"created_at": 1}}, MOMENT) is None


def test_the_earliest_condition_of_a_set_decides_even_if_the_set_would_not_change() -> None:
    """Per condition, not per set: `any` of a window still open and one opening tomorrow."""
    created = NOW - timedelta(days=10)
    renewal = NOW + timedelta(days=8)
    compiled = compile_conditions(
        spec_of(
            {"field": "user.created_at", "operator": "within_previous_n_days", "value": 30},
            {"field": "user_fields.renewal", "operator": "within_next_n_days", "value": 7},
            mode="any",
        )
    )
    profile = {
        "user": {"created_at": created.isoformat()},
        "user_fields": {"renewal": renewal.isoformat()},
    }
    assert compiled.next_change(profile, MOMENT) == now_us(renewal) - 7 * DAY_US


# Times near now: whole days around it, give or take a second; plus text and garbage.
near_now = st.builds(
    lambda d, s: NOW + timedelta(days=d, seconds=s),
    st.integers(-40, 40),
    st.sampled_from([-1, 0, 1, 3600]),
)
time_data = st.one_of(
    near_now.map(lambda m: m.strftime("%Y-%m-%dT%H:%M:%SZ")),
    near_now.map(lambda m: m.date().isoformat()),
    near_now.map(lambda m: int(m.timestamp())),
    st.sampled_from([None, "not a date", True, [1]]),
)
relative_conditions = st.builds(
    lambda field, operator, days: {"field": field, "operator": operator, "value": days},
    st.sampled_from(TIME_FIELDS),
    st.sampled_from(N_DAYS),
    st.sampled_from([0, 1, 7, 30]),
)
other_conditions = st.sampled_from(
    [
        {"field": "tags", "operator": "includes", "value": "vip"},
        {"field": "user.created_at", "operator": "less_than", "value": "2026-11-01"},
    ]
)
items = st.one_of(relative_conditions, relative_conditions, other_conditions)
specs = st.fixed_dictionaries(
    {"all": st.lists(st.one_of(items, st.fixed_dictionaries({"any": st.lists(items)})))},
    optional={"any": st.lists(items, max_size=3)},
)


@st.composite
def profiles(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "user": {"created_at": draw(time_data)},
        "tickets": {"last_created_at": draw(time_data)},
        "user_fields": {"renewal": draw(time_data)},
        "tags": draw(st.sampled_from([[], ["vip"]])),
    }


def relative_leaf_outcomes(compiled: Compiled, profile: Any, moment: int) -> tuple[bool, ...]:
    return tuple(leaf.test(profile, moment) for leaf in compiled.relative_leaves)


def grid_of(compiled: Compiled, profile: Any) -> list[int]:
    times = [
        t for leaf in compiled.relative_leaves if (t := as_time(leaf.read(profile))) is not None
    ]
    spans = [leaf.want * DAY_US for leaf in compiled.relative_leaves if isinstance(leaf.want, int)]
    return edges(times, spans)


@settings(max_examples=400, deadline=None)
@given(specs, profiles(), st.sampled_from([0, 1, -1, 12 * 3_600_000_000]))
def test_no_condition_changes_before_the_moment_and_one_changes_at_it(
    spec: dict[str, Any], profile: dict[str, Any], shift: int
) -> None:
    compiled = compile_conditions(spec)
    now = MOMENT + shift
    change = compiled.next_change(profile, now)
    leaves_at_now = relative_leaf_outcomes(compiled, profile, now)
    grid = grid_of(compiled, profile)
    before = [g for g in grid if now < g and (change is None or g < change)]
    for moment in before:
        assert relative_leaf_outcomes(compiled, profile, moment) == leaves_at_now, moment
        assert compiled.matches(profile, NOW + timedelta(microseconds=moment - MOMENT)) == (
            compiled.matches(profile, NOW + timedelta(microseconds=now - MOMENT))
        )
    if change is not None:
        assert change > now
        assert relative_leaf_outcomes(compiled, profile, change) != leaves_at_now
    assert change == first_change(lambda n: relative_leaf_outcomes(compiled, profile, n), now, grid)
