"""Table tests: every operator on every field family, with missing, None and ill-typed data.

Each row is evaluated by the compiled predicate and by the reference evaluator, which must agree.
"""

from __future__ import annotations

from typing import Any

import pytest

from mappings.conditions import compile_conditions
from tests.test_conditions_support import MISSING, NOW, evaluate

Row = tuple[str, str, object, object, bool]
IOS, EMAIL = "user_fields.ios_version", "user.email"


def rows(*items: tuple[str, Row]) -> list[Any]:
    return [pytest.param(*row, id=name) for name, row in items]


TEXT = rows(
    (
        "email-is-ignores-case",
        ("user.email", "is", "maria.rossi12@example.com", "Maria.Rossi12@Example.com", True),
    ),
    ("text-is-other", ("user.locale", "is", "it", "en-US", False)),
    ("text-is-missing", ("user.locale", "is", "it", MISSING, False)),
    ("text-is-none", ("user.locale", "is", "it", None, False)),
    ("text-is-number-in-data", ("user.external_id", "is", "42", 42, False)),
    ("text-is-not-other", ("user.role", "is_not", "agent", "end-user", True)),
    ("text-is-not-same-other-case", ("user.role", "is_not", "agent", "Agent", False)),
    ("text-is-not-missing-does-not-match", ("user.role", "is_not", "agent", MISSING, False)),
    ("text-is-not-ill-typed", ("user.role", "is_not", "agent", ["agent"], False)),
    ("text-has", (IOS, "includes_string", "17.", "17.4.1", True)),
    ("text-has-case", (EMAIL, "includes_string", "@ACME", "a@acme.test", True)),
    (
        "text-has-absent",
        (IOS, "includes_string", "17.", "18.0", False),
    ),
    (
        "text-has-missing",
        (IOS, "includes_string", "17", MISSING, False),
    ),
    (
        "text-has-ill-typed",
        (IOS, "includes_string", "17", 17, False),
    ),
    ("text-lacks", (EMAIL, "not_includes_string", "@acme", "a@b.test", True)),
    (
        "text-lacks-has",
        (EMAIL, "not_includes_string", "@acme", "a@acme.t", False),
    ),
    (
        "text-lacks-missing",
        (EMAIL, "not_includes_string", "@acme", MISSING, False),
    ),
    ("text-present", ("user.phone", "present", MISSING, "+39 06 1234", True)),
    ("text-present-empty", ("user.phone", "present", MISSING, "", False)),
    ("text-not-present-missing", ("user.phone", "not_present", MISSING, MISSING, True)),
    ("text-not-present-none", ("user.phone", "not_present", MISSING, None, True)),
    ("text-not-present-ill-typed", ("user.phone", "not_present", MISSING, 12, True)),
    (
        "mailchimp-status-audience",
        ("mailchimp.status.Retail Customers", "is", "subscribed", "subscribed", True),
    ),
    ("csat-score", ("satisfaction.last_score", "is", "bad", "bad", True)),
)

NUMBER = rows(
    ("number-is", ("tickets.count", "is", 3, 3, True)),
    ("number-is-float-equals-int", ("tickets.count", "is", 3, 3.0, True)),
    ("number-is-not", ("tickets.count", "is_not", 3, 4, True)),
    ("number-is-not-missing", ("tickets.count", "is_not", 3, MISSING, False)),
    ("number-less-than", ("tickets.open_count", "less_than", 2, 1, True)),
    ("number-less-than-equal-edge", ("tickets.open_count", "less_than", 2, 2, False)),
    ("number-lte-edge", ("tickets.open_count", "less_than_or_equal", 2, 2, True)),
    ("number-greater-than", ("satisfaction.bad_count", "greater_than", 0, 1, True)),
    ("number-gte-edge", ("satisfaction.bad_count", "greater_than_or_equal", 1, 1, True)),
    (
        "number-numeric-string",
        ("user_fields.average_annual_spend", "greater_than", 1000, "1200.50", True),
    ),
    (
        "number-numeric-string-spaces",
        ("user_fields.average_annual_spend", "greater_than", 1000, " 1200 ", True),
    ),
    (
        "number-non-numeric-string",
        ("user_fields.average_annual_spend", "greater_than", 1000, "lots", False),
    ),
    ("number-nan-string", ("user_fields.average_annual_spend", "less_than", 1000, "nan", False)),
    ("number-bool-is-not-a-number", ("tickets.count", "is", 1, True, False)),
    ("number-none", ("tickets.count", "greater_than", 0, None, False)),
    ("number-list", ("tickets.count", "greater_than", 0, [5], False)),
    ("number-present-zero", ("tickets.count", "present", MISSING, 0, True)),
    ("number-not-present-text", ("tickets.count", "not_present", MISSING, "x", True)),
)

BOOLEAN = rows(
    ("bool-is-true", ("user.suspended", "is", True, True, True)),
    ("bool-is-false", ("user.suspended", "is", False, False, True)),
    ("bool-is-true-on-false", ("user.suspended", "is", True, False, False)),
    ("bool-is-not", ("user.active", "is_not", True, False, True)),
    ("bool-is-not-missing", ("user.active", "is_not", True, MISSING, False)),
    ("bool-string-is-not-bool", ("user.active", "is", True, "true", False)),
    ("bool-one-is-not-true", ("user.active", "is", True, 1, False)),
    ("bool-present-false", ("satisfaction.last_comment_present", "present", MISSING, False, True)),
    (
        "bool-not-present-none",
        ("satisfaction.last_comment_present", "not_present", MISSING, None, True),
    ),
)

LISTS = rows(
    ("tags-includes-one", ("tags", "includes", "vip", ["newsletter", "vip"], True)),
    ("tags-includes-any-of", ("tags", "includes", ["gold", "vip"], ["vip"], True)),
    ("tags-includes-folds-case", ("tags", "includes", "VIP", ["vip"], True)),
    ("tags-includes-none-of", ("tags", "includes", ["gold", "vip"], ["newsletter"], False)),
    ("tags-includes-missing", ("tags", "includes", "vip", MISSING, False)),
    ("tags-includes-string-not-list", ("tags", "includes", "vip", "vip", False)),
    ("tags-includes-skips-non-text", ("tags", "includes", "vip", [1, None, "vip"], True)),
    ("tags-not-includes", ("tags", "not_includes", ["gold", "vip"], ["newsletter"], True)),
    ("tags-not-includes-one-of", ("tags", "not_includes", ["gold", "vip"], ["gold"], False)),
    ("tags-not-includes-missing-is-empty", ("tags", "not_includes", "vip", MISSING, True)),
    ("tags-present", ("tags", "present", MISSING, ["a"], True)),
    ("tags-present-empty", ("tags", "present", MISSING, [], False)),
    ("tags-not-present-only-junk", ("tags", "not_present", MISSING, [1, 2], True)),
    ("channels-includes", ("tickets.channels", "includes", "chat", ["email", "chat"], True)),
)

UNTYPED = rows(
    ("custom-text", ("user_fields.product_line", "is", "product_line_a", "product_line_a", True)),
    ("custom-bool", ("user_fields.vip", "is", True, True, True)),
    ("custom-number", ("user_fields.average_annual_spend", "greater_than", 1000, 1234.5, True)),
    (
        "custom-time-compare",
        ("user_fields.plan_join_date", "less_than", "2025-01-01", "2024-02-01T00:00:00Z", True),
    ),
    (
        "custom-multiselect",
        ("user_fields.devices", "includes", "ipad", ["iphone_15", "ipad"], True),
    ),
    ("custom-present-text", ("user_fields.product_line", "present", MISSING, "a", True)),
    ("custom-present-empty-text", ("user_fields.product_line", "present", MISSING, "", False)),
    ("custom-present-zero", ("user_fields.average_annual_spend", "present", MISSING, 0, True)),
    ("custom-present-false", ("user_fields.vip", "present", MISSING, False, True)),
    ("custom-not-present-empty-list", ("user_fields.devices", "not_present", MISSING, [], True)),
)


@pytest.mark.parametrize(
    ("field", "operator", "value", "data", "expected"), TEXT + NUMBER + BOOLEAN + LISTS + UNTYPED
)
def test_operator_on_field(
    field: str, operator: str, value: object, data: object, expected: bool
) -> None:
    assert evaluate(field, operator, value, data) is expected


def test_catalogue_types_a_custom_field_as_a_number_and_reads_numeric_strings() -> None:
    catalogue = {"average_annual_spend": "decimal"}
    field = "user_fields.average_annual_spend"
    assert evaluate(field, "is", 1200.5, "1200.50", catalogue) is True
    assert evaluate(field, "present", MISSING, "n/a", catalogue) is False


def test_catalogue_date_field_compares_dates_as_times() -> None:
    catalogue = {"plan_join_date": "date"}
    field = "user_fields.plan_join_date"
    assert evaluate(field, "is", "2024-02-01", "2024-02-01T00:00:00Z", catalogue) is True
    assert evaluate(field, "greater_than_or_equal", "2024-02-01", "2024-02-01", catalogue) is True
    assert evaluate(field, "within_previous_n_days", 30, "2026-11-01", catalogue) is True


def test_missing_parents_and_ill_typed_profiles_do_not_match() -> None:
    compiled = compile_conditions(
        {"all": [{"field": "user.email", "operator": "is", "value": "a@b"}]}
    )
    profiles: list[object] = [
        None,
        [],
        "user",
        {"user": None},
        {"user": ["a@b"]},
        {"user": {"email": None}},
    ]
    for profile in profiles:
        assert compiled.matches(profile, NOW) is False
