"""config.example.toml: it loads, its tests pass, and it documents every key of the model."""

from __future__ import annotations

import re
import tomllib
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from mappings.config import Config
from mappings.load import Loaded, load
from mappings.ruletests import run_tests
from tests.mapping_helpers import ENV, NOW, sandbox_schema

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config.example.toml"
Path_ = tuple[str, ...]
_HEADER = re.compile(r"\[\[?\s*([A-Za-z0-9_.]+)\s*\]\]?")


@pytest.fixture(scope="module")
def loaded() -> Loaded:
    return load(str(EXAMPLE), env=ENV, schema=sandbox_schema())


def model_keys(model: type[BaseModel], prefix: Path_ = ()) -> Iterator[Path_]:
    """Every key path of `model`, through nested models and the item models of lists."""
    for name, info in model.model_fields.items():
        path = (*prefix, name)
        yield path
        for nested in _models_in(info.annotation):
            yield from model_keys(nested, path)


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        yield from _models_in(typing.get_args(annotation)[0])
    elif origin in (list, tuple, typing.Union, types.UnionType):
        for argument in typing.get_args(annotation):
            yield from _models_in(argument)


def data_keys(data: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    """Every key path of parsed TOML; the items of an array share their array's path."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield (*prefix, key)
            yield from data_keys(value, (*prefix, key))
    elif isinstance(data, list):
        for item in data:
            yield from data_keys(item, prefix)


def documented_keys(text: str) -> set[Path_]:
    """The keys set in `text`, and those shown commented out (`# key = value`) in their table."""
    found = set(data_keys(tomllib.loads(text)))
    table: Path_ = ()
    for line in text.splitlines():
        stripped = line.strip()
        body = stripped.lstrip("#").strip()
        header = _HEADER.fullmatch(body)
        if header:
            table = tuple(header.group(1).split("."))
        elif stripped.startswith("#") and "=" in body:
            try:
                shown = tomllib.loads(body)
            except tomllib.TOMLDecodeError:
                continue
            found |= {(*table, *key) for key in data_keys(shown)}
    return found


def test_the_example_loads_with_no_problems_or_warnings(loaded: Loaded) -> None:
    assert loaded.warnings == ()
    assert loaded.config.zendesk.token.reveal() == ENV["ZENDESK_TOKEN"]
    assert loaded.config.mailchimp is not None
    assert loaded.config.mailchimp.api_key.reveal() == ENV["MAILCHIMP_API_KEY"]
    assert loaded.config.surveymonkey is not None


def test_the_example_includes_every_recipe(loaded: Loaded) -> None:
    recipes = sorted((ROOT / "mappings" / "recipes").glob("*.toml"))
    count = len(loaded.config.tests)
    included = {loaded.locate(("tests", i)).rsplit(":", 1)[0] for i in range(count)}
    assert {str(path) for path in recipes} <= included
    assert {"Flag bad satisfaction ratings", "Prioritise VIP customers"} <= {
        rule.name for rule in loaded.config.rules
    }


def test_the_example_schedules_incremental_runs_and_a_nightly_full_one(loaded: Loaded) -> None:
    jobs = {job.name: job for job in loaded.config.schedule.jobs}
    incremental = [job for job in jobs.values() if job.every is not None and not job.full]
    nightly = [job for job in jobs.values() if job.cron is not None and job.full]
    assert [job.every for job in incremental] == [15 * 60]
    assert [job.cron for job in nightly] == ["0 3 * * *"]


def test_the_example_secrets_all_come_from_the_environment() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    secrets = re.findall(r"^\s*#?\s*(?:token|api_key|access_token|password) = \"(.*)\"", text, re.M)
    assert len(secrets) == 4
    assert all(value.startswith("env:") for value in secrets)


def test_every_key_of_the_config_model_is_documented_in_the_example() -> None:
    expected = set(model_keys(Config))
    documented = documented_keys(EXAMPLE.read_text(encoding="utf-8"))
    missing = sorted(".".join(path) for path in expected - documented)
    assert missing == []


def test_the_key_walk_sees_nested_and_list_item_models() -> None:
    keys = set(model_keys(Config))
    assert ("surveymonkey", "fatigue", "days") in keys
    assert ("schedule", "jobs", "cron") in keys
    assert ("lists", "csv", "columns", "header") in keys
    assert ("tests", "actions", "value") in keys
    assert ("rules", "actions", "field") in keys


def test_a_commented_out_key_counts_in_its_own_table() -> None:
    text = '[zendesk]\nsubdomain = "a"\n# base_url = "http://x"\n\n[state]\n# password = "env:P"\n'
    assert documented_keys(text) >= {("zendesk", "base_url"), ("state", "password")}
    assert ("zendesk", "password") not in documented_keys(text)


def test_the_examples_own_tests_and_the_recipes_tests_pass(loaded: Loaded) -> None:
    report = run_tests(loaded.mappings, NOW, loaded.locate)
    assert len(report.results) > 30
    assert report.ok, report.text()


def test_the_examples_own_list_is_grouped_and_sent_everywhere(loaded: Loaded) -> None:
    evaluate = loaded.mappings.evaluator(NOW)
    profile = {
        "user_fields": {
            "service_level": "gold",
            "product_line": "product_line_c",
            "subscription_renewal_date": "2026-12-01T00:00:00Z",
        }
    }
    result = evaluate(profile)
    assert "Gold renewals: Product Line C" in result.list_names()
    assert result.desired.add_tags == frozenset({"renewal_due"})
