"""Properties: the compiled predicate agrees with the reference evaluator, and never raises."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mappings.conditions import batch, compile_conditions, explain, reference_matches
from mappings.conditions.fields import BUILTINS, FieldType
from tests.test_conditions_support import NOW

SETTINGS = settings(max_examples=300, deadline=None)

TEXTS = ["vip", "VIP", "maria@example.com", "Maria@Example.COM", "", "it", "subscribed", "1200.50"]
ISO_VALUES = ["2026-10-24", "2026-10-24T12:00:00Z", "2026-11-23T14:00:00+02:00", "2024-02-01"]
FIELDS: dict[str, FieldType] = {
    **BUILTINS,
    "user_fields.product_line": FieldType.ANY,
    "user_fields.spend": FieldType.ANY,
    "mailchimp.status.Retail Customers": FieldType.TEXT,
}

texts = st.sampled_from(TEXTS)
numbers = st.one_of(st.integers(-3, 3), st.sampled_from([0.5, 1000, 1200.5, -1e9]))
days = st.integers(0, 40)
iso_values = st.sampled_from(ISO_VALUES)
tag_values = st.one_of(texts, st.lists(texts, min_size=1, max_size=3))

# Data near the interesting edges: whole days around now, give or take a second or an hour.
near_now = st.builds(
    lambda d, s: NOW - timedelta(days=d, seconds=s),
    st.integers(-40, 40),
    st.sampled_from([-3600, -1, 0, 1, 3600]),
)
time_data = st.one_of(
    near_now.map(lambda m: m.strftime("%Y-%m-%dT%H:%M:%SZ")),
    near_now.map(lambda m: m.astimezone(_plus_two()).isoformat()),
    near_now.map(lambda m: m.date().isoformat()),
    near_now.map(lambda m: int(m.timestamp())),
    iso_values,
)
number_data = st.one_of(
    st.integers(-5, 2000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet="0123456789.+-eE _", max_size=6),
    st.sampled_from(["1200.50", " 3 ", "nan", "inf", "1e3", ".5", "5."]),
)
data = st.one_of(
    st.none(),
    st.booleans(),
    texts,
    number_data,
    time_data,
    st.lists(st.one_of(texts, st.integers()), max_size=3),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)


def _plus_two() -> Any:
    from datetime import timezone

    return timezone(timedelta(hours=2))


def _value_for(kind: FieldType, operator: str) -> st.SearchStrategy[Any]:
    if operator in ("within_previous_n_days", "within_next_n_days", "more_than_n_days_ago"):
        return days
    if kind is FieldType.TEXT:
        return texts
    if kind is FieldType.NUMBER:
        return numbers
    if kind is FieldType.BOOLEAN:
        return st.booleans()
    if kind is FieldType.TIME:
        return iso_values
    if kind is FieldType.LIST:
        return tag_values
    return st.one_of(texts, numbers, st.booleans(), iso_values, tag_values)


OPERATORS: dict[FieldType, list[str]] = {
    FieldType.TEXT: ["is", "is_not", "includes_string", "not_includes_string"],
    FieldType.NUMBER: ["is", "is_not", "less_than", "greater_than", "less_than_or_equal"],
    FieldType.BOOLEAN: ["is", "is_not"],
    FieldType.TIME: [
        "is",
        "greater_than_or_equal",
        "less_than",
        "within_previous_n_days",
        "within_next_n_days",
        "more_than_n_days_ago",
    ],
    FieldType.LIST: ["includes", "not_includes"],
}
OPERATORS[FieldType.ANY] = [op for ops in OPERATORS.values() for op in ops]


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    field = draw(st.sampled_from(sorted(FIELDS)))
    kind = FIELDS[field]
    operator = draw(st.sampled_from([*OPERATORS[kind], "present", "not_present"]))
    if operator in ("present", "not_present"):
        return {"field": field, "operator": operator}
    return {"field": field, "operator": operator, "value": draw(_value_for(kind, operator))}


def _group(items: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"all": st.lists(items, min_size=1, max_size=3)},
        optional={"any": st.lists(items, max_size=3)},
    )


specs = _group(st.one_of(conditions(), conditions(), _group(conditions())))


def _valid(spec: dict[str, Any]) -> bool:
    try:
        compile_conditions(spec)
    except ValueError:
        return False
    return True


valid_specs = specs.filter(_valid)

TYPED_DATA: dict[FieldType, st.SearchStrategy[Any]] = {
    FieldType.TEXT: texts,
    FieldType.NUMBER: number_data,
    FieldType.BOOLEAN: st.booleans(),
    FieldType.TIME: time_data,
    FieldType.LIST: st.lists(st.one_of(texts, st.integers()), max_size=3),
    FieldType.ANY: data,
}


def _section(prefix: str) -> st.SearchStrategy[Any]:
    """A profile section whose fields mostly hold data of their own type, sometimes junk."""
    fields = {
        address[len(prefix) :]: st.one_of(TYPED_DATA[kind], TYPED_DATA[kind], data)
        for address, kind in FIELDS.items()
        if address.startswith(prefix)
    }
    return st.fixed_dictionaries(fields)  # absent keys are covered by the arbitrary-JSON test


profiles = st.fixed_dictionaries(
    {
        "user": st.one_of(_section("user."), _section("user."), st.none()),
        "user_fields": _section("user_fields."),
        "tags": st.one_of(TYPED_DATA[FieldType.LIST], data),
        "tickets": _section("tickets."),
        "satisfaction": _section("satisfaction."),
        "mailchimp": st.fixed_dictionaries({"status": _section("mailchimp.status.")}),
    }
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["2026-11-01", "2026-11-01T00:00:00+02:00", "1200.50", "vip"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "user",
                    "user_fields",
                    "tags",
                    "tickets",
                    "satisfaction",
                    "mailchimp",
                    "status",
                    "email",
                    "created_at",
                    "count",
                    "channels",
                    "last_bad_at",
                    "product_line",
                    "spend",
                    "Retail Customers",
                    "suspended",
                ]
            )
            | st.text(max_size=4),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@SETTINGS
@given(spec=valid_specs, profile=profiles)
def test_compiled_agrees_with_reference_on_profiles(spec: dict[str, Any], profile: Any) -> None:
    compiled = compile_conditions(spec)
    expected = reference_matches(spec, profile, NOW)
    assert compiled.matches(profile, NOW) is expected
    assert explain(compiled, profile, NOW).passed is expected


@SETTINGS
@given(spec=valid_specs, profile=json_values)
def test_evaluation_never_raises_on_arbitrary_json(spec: dict[str, Any], profile: Any) -> None:
    compiled = compile_conditions(spec)
    assert compiled.matches(profile, NOW) is reference_matches(spec, profile, NOW)
    explain(compiled, profile, NOW).text()


@settings(max_examples=200, deadline=None)
@given(spec=json_values)
def test_compiling_arbitrary_data_returns_a_predicate_or_problems(spec: Any) -> None:
    try:
        compile_conditions(spec)
    except ValueError as error:
        assert str(error)


@SETTINGS
@given(sets=st.lists(valid_specs, min_size=1, max_size=4), profile=profiles)
def test_batch_agrees_with_each_set_alone(sets: list[dict[str, Any]], profile: Any) -> None:
    compiled = [compile_conditions(spec) for spec in sets]
    expected = tuple(reference_matches(spec, profile, NOW) for spec in sets)
    assert batch(compiled).matches(profile, NOW) == expected
    assert batch(compiled).predicate(NOW)([profile]) == tuple(
        reference_matches(spec, [profile], NOW) for spec in sets
    )
