"""`explain_profile`: why each rule fires or not and why a customer is (not) in each list."""

from __future__ import annotations

from typing import Any

from mappings.engine import Mappings
from mappings.explain import explain_profile
from tests.mapping_helpers import NOW, check_files, sandbox_schema

CONFIG = """\
[zendesk]
subdomain = "acme"
email = "admin@acme.test"
token = "env:ZENDESK_TOKEN"

[[rules]]
name = "Flag bad ratings"
conditions = { all = [{ field = "satisfaction.bad_count", operator = "greater_than", value = 0 }] }
actions = [{ field = "user_fields.bad_rating_submitted", value = true }]

[[rules]]
name = "Prioritise big spenders"
conditions = { any = [
  { field = "user_fields.service_level", operator = "is", value = "Platinum" },
  { field = "user_fields.average_annual_spend", operator = "greater_than", value = 1000 },
] }
actions = [{ field = "tickets.priority", value = "high" }]

[[lists]]
name = "Bad rating submitted"
conditions = { all = [{ field = "tags", operator = "includes", value = "bad_rating" }] }

[[lists]]
name = "Phones"
group_by = "user_fields.phone_model"
conditions = { all = [{ field = "user.email", operator = "present" }] }
"""
UNHAPPY = {
    "user": {"email": "ann@example.com"},
    "satisfaction": {"bad_count": 1},
    "user_fields": {"phone_model": "iphone_15", "service_level": "gold"},
    "tags": ["x"],
}
CONTENT = {"user": {"email": "bob@example.com"}, "satisfaction": {"bad_count": 0}}


def mappings(text: str = CONFIG) -> Mappings:
    loaded, problems = check_files({"config.toml": text}, schema=sandbox_schema())
    assert loaded is not None, problems
    return loaded.mappings


def explained(profile: Any, text: str = CONFIG) -> str:
    return explain_profile(mappings(text), profile, NOW).text()


def test_a_matching_rule_shows_what_it_wants_and_the_values_seen() -> None:
    lines = explained(UNHAPPY).splitlines()
    assert lines[:6] == [
        "rule 'Flag bad ratings': MATCH",
        "  wants user_fields.bad_rating_submitted = true",
        "  wants tags.bad_rating = 'add'",
        "  pass conditions",
        "    pass all: all of",
        "      pass all[0] satisfaction.bad_count greater_than 0 — saw 1",
    ]


def test_a_rule_that_does_not_match_shows_every_condition_with_its_value() -> None:
    why = explain_profile(mappings(), UNHAPPY, NOW)
    verdict = why.verdict("rule", "Prioritise big spenders")
    assert verdict is not None
    assert not verdict.matched
    assert verdict.text() == (
        "rule 'Prioritise big spenders': no match\n"
        "  FAIL conditions\n"
        "    FAIL any: any of\n"
        '      FAIL any[0] user_fields.service_level is "Platinum" — saw "gold"\n'
        "      FAIL any[1] user_fields.average_annual_spend greater_than 1000 — saw null"
    )


def test_lists_are_explained_on_the_profile_the_rules_leave() -> None:
    why = explain_profile(mappings(), UNHAPPY, NOW)
    verdict = why.verdict("list", "Bad rating submitted")
    assert verdict is not None
    assert verdict.matched
    assert verdict.text() == (
        "list 'Bad rating submitted': MATCH\n"
        "  pass conditions\n"
        "    pass all: all of\n"
        '      pass all[0] tags includes "bad_rating" — saw ["x", "bad_rating"]'
    )


def test_a_grouped_list_names_the_sub_list() -> None:
    verdict = explain_profile(mappings(), UNHAPPY, NOW).verdict("list", "Phones")
    assert verdict is not None
    assert verdict.matched
    assert verdict.notes == ("in 'Phones: iPhone 15'",)
    assert verdict.text().splitlines()[:2] == ["list 'Phones': MATCH", "  in 'Phones: iPhone 15'"]


def test_the_whole_text_for_a_customer_nothing_applies_to() -> None:
    assert explained(CONTENT) == "\n".join(
        [
            "rule 'Flag bad ratings': no match",
            "  FAIL conditions",
            "    FAIL all: all of",
            "      FAIL all[0] satisfaction.bad_count greater_than 0 — saw 0",
            "rule 'Prioritise big spenders': no match",
            "  FAIL conditions",
            "    FAIL any: any of",
            '      FAIL any[0] user_fields.service_level is "Platinum" — saw null',
            "      FAIL any[1] user_fields.average_annual_spend greater_than 1000 — saw null",
            "list 'Bad rating submitted': no match",
            "  FAIL conditions",
            "    FAIL all: all of",
            '      FAIL all[0] tags includes "bad_rating" — saw null',
            "list 'Phones': no match",
            "  no value for group_by user_fields.phone_model, so in no group",
            "  pass conditions",
            "    pass all: all of",
            '      pass all[0] user.email present — saw "bob@example.com"',
        ]
    )


def test_the_explanation_agrees_with_the_evaluation() -> None:
    for profile in (UNHAPPY, CONTENT, {}, {"tags": ["bad_rating"]}):
        why = explain_profile(mappings(), profile, NOW)
        fired = tuple(v.name for v in why.verdicts if v.kind == "rule" and v.matched)
        assert fired == why.evaluation.desired.fired
        in_lists = {v.name for v in why.verdicts if v.kind == "list" and v.matched}
        assert in_lists == {m.list for m in why.evaluation.memberships}


def test_conflicts_are_listed_at_the_end() -> None:
    text = CONFIG + (
        '\n[[rules]]\nname = "Never flag"\n'
        'actions = [{ field = "user_fields.bad_rating_submitted", value = false }]\n'
    )
    lines = explained(UNHAPPY, text).splitlines()
    assert lines[-2:] == [
        "conflict: rules disagree on user_fields.bad_rating_submitted: 'Flag bad ratings' "
        "wants true; 'Never flag' wants false — neither is applied",
        "conflict: rules disagree on tags.bad_rating: 'Flag bad ratings' wants 'add'; "
        "'Never flag' wants 'remove' — neither is applied",
    ]
    assert "list 'Bad rating submitted': no match" in lines
