"""Shared helpers for the condition tests (no tests here): a fixed `now`, a one-condition check."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mappings.conditions import compile_conditions, reference_matches
from mappings.conditions.fields import Catalogue, resolve_field

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
MISSING = object()


def profile_with(field: str, data: object) -> dict[str, Any]:
    """A profile holding `data` at `field`'s path (nothing at all when `data` is MISSING)."""
    resolved = resolve_field(field, None)
    assert not isinstance(resolved, tuple)
    profile: dict[str, Any] = {}
    if data is MISSING:
        return profile
    node = profile
    *parents, last = resolved.path
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = data
    return profile


def evaluate(
    field: str, operator: str, value: object, data: object, catalogue: Catalogue | None = None
) -> bool:
    """Compile one condition, evaluate it on a profile holding `data`; the reference must agree."""
    condition: dict[str, Any] = {"field": field, "operator": operator}
    if value is not MISSING:
        condition["value"] = value
    spec = {"all": [condition]}
    profile = profile_with(field, data)
    compiled = compile_conditions(spec, catalogue).matches(profile, NOW)
    reference = reference_matches(spec, profile, NOW, catalogue)
    assert compiled == reference, "compiled and reference evaluators disagree"
    return compiled
