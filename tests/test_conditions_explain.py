"""`explain` answers "why is (or isn't) this customer in the list?"."""

from __future__ import annotations

from mappings.conditions import compile_conditions, explain
from tests.test_conditions_support import NOW

VIP_BIG_SPENDERS = {
    "all": [
        {"field": "tags", "operator": "includes", "value": "vip"},
        {
            "any": [
                {
                    "field": "user_fields.spend",
                    "operator": "greater_than",
                    "value": 1000,
                },
                {"field": "user_fields.tier", "operator": "is", "value": "platinum"},
            ]
        },
    ],
    "any": [],
}


def test_explain_shows_each_outcome_and_the_value_seen() -> None:
    profile = {"tags": ["VIP"], "user_fields": {"spend": "800"}}
    answer = explain(compile_conditions(VIP_BIG_SPENDERS), profile, NOW)
    assert answer.passed is False
    assert answer.text() == "\n".join(
        [
            "FAIL conditions",
            "  FAIL all: all of",
            '    pass all[0] tags includes "vip" — saw ["VIP"]',
            "    FAIL all[1]",
            "      FAIL all[1].any: any of",
            '        FAIL all[1].any[0] user_fields.spend greater_than 1000 — saw "800"',
            '        FAIL all[1].any[1] user_fields.tier is "platinum" — saw null',
            "  pass any: (empty, no constraint)",
        ]
    )


def test_explain_agrees_with_matches() -> None:
    compiled = compile_conditions(VIP_BIG_SPENDERS)
    profile = {"tags": ["vip"], "user_fields": {"tier": "Platinum"}}
    answer = explain(compiled, profile, NOW)
    assert answer.passed is compiled.matches(profile, NOW) is True
    assert str(answer).startswith("pass conditions")


def test_explain_on_garbage_profile_does_not_raise() -> None:
    answer = explain(compile_conditions(VIP_BIG_SPENDERS), ["not", "a", "profile"], NOW)
    assert answer.passed is False


def test_a_moment_kept_as_unix_seconds_is_shown_as_the_time_it_stands_for() -> None:
    spec = {
        "all": [{"field": "user.created_at", "operator": "within_previous_n_days", "value": 30}]
    }
    profile = {"user": {"created_at": 1_700_000_000}}
    answer = explain(compile_conditions(spec), profile, NOW)
    assert answer.text().endswith('— saw "2023-11-14T22:13:20Z"')
    written = {"user": {"created_at": "2023-11-14T22:13:20+01:00"}}  # text is shown as written
    assert (
        explain(compile_conditions(spec), written, NOW)
        .text()
        .endswith('— saw "2023-11-14T22:13:20+01:00"')
    )
