"""`explain`: why a profile is (or is not) matched — each condition's outcome and the value seen."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mappings.conditions.compile import Compiled, Group, Leaf
from mappings.conditions.fields import FieldType
from mappings.conditions.values import EPOCH, as_time, now_us


@dataclass(frozen=True)
class Explanation:
    """One node of the answer: a group (with `children`) or a condition (with `actual`)."""

    location: str
    passed: bool
    label: str
    actual: object = None
    children: tuple[Explanation, ...] = ()
    leaf: bool = False

    def text(self, indent: int = 0) -> str:
        """Readable lines, one per node, e.g. `FAIL all[0] tags includes "vip" — saw ["x"]`."""
        mark = "pass" if self.passed else "FAIL"
        line = f"{'  ' * indent}{mark} {self.label}"
        if self.leaf:
            line += f" — saw {_show(self.actual)}"
        lines = [line]
        lines += [child.text(indent + 1) for child in self.children]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()


def explain(compiled: Compiled, profile: Any, now: datetime) -> Explanation:
    """Evaluate every condition (no short-circuit) and report outcomes with the values seen."""
    return _node(compiled.root, profile, now_us(now))


def _node(node: Group | Leaf, profile: Any, moment: int) -> Explanation:
    if isinstance(node, Leaf):
        label = f"{node.location} {node.field.address} {node.operator}"
        if node.operator not in ("present", "not_present"):
            label += f" {_show(node.value)}"
        actual = _readable(node.kind, node.read(profile))
        return Explanation(node.location, node.test(profile, moment), label, actual, leaf=True)
    children = tuple(_node(item, profile, moment) for item in node.items)
    if not node.part:
        label = node.location or "conditions"
    elif not node.items:
        label = f"{node.location}: (empty, no constraint)"
    else:
        label = f"{node.location}: {node.mode} of"
    return Explanation(node.location, node.test(profile, moment), label, None, children)


def _readable(kind: FieldType, value: object) -> object:
    """A moment kept as Unix seconds is shown as the UTC time it stands for."""
    if kind is not FieldType.TIME or isinstance(value, (str, bool)):
        return value
    micros = as_time(value)
    if micros is None:
        return value
    return (EPOCH + timedelta(microseconds=micros)).isoformat().replace("+00:00", "Z")


def _show(value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)
