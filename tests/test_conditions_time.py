"""Time edges, defined against `now`: windows include both edges; `more_than` is strict.

within_previous_n_days N: now - N days <= t <= now
within_next_n_days N:     now <= t <= now + N days
more_than_n_days_ago N:   t < now - N days
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mappings.conditions import compile_conditions
from tests.test_conditions_support import MISSING, NOW, evaluate

CREATED = "user.created_at"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


SECOND = timedelta(seconds=1)
DAYS_30 = timedelta(days=30)


@pytest.mark.parametrize(
    ("data", "previous", "more_than"),
    [
        pytest.param(iso(NOW - DAYS_30), True, False, id="exactly-30-days-ago"),
        pytest.param(iso(NOW - DAYS_30 + SECOND), True, False, id="one-second-less"),
        pytest.param(iso(NOW - DAYS_30 - SECOND), False, True, id="one-second-more"),
        pytest.param(iso(NOW), True, False, id="exactly-now"),
        pytest.param(iso(NOW + SECOND), False, False, id="one-second-in-the-future"),
        pytest.param("2026-10-25", True, False, id="date-at-midnight-utc-inside"),
        # a date is midnight UTC: on the edge day it is 12 h before now - 30 days (now is noon)
        pytest.param("2026-10-24T00:00:00Z", False, True, id="zendesk-date-on-edge-day-is-outside"),
        pytest.param("2026-10-25T00:00:00Z", True, False, id="zendesk-date-day-after-edge"),
        pytest.param("2026-10-24T14:00:00+02:00", True, False, id="offset-equals-exact-edge"),
        pytest.param("2026-10-24T13:59:59+02:00", False, True, id="offset-one-second-outside"),
        pytest.param("2026-10-24T12:00:00", True, False, id="no-offset-means-utc"),
        pytest.param((NOW - DAYS_30).timestamp(), True, False, id="unix-seconds-edge"),
        pytest.param(int((NOW - DAYS_30).timestamp()) - 1, False, True, id="unix-seconds-outside"),
        pytest.param("not a date", False, False, id="garbage"),
        pytest.param(True, False, False, id="bool-is-not-a-time"),
        pytest.param(None, False, False, id="none"),
        pytest.param(MISSING, False, False, id="missing"),
    ],
)
def test_within_previous_and_more_than_30_days(
    data: object, previous: bool, more_than: bool
) -> None:
    assert evaluate(CREATED, "within_previous_n_days", 30, data) is previous
    assert evaluate(CREATED, "more_than_n_days_ago", 30, data) is more_than


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(iso(NOW), True, id="now"),
        pytest.param(iso(NOW + timedelta(days=7)), True, id="exactly-7-days-ahead"),
        pytest.param(iso(NOW + timedelta(days=7) + SECOND), False, id="one-second-beyond"),
        pytest.param(iso(NOW - SECOND), False, id="one-second-past"),
    ],
)
def test_within_next_7_days(data: object, expected: bool) -> None:
    assert evaluate("user_fields.renewal", "within_next_n_days", 7, data) is expected


def test_zero_days_means_exactly_now() -> None:
    assert evaluate(CREATED, "within_previous_n_days", 0, iso(NOW)) is True
    assert evaluate(CREATED, "within_previous_n_days", 0, iso(NOW - SECOND)) is False
    assert evaluate(CREATED, "more_than_n_days_ago", 0, iso(NOW - SECOND)) is True


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("is", "2026-11-20T10:00:00Z", True),
        ("is", "2026-11-20T12:00:00+02:00", True),
        ("is_not", "2026-11-20", True),
        ("less_than", "2026-11-21", True),
        ("greater_than", "2026-11-20", True),
        ("greater_than_or_equal", "2026-11-20T10:00:00Z", True),
        ("less_than_or_equal", "2026-11-20T09:59:59Z", False),
    ],
)
def test_time_compared_with_a_time(operator: str, value: str, expected: bool) -> None:
    assert evaluate("tickets.last_created_at", operator, value, "2026-11-20T10:00:00Z") is expected


def test_toml_dates_and_datetimes_are_accepted_as_values() -> None:
    from datetime import date

    assert evaluate(CREATED, "greater_than_or_equal", date(2026, 10, 30), "2026-10-30T00:00:00Z")
    assert evaluate(CREATED, "is", datetime(2026, 10, 30, 8, 12), "2026-10-30T08:12:00Z")


def test_now_must_be_aware() -> None:
    compiled = compile_conditions({"all": [{"field": CREATED, "operator": "present"}]})
    with pytest.raises(ValueError, match="aware"):
        compiled.matches({}, datetime(2026, 11, 23))


def test_predicate_binds_now_once() -> None:
    compiled = compile_conditions(
        {"all": [{"field": CREATED, "operator": "within_previous_n_days", "value": 30}]}
    )
    matches = compiled.predicate(NOW)
    assert matches({"user": {"created_at": iso(NOW - DAYS_30)}}) is True
    assert matches({"user": {"created_at": iso(NOW - DAYS_30 - SECOND)}}) is False
