"""The reference evaluator: slow, direct, obviously correct; the oracle for the property tests.

It reads the raw spec on every call and shares no evaluation code with the compiled path: values
are read with plain dictionary walks, times become aware `datetime`s compared with `timedelta`s.
It shares only the definitions (field types, operator applicability and the value a spec means),
and it assumes the spec already passed `compile_conditions`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from mappings.conditions.fields import Catalogue, Field, FieldType, resolve_field
from mappings.conditions.operators import N_DAYS, effective_type, normalise_value

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def reference_matches(
    spec: Mapping[str, Any], profile: Any, now: datetime, catalogue: Catalogue | None = None
) -> bool:
    """Whether `profile` meets `spec` at `now`, evaluated the long way."""
    every = [
        reference_matches(i, profile, now, catalogue)
        if _is_group(i)
        else _condition(i, profile, now, catalogue)
        for i in spec.get("all", [])
    ]
    some = [
        reference_matches(i, profile, now, catalogue)
        if _is_group(i)
        else _condition(i, profile, now, catalogue)
        for i in spec.get("any", [])
    ]
    return all(every) and (not some or any(some))


def _is_group(item: Mapping[str, Any]) -> bool:
    return "field" not in item


def _condition(
    item: Mapping[str, Any], profile: Any, now: datetime, catalogue: Catalogue | None
) -> bool:
    field = resolve_field(item["field"], catalogue)
    assert isinstance(field, Field)
    operator = item["operator"]
    kind = effective_type(field.type, operator, item.get("value"))
    assert kind is not None
    want = normalise_value(kind, operator, item.get("value"), "value" in item)
    if field.options and operator in ("is", "is_not", "includes", "not_includes"):
        want = _as_option_tags(field, item["value"])
    raw = _read(profile, field.path)
    if operator in ("present", "not_present"):
        present = _present(kind, raw)
        return present if operator == "present" else not present
    if kind is FieldType.LIST:
        assert isinstance(want, frozenset)
        have = {x.casefold() for x in raw if isinstance(x, str)} if isinstance(raw, list) else set()
        common = have & want
        return bool(common) if operator == "includes" else not common
    if kind is FieldType.TEXT:
        if not isinstance(raw, str):
            return False
        assert isinstance(want, str)
        if operator in ("includes_string", "not_includes_string"):
            return (want in raw.casefold()) == (operator == "includes_string")
        return (raw.casefold() == want) == (operator == "is")
    if kind is FieldType.BOOLEAN:
        if type(raw) is not bool:
            return False
        return (raw == want) == (operator == "is")
    if kind is FieldType.NUMBER:
        return _compare(operator, _number(raw), want)
    moment = _time(raw)
    if moment is None:
        return False
    if operator in N_DAYS:
        assert isinstance(want, int)
        span = timedelta(days=want)
        if operator == "within_previous_n_days":
            return now - span <= moment <= now
        if operator == "within_next_n_days":
            return now <= moment <= now + span
        return moment < now - span
    assert isinstance(want, int)
    return _compare(operator, moment, EPOCH + timedelta(microseconds=want))


def _as_option_tags(field: Field, value: Any) -> str | frozenset[str]:
    """Options named in the spec, as the tags a profile holds."""
    if isinstance(value, str):
        option = field.option_for(value)
        assert option is not None
        return option.tag.casefold()
    found = [field.option_for(v) for v in value]
    return frozenset(o.tag.casefold() for o in found if o is not None)


def _read(profile: Any, path: tuple[str, ...]) -> Any:
    value = profile
    for key in path:
        if type(value) is not dict or key not in value:
            return None
        value = value[key]
    return value


def _present(kind: FieldType, raw: Any) -> bool:
    if kind is FieldType.TEXT:
        return isinstance(raw, str) and len(raw) > 0
    if kind is FieldType.NUMBER:
        return _number(raw) is not None
    if kind is FieldType.BOOLEAN:
        return type(raw) is bool
    if kind is FieldType.TIME:
        return _time(raw) is not None
    if kind is FieldType.LIST:
        return isinstance(raw, list) and any(isinstance(x, str) for x in raw)
    return raw not in (None, "") and not (isinstance(raw, list | dict) and len(raw) == 0)


def _number(raw: Any) -> int | float | None:
    if type(raw) is bool:
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return None if math.isnan(raw) or math.isinf(raw) else raw
    if isinstance(raw, str):
        text = raw.strip()
        if not text or any(c not in "0123456789+-.eE" for c in text) or "_" in text:
            return None
        try:
            number = float(text)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _time(raw: Any) -> datetime | None:
    if type(raw) is bool:
        return None
    if isinstance(raw, int | float):
        if math.isnan(raw) or math.isinf(raw) or abs(raw) > 1e11:
            return None
        return EPOCH + timedelta(microseconds=round(raw * 1_000_000))
    if isinstance(raw, str):
        try:
            moment = datetime.fromisoformat(raw)
        except (ValueError, OverflowError):
            return None
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return None


def _compare(operator: str, have: Any, want: Any) -> bool:
    if have is None:
        return False
    return {
        "is": have == want,
        "is_not": have != want,
        "less_than": have < want,
        "greater_than": have > want,
        "less_than_or_equal": have <= want,
        "greater_than_or_equal": have >= want,
    }[operator]
