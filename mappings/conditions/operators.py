"""Zendesk's operator names, which value types each applies to, and what value each expects.

This module defines the meaning of a condition (shared by the compiler and the reference
evaluator); it does not evaluate anything.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Final

from mappings.conditions.fields import FieldType
from mappings.conditions.values import EPOCH, MICROSECOND, as_time

T = FieldType
COMPARISONS: Final = ("less_than", "greater_than", "less_than_or_equal", "greater_than_or_equal")
SUBSTRING: Final = ("includes_string", "not_includes_string")
N_DAYS: Final = ("within_previous_n_days", "within_next_n_days", "more_than_n_days_ago")

APPLIES_TO: Final[dict[str, frozenset[FieldType]]] = {
    "is": frozenset({T.TEXT, T.NUMBER, T.BOOLEAN, T.TIME, T.ANY}),
    "is_not": frozenset({T.TEXT, T.NUMBER, T.BOOLEAN, T.TIME, T.ANY}),
    **{op: frozenset({T.NUMBER, T.TIME, T.ANY}) for op in COMPARISONS},
    "includes": frozenset({T.LIST, T.ANY}),
    "not_includes": frozenset({T.LIST, T.ANY}),
    "includes_string": frozenset({T.TEXT, T.ANY}),
    "not_includes_string": frozenset({T.TEXT, T.ANY}),
    "present": frozenset(FieldType),
    "not_present": frozenset(FieldType),
    **{op: frozenset({T.TIME, T.ANY}) for op in N_DAYS},
}

EXPECTED_VALUE: Final[dict[FieldType, str]] = {
    T.TEXT: "text",
    T.NUMBER: "a number",
    T.BOOLEAN: "true or false",
    T.TIME: "a date or time such as 2024-02-01 or 2024-02-01T09:30:00Z",
    T.LIST: "text or a list of text",
}
N_DAYS_EXPECTED: Final = "a whole number of days, 0 or more"

# A compiled value: folded text, a number, a bool, microseconds, a set of folded text, or None.
Value = str | int | float | bool | frozenset[str] | None


def operators_for(kind: FieldType) -> list[str]:
    """The operators that apply to a value type, in the order Zendesk lists them."""
    return [op for op, kinds in APPLIES_TO.items() if kind in kinds]


def effective_type(kind: FieldType, operator: str, value: object) -> FieldType | None:
    """The type to evaluate as; for an untyped custom field, inferred from operator and value.

    None means the value does not say (e.g. `less_than "soon"` on an untyped field).
    """
    if kind is not T.ANY:
        return kind
    if operator in ("present", "not_present"):
        return T.ANY
    if operator in ("includes", "not_includes"):
        return T.LIST
    if operator in SUBSTRING:
        return T.TEXT
    if operator in N_DAYS:
        return T.TIME
    if isinstance(value, bool):
        return T.BOOLEAN if operator in ("is", "is_not") else None
    if isinstance(value, int | float):
        return T.NUMBER
    if isinstance(value, date) or (isinstance(value, str) and as_time(value) is not None):
        return T.TIME if operator in COMPARISONS else T.TEXT
    if isinstance(value, str):
        return T.TEXT if operator in ("is", "is_not") else None
    return None


def normalise_value(kind: FieldType, operator: str, value: object, given: bool) -> Value:
    """The spec value ready for evaluation (`given` says whether the spec had a `value` key).

    Raises ValueError whose message says what was expected.
    """
    if operator in ("present", "not_present"):
        if given and value is not None:
            raise ValueError(f"{operator} takes no value; remove it")
        return None
    if operator in N_DAYS:
        expected = N_DAYS_EXPECTED
        if given and isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    elif kind is T.TEXT and operator in SUBSTRING:
        expected = "some text to look for (not empty)"
        if isinstance(value, str) and value:
            return value.casefold()
    elif kind is T.TEXT:
        expected = EXPECTED_VALUE[kind]
        if isinstance(value, str):
            return value.casefold()
    elif kind is T.NUMBER:
        expected = EXPECTED_VALUE[kind]
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if is_number and math.isfinite(value):  # type: ignore[arg-type]
            return value  # type: ignore[return-value]
    elif kind is T.BOOLEAN:
        expected = EXPECTED_VALUE[kind]
        if isinstance(value, bool):
            return value
    elif kind is T.TIME:
        expected = EXPECTED_VALUE[kind]
        moment = _spec_time(value)
        if moment is not None:
            return moment
    else:  # T.LIST
        expected = EXPECTED_VALUE[T.LIST]
        if isinstance(value, str):
            return frozenset({value.casefold()})
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return frozenset(v.casefold() for v in value)
    if not given:
        raise ValueError(f"missing value; expected {expected}")
    raise ValueError(f"expected {expected}, got {value!r}")


def _spec_time(value: object) -> int | None:
    """A time written in the spec: an ISO string, or a TOML date/datetime (naive means UTC)."""
    if isinstance(value, str):
        return as_time(value)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return (moment - EPOCH) // MICROSECOND
    if isinstance(value, date):
        return (datetime(value.year, value.month, value.day, tzinfo=UTC) - EPOCH) // MICROSECOND
    return None
