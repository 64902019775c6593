"""The cookbook recipes in mappings/recipes: each loads, its own [[tests]] pass, and it behaves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mappings.engine import Evaluation
from mappings.load import NO_SCHEMA, Loaded
from mappings.ruletests import run_tests
from tests.mapping_helpers import NOW, check_files, messages, sandbox_schema

RECIPES = Path(__file__).resolve().parent.parent / "mappings" / "recipes"
RECIPE_FILES = sorted(RECIPES.glob("*.toml"))
MAIN = """\
include = ["recipes/*.toml"]

[zendesk]
subdomain = "acme"
email = "admin@acme.test"
token = "env:ZENDESK_TOKEN"

[mailchimp]
api_key = "env:MAILCHIMP_API_KEY"

[surveymonkey]
access_token = "env:SURVEYMONKEY_TOKEN"
"""


def recipe_text(name: str) -> str:
    return (RECIPES / name).read_text(encoding="utf-8")


def load_recipes(texts: dict[str, str], *, schema: bool = True) -> Loaded:
    """The recipes (file name -> TOML text) included from a small main config, or a failure."""
    files = {"config.toml": MAIN, **{f"recipes/{name}": text for name, text in texts.items()}}
    loaded, problems = check_files(files, schema=sandbox_schema() if schema else None)
    assert loaded is not None, "\n".join(messages(problems))
    if schema:
        assert problems == []
    else:  # at most a warning that the user fields could not be checked
        assert [(p.warning, p.line, p.message) for p in problems] in ([], [(True, 0, NO_SCHEMA)])
    return loaded


def evaluate(loaded: Loaded, profile: dict[str, Any]) -> Evaluation:
    return loaded.mappings.evaluator(NOW)(profile)


@pytest.fixture(scope="module")
def everything() -> Loaded:
    return load_recipes({path.name: path.read_text(encoding="utf-8") for path in RECIPE_FILES})


def test_the_cookbook_recipes_are_all_there() -> None:
    names = {path.name for path in RECIPE_FILES}
    assert {
        "product_lines.toml",
        "new_customers.toml",
        "vip.toml",
        "bad_rating.toml",
        "phones.toml",
        "tablets.toml",
        "ios.toml",
        "vip_priority.toml",
    } <= names


@pytest.mark.parametrize("path", RECIPE_FILES, ids=lambda path: path.stem)
def test_recipe_loads_against_the_sandbox_schema_and_its_tests_pass(path: Path) -> None:
    loaded = load_recipes({path.name: path.read_text(encoding="utf-8")})
    report = run_tests(loaded.mappings, NOW, loaded.locate)
    assert len(report.results) >= 3, "each recipe carries several tests"
    assert report.ok, report.text()


@pytest.mark.parametrize("path", RECIPE_FILES, ids=lambda path: path.stem)
def test_recipe_loads_without_a_schema(path: Path) -> None:
    loaded = load_recipes({path.name: path.read_text(encoding="utf-8")}, schema=False)
    assert loaded.mappings.schema is None


@pytest.mark.parametrize("path", RECIPE_FILES, ids=lambda path: path.stem)
def test_recipe_holds_only_rules_lists_and_tests_and_says_what_it_reproduces(path: Path) -> None:
    import tomllib

    text = path.read_text(encoding="utf-8")
    assert set(tomllib.loads(text)) <= {"rules", "lists", "tests"}
    header = text.split("\n\n", 1)[0]
    assert header.startswith("# Recipe:") and "cookbook" in header
    assert "To adapt" in text


def test_all_recipes_together_load_and_pass(everything: Loaded) -> None:
    report = run_tests(everything.mappings, NOW, everything.locate)
    assert report.ok, report.text()


def test_phone_owners_are_grouped_by_the_model_name(everything: Loaded) -> None:
    result = evaluate(everything, {"user_fields": {"phone_model": "iphone_15"}})
    assert "Phone owners: iPhone 15" in result.list_names()
    assert "iPhone 15 owners" in result.list_names()
    older = evaluate(everything, {"user_fields": {"phone_model": "iphone_12"}})
    assert "Phone owners: iPhone 12" in older.list_names()
    assert "iPhone 15 owners" not in older.list_names()


def test_tablet_owners_are_grouped_by_the_model_name(everything: Loaded) -> None:
    result = evaluate(everything, {"user_fields": {"tablet": "ipad_air"}})
    assert [m.name for m in result.memberships if m.list == "Tablet owners"] == [
        "Tablet owners: iPad Air"
    ]


def test_a_bad_rating_flags_the_customer_and_puts_them_in_the_list_in_one_run(
    everything: Loaded,
) -> None:
    result = evaluate(everything, {"satisfaction": {"last_score": "bad", "bad_count": 1}})
    assert result.desired.fired == ("Flag bad satisfaction ratings",)
    assert result.desired.user_fields == {"bad_rating_submitted": True}
    assert result.desired.add_tags == frozenset({"bad_rating"})
    assert "bad_rating" in result.profile["tags"]
    assert "Bad rating submitted" in result.list_names()


def test_a_good_rating_leaves_the_customer_alone(everything: Loaded) -> None:
    result = evaluate(everything, {"satisfaction": {"last_score": "good"}})
    assert not result.desired
    assert "Bad rating submitted" not in result.list_names()


@pytest.mark.parametrize(
    ("user_fields", "routed"),
    [
        pytest.param({"service_level": "platinum"}, True, id="platinum"),
        pytest.param({"average_annual_spend": 1000.01}, True, id="spend-over-1000"),
        pytest.param({"average_annual_spend": "1000.01"}, True, id="spend-as-text"),
        pytest.param({"average_annual_spend": 1000}, False, id="spend-exactly-1000"),
        pytest.param({"social_influence": "social_influence_high"}, True, id="high-influence"),
        pytest.param({"service_level": "gold"}, False, id="gold"),
        pytest.param({}, False, id="no-data"),
    ],
)
def test_vip_customers_tickets_get_high_priority_and_the_vip_group(
    everything: Loaded, user_fields: dict[str, Any], routed: bool
) -> None:
    desired = evaluate(everything, {"user_fields": user_fields}).desired
    if routed:
        assert desired.ticket_priority == "high"
        assert desired.ticket_group == "VIP Support"
        assert desired.conflicts == ()
    else:
        assert desired.ticket_priority is None
        assert desired.ticket_group is None


def test_a_vip_gets_the_mailchimp_tag_and_the_csv_export(everything: Loaded) -> None:
    vip = everything.mappings.list_named("VIP customers")
    assert vip is not None
    assert vip.spec.mailchimp is not None and vip.spec.mailchimp.tag == "VIP"
    assert vip.spec.mailchimp.audience == "Retail customers"
    assert vip.spec.csv is not None
    assert ("user.email", "user.email") in vip.spec.csv.headed_columns()
    result = evaluate(everything, {"user": {"email": "a@example.com"}, "tags": ["vip"]})
    assert "VIP customers" in result.list_names()


def test_destinations_follow_the_cookbook(everything: Loaded) -> None:
    config = everything.config
    mailchimp = {lst.name for lst in config.lists if lst.mailchimp}
    surveys = {lst.name: lst.surveymonkey.survey for lst in config.lists if lst.surveymonkey}
    assert {"Product Line A", "Product Line B", "Product Line C"} <= mailchimp
    assert {"New customers (last 30 days)", "VIP customers", "Phone owners"} <= mailchimp
    assert surveys == {
        "Bad rating submitted": "Customer Satisfaction Survey",
        "New customers (last 30 days)": "Post-Purchase Survey",
    }
    for lst in config.lists:
        if lst.mailchimp is not None:
            assert lst.mailchimp.audience == "Retail customers"
            assert lst.mailchimp.status_if_new is None, "left to the [mailchimp] default"


def test_product_line_merge_field_reads_the_product_line(everything: Loaded) -> None:
    line_a = everything.mappings.list_named("Product Line A")
    assert line_a is not None and line_a.spec.mailchimp is not None
    assert line_a.spec.mailchimp.merge_fields == {"PRODUCT": "user_fields.product_line"}
    result = evaluate(everything, {"user_fields": {"product_line": "product_line_a"}})
    assert "Product Line A" in result.list_names()


def test_new_customers_window_includes_exactly_30_days(everything: Loaded) -> None:
    edge = {"user": {"created_at": "2026-10-24T12:00:00Z"}}  # NOW is 2026-11-23T12:00Z
    after = {"user": {"created_at": "2026-10-24T11:59:59Z"}}
    assert "New customers (last 30 days)" in evaluate(everything, edge).list_names()
    assert "New customers (last 30 days)" not in evaluate(everything, after).list_names()


def test_a_broken_expectation_fails_with_a_readable_message() -> None:
    text = recipe_text("vip_priority.toml").replace(
        'average_annual_spend = "1000.01"', 'average_annual_spend = "999.99"'
    )
    loaded = load_recipes({"vip_priority.toml": text})
    report = run_tests(loaded.mappings, NOW, loaded.locate)
    assert not report.ok
    [failed] = report.failed
    assert failed.name == "vip priority: a decimal stored as text, 1000.01, compares as a number"
    assert failed.where.startswith("recipes/vip_priority.toml:")
    shown = report.text()
    assert "FAIL vip priority: a decimal stored as text" in shown
    assert "expected rule 'Prioritise VIP customers' to fire, but it did not" in shown
    assert 'user_fields.average_annual_spend greater_than 1000 — saw "999.99"' in shown
    assert "expected action tickets.group = 'VIP Support', but the rules want nothing" in shown
    assert shown.endswith("7 passed, 1 failed")


def test_a_list_expectation_that_breaks_names_the_condition_and_value_seen() -> None:
    text = recipe_text("ios.toml").replace('ios_version = "17.4.1"', 'ios_version = "16.4.1"')
    loaded = load_recipes({"ios.toml": text})
    report = run_tests(loaded.mappings, NOW, loaded.locate)
    [failed] = report.failed
    [failure] = failed.failures
    assert failure.startswith("expected in list 'iOS 17', but it is not")
    assert 'includes_string "17." — saw "16.4.1"' in failure
