"""Properties: the loader never raises on any text; the evaluator never raises on any profile."""

from __future__ import annotations

import math
import tomllib
from datetime import date, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mappings.engine import Evaluation, Mappings
from mappings.load import Loaded
from mappings.problems import ConfigProblem
from tests.mapping_helpers import NOW, check_files, sandbox_schema

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SCHEMA = sandbox_schema()
ZENDESK = {"subdomain": "acme", "email": "admin@acme.test", "token": "env:ZENDESK_TOKEN"}

# --- a tiny TOML writer ---------------------------------------------------------------------------


def toml_string(text: str) -> str:
    escaped = []
    for char in text:
        if char in '"\\':
            escaped.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{toml_string(key)} = {toml_value(item)}" for key, item in value.items())
        return "{ " + ", ".join(pairs) + " }"
    raise TypeError(type(value))


def toml_document(data: dict[str, Any]) -> str:
    """Scalars and arrays first, then `[table]`s, then `[[array of tables]]`s."""
    lines: list[str] = []
    tables: list[str] = []
    for key, value in data.items():
        name = toml_string(key)
        if isinstance(value, dict):
            tables.append(f"[{name}]")
            tables += [f"{toml_string(k)} = {toml_value(v)}" for k, v in value.items()]
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                tables.append(f"[[{name}]]")
                tables += [f"{toml_string(k)} = {toml_value(v)}" for k, v in item.items()]
        else:
            lines.append(f"{name} = {toml_value(value)}")
    return "\n".join([*lines, *tables]) + "\n"


# --- strategies -----------------------------------------------------------------------------------

KEYS = (
    "zendesk", "subdomain", "email", "token", "plan", "base_url", "mailchimp", "api_key",
    "status_if_new", "surveymonkey", "access_token", "state", "url", "password", "schedule",
    "jobs", "every", "cron", "limits", "rules", "lists", "tests", "name", "enabled",
    "conditions", "all", "any", "field", "operator", "value", "actions", "group_by", "audience",
    "tag", "merge_fields", "csv", "path", "columns", "include", "profile", "user_fields", "tags",
    "in_lists", "not_in_lists", "fires", "not_fires", "not_actions", "now", "PRODUCT",
)  # fmt: skip
WORDS = (
    "acme", "admin@acme.test", "env:ZENDESK_TOKEN", "env:MISSING", "file:/nope", "growth",
    "subscribed", "15m", "0 3 * * *", "sqlite:///x.db", "tags", "includes", "is", "present",
    "within_previous_n_days", "user_fields.vip", "user_fields.phone_model", "iPhone 15",
    "user_fields.last_purchase_date", "tickets.priority", "tickets.group", "add_tags", "high",
    "Support", "user.email", "satisfaction.bad_count", "config.toml", "*.toml", "VIP",
)  # fmt: skip
keys = st.sampled_from(KEYS) | st.text(max_size=12)
scalars = (
    st.sampled_from(WORDS)
    | st.text(max_size=20)
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats()
    | st.booleans()
    | st.dates()
    | st.datetimes()
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
)
documents = st.dictionaries(
    keys,
    values
    | st.dictionaries(keys, values, max_size=5)
    | st.lists(st.dictionaries(keys, values, max_size=5), min_size=1, max_size=3),
    max_size=6,
)
condition = st.fixed_dictionaries(
    {
        "field": st.sampled_from(WORDS) | st.text(max_size=10),
        "operator": st.sampled_from(WORDS) | st.text(max_size=10),
    },
    optional={"value": scalars | st.lists(scalars, max_size=3)},
)
conditions = st.dictionaries(
    st.sampled_from(("all", "any", "none")), st.lists(condition, max_size=3)
)
plausible = st.fixed_dictionaries(
    {"zendesk": st.just(ZENDESK) | st.dictionaries(keys, values, max_size=4)},
    optional={
        "rules": st.lists(
            st.fixed_dictionaries(
                {"name": st.sampled_from(("A", "B", "a"))},
                optional={
                    "conditions": conditions,
                    "actions": st.lists(
                        st.fixed_dictionaries(
                            {"field": st.sampled_from(WORDS)}, optional={"value": values}
                        ),
                        max_size=3,
                    ),
                    "enabled": st.booleans(),
                },
            ),
            min_size=1,
            max_size=3,
        ),
        "lists": st.lists(
            st.fixed_dictionaries(
                {"name": st.sampled_from(("VIP", "Phones", "vip"))},
                optional={
                    "conditions": conditions,
                    "group_by": st.sampled_from(WORDS),
                    "mailchimp": st.dictionaries(keys, values, max_size=3),
                },
            ),
            min_size=1,
            max_size=3,
        ),
        "tests": st.lists(st.dictionaries(keys, values, max_size=5), min_size=1, max_size=2),
        "include": st.lists(st.sampled_from(WORDS), max_size=2),
    },
)


def assert_well_formed(result: tuple[Loaded | None, list[ConfigProblem]]) -> None:
    loaded, problems = result
    for problem in problems:
        assert isinstance(problem, ConfigProblem)
        assert problem.file
        assert problem.line >= 0
        assert str(problem)
    if loaded is None:
        assert any(not p.warning for p in problems)
    else:
        assert all(p.warning for p in problems)
        assert loaded.warnings == tuple(problems)


def checked(text: str) -> tuple[Loaded | None, list[ConfigProblem]]:
    return check_files({"config.toml": text, "other.toml": text}, schema=SCHEMA)


@SETTINGS
@given(text=st.text(max_size=300))
def test_any_text_is_loaded_or_refused_with_placed_problems(text: str) -> None:
    assert_well_formed(checked(text))


@SETTINGS
@given(
    lines=st.lists(
        st.sampled_from(
            ["[zendesk]", "[[lists]]", "[[rules]]", 'name = "x"', "x = ", "= 1", "[", "]]", "{"]
        )
        | st.text(max_size=30),
        max_size=12,
    )
)
def test_toml_looking_text_is_loaded_or_refused(lines: list[str]) -> None:
    assert_well_formed(checked("\n".join(lines)))


@SETTINGS
@given(data=documents)
def test_any_toml_document_is_loaded_or_refused(data: dict[str, Any]) -> None:
    text = toml_document(data)
    tomllib.loads(text)  # the writer writes TOML
    assert_well_formed(checked(text))


@SETTINGS
@given(data=plausible)
def test_plausible_configs_are_loaded_or_refused(data: dict[str, Any]) -> None:
    text = toml_document(data)
    tomllib.loads(text)
    assert_well_formed(checked(text))
    assert_well_formed(check_files({"config.toml": text}))  # and without a schema


# --- the evaluator --------------------------------------------------------------------------------

REALISTIC = """\
[zendesk]
subdomain = "acme"
email = "admin@acme.test"
token = "env:ZENDESK_TOKEN"

[mailchimp]
api_key = "env:MAILCHIMP_API_KEY"

[[rules]]
name = "Flag bad ratings"
conditions = { all = [
  { field = "satisfaction.last_score", operator = "is", value = "bad" },
  { field = "satisfaction.last_bad_at", operator = "within_previous_n_days", value = 7 },
] }
actions = [{ field = "user_fields.bad_rating_submitted", value = true }]

[[rules]]
name = "Escalate"
conditions = { any = [
  { field = "tags", operator = "includes", value = "bad_rating" },
  { field = "user_fields.service_level", operator = "is", value = "Platinum" },
  { field = "user_fields.average_annual_spend", operator = "greater_than", value = 1000 },
] }
actions = [
  { field = "tickets.priority", value = "high" },
  { field = "tickets.group", value = "VIP Support" },
  { field = "user_fields.vip", value = true },
]

[[rules]]
name = "Not VIP when quiet"
conditions = { all = [{ field = "tickets.count", operator = "less_than", value = 1 }] }
actions = [{ field = "remove_tags", value = "vip" }, { field = "add_tags", value = "quiet" }]

[[lists]]
name = "Phones"
group_by = "user_fields.phone_model"
conditions = { all = [
  { field = "user_fields.ios_version", operator = "includes_string", value = "17" },
  { field = "user.email", operator = "present" },
] }
mailchimp = { audience = "Main", merge_fields = { PHONE = "user_fields.phone_model" } }

[[lists]]
name = "Renewing"
conditions = { all = [
  { field = "user_fields.subscription_renewal_date", operator = "within_next_n_days", value = 30 },
  { field = "mailchimp.status.Main", operator = "is_not", value = "unsubscribed" },
] }

[[lists]]
name = "Channels"
group_by = "tickets.channels"
conditions = { any = [
  { field = "tickets.last_created_at", operator = "more_than_n_days_ago", value = 90 },
  { field = "tags", operator = "not_includes", value = "quiet" },
] }

[[lists]]
name = "Influence"
group_by = "user_fields.social_influence"
"""

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=15,
)
field_values = (
    json_values
    | st.sampled_from(["iphone_15", "iPhone 14", "17.4.1", "platinum", "2026-11-20", "bad"])
    | st.datetimes().map(lambda d: d.isoformat() + "Z")
    | st.integers(min_value=0, max_value=2**34)
)
profiles = st.fixed_dictionaries(
    {},
    optional={
        "user": st.dictionaries(st.sampled_from(("email", "name", "created_at")), field_values),
        "user_fields": st.dictionaries(st.sampled_from(sorted(SCHEMA.fields)), field_values),
        "tags": st.lists(st.sampled_from(["vip", "bad_rating", "quiet"]) | json_values)
        | json_values,
        "tickets": st.dictionaries(
            st.sampled_from(("count", "open_count", "last_created_at", "channels")), field_values
        ),
        "satisfaction": st.dictionaries(
            st.sampled_from(("last_score", "bad_count", "last_bad_at")), field_values
        ),
        "mailchimp": st.dictionaries(
            st.just("status"), st.dictionaries(st.just("Main"), json_values)
        )
        | json_values,
    },
)


def realistic() -> Mappings:
    loaded, problems = check_files({"config.toml": REALISTIC}, schema=SCHEMA)
    assert loaded is not None, problems
    return loaded.mappings


MAPPINGS = realistic()
EVALUATE = MAPPINGS.evaluator(NOW)


def assert_sane(result: Evaluation) -> None:
    assert all(isinstance(name, str) for name in result.list_names())
    assert set(result.desired.fired) <= {rule.name for rule in MAPPINGS.rules}
    for conflict in result.desired.conflicts:
        assert str(conflict).startswith("rules disagree on ")


@SETTINGS
@given(profile=profiles)
def test_the_evaluator_never_raises_on_shaped_profiles(profile: dict[str, Any]) -> None:
    first = EVALUATE(profile)
    assert_sane(first)
    assert_sane(EVALUATE(first.profile))


@SETTINGS
@given(profile=json_values)
def test_the_evaluator_never_raises_on_any_json(profile: Any) -> None:
    assert_sane(EVALUATE(profile))
