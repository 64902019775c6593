"""`[[tests]]`: each kind of expectation passing and failing, and the report the admin reads."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mappings.load import Loaded
from mappings.ruletests import TestReport as Report
from mappings.ruletests import run_tests
from tests.mapping_helpers import NOW, check_files, sandbox_schema

HEAD = """\
[zendesk]
subdomain = "acme"
email = "admin@acme.test"
token = "env:ZENDESK_TOKEN"

[[rules]]
name = "VIP"
conditions = { all = [
  { field = "user_fields.service_level", operator = "is", value = "Platinum" },
] }
actions = [
  { field = "user_fields.vip", value = true },
  { field = "tickets.priority", value = "high" },
]

[[lists]]
name = "Recent buyers"
conditions = { all = [
  { field = "user_fields.last_purchase_date", operator = "within_previous_n_days", value = 30 },
] }

[[lists]]
name = "Phones"
group_by = "user_fields.phone_model"
"""  # 24 lines: the first [[tests]] is on line 26
PLATINUM = (
    'profile = { user_fields = { service_level = "platinum", '
    'last_purchase_date = 2026-11-01, phone_model = "iphone_14" } }\n'
)
GOLD = 'profile = { user_fields = { service_level = "gold", last_purchase_date = 2026-11-01 } }\n'


def loaded(tests: str) -> Loaded:
    result, problems = check_files({"config.toml": HEAD + tests}, schema=sandbox_schema())
    assert result is not None, problems
    return result


def report(tests: str, now: datetime = NOW) -> Report:
    config = loaded(tests)
    return run_tests(config.mappings, now, config.locate)


@pytest.mark.parametrize(
    "expectation",
    [
        pytest.param('fires = ["VIP"]\n', id="fires"),
        pytest.param('not_fires = ["VIP"]\n' + GOLD, id="not_fires"),
        pytest.param(
            'actions = [{ field = "user_fields.vip", value = true },\n'
            '           { field = "tickets.priority", value = "High" },\n'
            '           { field = "add_tags", value = "vip" }]\n',
            id="actions",
        ),
        pytest.param('not_actions = ["tickets.group", "remove_tags"]\n', id="not_actions"),
        pytest.param('in_lists = ["Recent buyers", "Phones: iPhone 14"]\n', id="in_lists"),
        pytest.param('not_in_lists = ["Phones: iPhone 15", "Phones"]\n', id="not_in_lists"),
    ],
)
def test_each_expectation_can_pass(expectation: str) -> None:
    profile = "" if "profile" in expectation else PLATINUM
    result = report(f'\n[[tests]]\nname = "t"\n{profile}{expectation}')
    assert result.ok, result.text()
    assert result.text() == "pass t (config.toml:26)\n1 passed, 0 failed"


def test_failing_positive_expectations_explain_themselves() -> None:
    tests = f"""
[[tests]]
name = "platinum is VIP"
{PLATINUM}fires = ["VIP"]

[[tests]]
name = "gold is VIP too"
{GOLD}fires = ["VIP"]
actions = [{{ field = "tickets.priority", value = "urgent" }}]
in_lists = ["Recent buyers", "Phones: iPhone 14"]
"""
    result = report(tests)
    assert not result.ok
    assert [r.name for r in result.failed] == ["gold is VIP too"]
    assert result.text() == "\n".join(
        [
            "pass platinum is VIP (config.toml:26)",
            "FAIL gold is VIP too (config.toml:31)",
            "  - expected in list 'Phones: iPhone 14', but it is not",
            "    list 'Phones': no match",
            "      no value for group_by user_fields.phone_model, so in no group",
            "      pass conditions",
            "  - expected rule 'VIP' to fire, but it did not",
            "    rule 'VIP': no match",
            "      FAIL conditions",
            "        FAIL all: all of",
            '          FAIL all[0] user_fields.service_level is "Platinum" — saw "gold"',
            "  - expected action tickets.priority = 'urgent', but the rules want nothing",
            "1 passed, 1 failed",
        ]
    )


def test_failing_negative_expectations_explain_themselves() -> None:
    tests = f"""
[[tests]]
name = "negatives"
{PLATINUM}not_fires = ["VIP"]
not_actions = ["tickets.priority", "user_fields.vip"]
not_in_lists = ["Phones: iPhone 14"]
actions = [{{ field = "user_fields.vip", value = false }}]
"""
    assert report(tests).text() == "\n".join(
        [
            "FAIL negatives (config.toml:26)",
            "  - expected not in list 'Phones: iPhone 14', but it is",
            "    list 'Phones': MATCH",
            "      in 'Phones: iPhone 14'",
            "      pass conditions",
            "  - expected rule 'VIP' not to fire, but it did",
            "    rule 'VIP': MATCH",
            "      wants user_fields.vip = true",
            "      wants tags.vip = 'add'",
            "      wants tickets.priority = 'high'",
            "      pass conditions",
            "        pass all: all of",
            '          pass all[0] user_fields.service_level is "Platinum" — saw "platinum"',
            "  - expected action user_fields.vip = false, but the rules want true",
            "  - expected no tickets.priority action, but the rules want 'high'",
            "  - expected no user_fields.vip action, but the rules want true",
            "0 passed, 1 failed",
        ]
    )


def test_a_test_now_overrides_the_default() -> None:
    tests = f"""
[[tests]]
name = "bought recently"
{PLATINUM}in_lists = ["Recent buyers"]

[[tests]]
name = "bought long ago"
now = 2027-06-01T00:00:00Z
{PLATINUM}not_in_lists = ["Recent buyers"]
"""
    assert report(tests).ok
    late = report(tests, now=datetime(2027, 6, 1, tzinfo=UTC))
    assert [r.name for r in late.failed] == ["bought recently"]
    assert late.text().splitlines()[1] == ("  - expected in list 'Recent buyers', but it is not")


def test_a_test_now_without_an_offset_is_utc() -> None:
    tests = f"""
[[tests]]
name = "last day of the window"
now = 2026-12-01T00:00:00
{PLATINUM}in_lists = ["Recent buyers"]
"""
    assert report(tests).ok


def test_a_conflict_is_named_when_an_expected_action_is_withheld() -> None:
    tests = f"""
[[rules]]
name = "Never VIP"
actions = [{{ field = "user_fields.vip", value = false }}]

[[tests]]
name = "vip"
{PLATINUM}actions = [{{ field = "user_fields.vip", value = true }}]
"""
    lines = report(tests).text().splitlines()
    assert lines[1:4] == [
        "  - expected action user_fields.vip = true, but the rules want nothing",
        "    rules disagree on user_fields.vip: 'VIP' wants true; 'Never VIP' wants false "
        "— neither is applied",
        "    rules disagree on tags.vip: 'VIP' wants 'add'; 'Never VIP' wants 'remove' "
        "— neither is applied",
    ]


def test_without_locate_a_test_is_named_by_its_index() -> None:
    config = loaded(f'\n[[tests]]\nname = "t"\n{PLATINUM}fires = ["VIP"]\n')
    assert run_tests(config.mappings, NOW).text() == "pass t (tests[0])\n1 passed, 0 failed"


def test_a_disabled_rule_expected_to_fire_says_so() -> None:
    tests = f"""
[[rules]]
name = "Off"
enabled = false
actions = [{{ field = "add_tags", value = "off" }}]

[[tests]]
name = "off"
{PLATINUM}fires = ["Off"]
"""
    assert report(tests).text().splitlines()[1:3] == [
        "  - expected rule 'Off' to fire, but it did not",
        "    rule 'Off' is disabled",
    ]
