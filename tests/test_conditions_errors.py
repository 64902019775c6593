"""One test per class of spec error, showing the exact message an admin reads."""

from __future__ import annotations

from typing import Any

import pytest

from mappings.conditions import ConditionsError, compile_conditions

CATALOGUE = {"phone_model": "dropdown", "average_annual_spend": "decimal", "vip": "checkbox"}


def problems(spec: Any, catalogue: Any = None, location: str = "") -> list[str]:
    with pytest.raises(ConditionsError) as caught:
        compile_conditions(spec, catalogue, location=location)
    return [str(p) for p in caught.value.problems]


def cond(field: Any = "tags", operator: Any = "includes", **value: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, **value}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param(
            ["tags"],
            "conditions: expected a table with 'all' and/or 'any', got ['tags']",
            id="not-a-table",
        ),
        pytest.param(
            {"alll": []},
            "alll: unknown key; expected 'all' or 'any' (did you mean 'all'?)",
            id="unknown-group-key",
        ),
        pytest.param(
            {"all": "tags"}, "all: expected a list of conditions, got 'tags'", id="group-not-a-list"
        ),
        pytest.param(
            {"all": [3]},
            "all[0]: expected a condition {field, operator, value}, got 3",
            id="condition-not-a-table",
        ),
        pytest.param(
            {"all": [cond(value="vip", valu="x")]},
            "all[0].valu: unknown key; expected field, operator and value (did you mean 'value'?)",
            id="unknown-condition-key",
        ),
        pytest.param(
            {"all": [{"operator": "present"}]}, "all[0].field: missing field", id="missing-field"
        ),
        pytest.param(
            {"all": [{"field": "tags", "value": "vip"}]},
            "all[0].operator: missing operator",
            id="missing-operator",
        ),
        pytest.param(
            {"all": [cond(field="tag", value="vip")]},
            "all[0].field: unknown field 'tag'; expected user.<built-in>, user_fields.<key>, tags, "
            "tickets.<fact>, satisfaction.<fact> or mailchimp.status.<audience> "
            "(did you mean 'tags'?)",
            id="unknown-field",
        ),
        pytest.param(
            {"all": [cond(field=7, value="vip")]},
            "all[0].field: expected a field name, got 7",
            id="field-not-text",
        ),
        pytest.param(
            {"any": [cond(field="tickets.count", operator="greater_then", value=1)]},
            "any[0].operator: unknown operator 'greater_then'; expected one of is, is_not, "
            "less_than, greater_than, less_than_or_equal, greater_than_or_equal, includes, "
            "not_includes, includes_string, not_includes_string, present, not_present, "
            "within_previous_n_days, within_next_n_days, "
            "more_than_n_days_ago (did you mean 'greater_than'?)",
            id="unknown-operator",
        ),
        pytest.param(
            {"all": [cond(operator="within_previous_n_days", value=30)]},
            "all[0].operator: within_previous_n_days does not apply to tags (list); "
            "expected one of includes, not_includes, present, not_present",
            id="operator-does-not-fit-list",
        ),
        pytest.param(
            {"all": [cond(field="user.name", operator="less_than", value="m")]},
            "all[0].operator: less_than does not apply to user.name (text); "
            "expected one of is, is_not, includes_string, not_includes_string, present, "
            "not_present",
            id="operator-does-not-fit-text",
        ),
        pytest.param(
            {"all": [cond(field="tickets.count", operator="greater_than", value="3")]},
            "all[0].value: expected a number, got '3'",
            id="number-expected",
        ),
        pytest.param(
            {"all": [cond(field="user.suspended", operator="is", value="yes")]},
            "all[0].value: expected true or false, got 'yes'",
            id="boolean-expected",
        ),
        pytest.param(
            {"all": [cond(field="user.created_at", operator="less_than", value="last week")]},
            "all[0].value: expected a date or time such as 2024-02-01 or 2024-02-01T09:30:00Z, "
            "got 'last week'",
            id="time-expected",
        ),
        pytest.param(
            {"all": [cond(field="user.created_at", operator="within_previous_n_days", value=-1)]},
            "all[0].value: expected a whole number of days, 0 or more, got -1",
            id="days-expected",
        ),
        pytest.param(
            {"all": [cond(value=[])]},
            "all[0].value: expected text or a list of text, got []",
            id="list-value-empty",
        ),
        pytest.param(
            {"all": [cond(field="user.email", operator="is")]},
            "all[0].value: missing value; expected text",
            id="missing-value",
        ),
        pytest.param(
            {"all": [cond(operator="present", value="vip")]},
            "all[0].value: present takes no value; remove it",
            id="value-where-none-is-taken",
        ),
        pytest.param(
            {"all": [cond(field="user_fields.renewal", operator="less_than", value="soon")]},
            "all[0].value: expected a number or a date for less_than, got 'soon'",
            id="untyped-comparison-without-number-or-date",
        ),
    ],
)
def test_spec_error_message(spec: Any, message: str) -> None:
    assert problems(spec) == [message]


def test_unknown_user_field_suggests_the_catalogue_key() -> None:
    spec = {"all": [cond(field="user_fields.phone_modle", operator="is", value="iphone_15")]}
    assert problems(spec, CATALOGUE) == [
        "all[0].field: unknown user field 'phone_modle'; known user fields: "
        "average_annual_spend, phone_model, vip (did you mean 'user_fields.phone_model'?)"
    ]


def test_custom_field_written_as_a_builtin_suggests_user_fields() -> None:
    spec = {"all": [cond(field="user.phone_model", operator="is", value="iphone_15")]}
    assert problems(spec, CATALOGUE)[0].endswith("(did you mean 'user_fields.phone_model'?)")


def test_catalogue_type_decides_the_operators() -> None:
    spec = {"all": [cond(field="user_fields.vip", operator="greater_than", value=1)]}
    assert problems(spec, CATALOGUE) == [
        "all[0].operator: greater_than does not apply to user_fields.vip (boolean); "
        "expected one of is, is_not, present, not_present"
    ]


def test_every_problem_is_reported_at_once_with_nested_locations() -> None:
    spec = {
        "all": [
            cond(field="tags", operator="includes", value="vip"),
            {
                "any": [
                    cond(field="tickets.count", operator="greater_then", value=1),
                    cond(field="x"),
                ]
            },
        ],
        "any": [cond(field="user.suspended", operator="is", value="no")],
    }
    found = problems(spec, location="lists[2].conditions")
    assert [p.split(":")[0] for p in found] == [
        "lists[2].conditions.all[1].any[0].operator",
        "lists[2].conditions.all[1].any[1].field",
        "lists[2].conditions.any[0].value",
    ]


def test_the_error_text_is_one_problem_per_line() -> None:
    with pytest.raises(ConditionsError) as caught:
        compile_conditions({"all": [{"operator": "present"}], "anyy": []})
    assert str(caught.value) == (
        "anyy: unknown key; expected 'all' or 'any' (did you mean 'any'?)\n"
        "all[0].field: missing field"
    )
