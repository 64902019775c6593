"""Checking bulk changes before anything is sent: every problem at once, each with its place.

A change is `(id, attributes)`. Users take `user_fields` (a dict keyed by field key) and/or
`tags`; tickets take `priority`, `group_id`, `tags`, `additional_tags` and `remove_tags`.
Zendesk checks the values themselves (a dropdown's tag, a date) and answers per item.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from connector.zendesk.shapes import Json

Change = tuple[int, Mapping[str, Any]]

ATTRIBUTES = {
    "users": ("user_fields", "tags"),
    "tickets": ("priority", "group_id", "tags", "additional_tags", "remove_tags"),
}
TAG_LISTS = ("tags", "additional_tags", "remove_tags")
PRIORITIES = (None, "low", "normal", "high", "urgent")
MAX_PROBLEMS_SHOWN = 20


class InvalidChanges(ValueError):
    """Changes that cannot be sent; nothing was sent."""

    def __init__(self, kind: str, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        lines = "\n".join(f"  - {p}" for p in shown) + (
            f"\n  - ... and {more} more" if more else ""
        )
        super().__init__(f"{len(problems)} invalid {kind} change(s), nothing sent:\n{lines}")


def checked(kind: str, changes: Iterable[Change]) -> list[Json]:
    """The changes as Zendesk's batch items `{"id": ..., ...}`, or InvalidChanges."""
    problems: list[str] = []
    items: list[Json] = []
    first_seen: dict[int, int] = {}
    for position, change in enumerate(changes):
        where = f"change {position}"
        if not isinstance(change, tuple | list) or len(change) != 2:
            problems.append(f"{where}: expected (id, attributes), got {type(change).__name__}")
            continue
        item_id, attributes = change
        if isinstance(item_id, bool) or not isinstance(item_id, int) or item_id < 1:
            problems.append(f"{where}: the id must be a positive int, got {item_id!r}")
            continue
        where = f"{where} ({kind[:-1]} {item_id})"
        if item_id in first_seen:
            problems.append(
                f"{where}: the same id is in change {first_seen[item_id]}; merge them into one"
            )
            continue
        first_seen[item_id] = position
        found = _attribute_problems(kind, attributes)
        problems += [f"{where}: {p}" for p in found]
        if not found:
            items.append({"id": item_id, **attributes})
    if problems:
        raise InvalidChanges(kind, problems)
    return items


def _attribute_problems(kind: str, attributes: Any) -> list[str]:
    allowed = ATTRIBUTES[kind]
    if not isinstance(attributes, Mapping) or not attributes:
        return [f"attributes must be a non-empty dict of {', '.join(allowed)}"]
    problems = []
    for name, value in attributes.items():
        if name not in allowed:
            problems.append(_unknown(name, allowed))
        elif name in TAG_LISTS:
            if not isinstance(value, list | tuple) or not all(
                isinstance(tag, str) and tag.strip() for tag in value
            ):
                problems.append(f"{name} must be a list of non-empty strings, got {value!r}")
        elif name == "user_fields":
            if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
                problems.append(f"user_fields must be a dict keyed by field key, got {value!r}")
        elif name == "priority":
            if value not in PRIORITIES:
                problems.append(
                    f"priority must be low, normal, high, urgent or None, got {value!r}"
                )
        elif (
            name == "group_id"
            and value is not None
            and (isinstance(value, bool) or not isinstance(value, int) or value < 1)
        ):
            problems.append(
                f"group_id must be a group's id (a positive int) or None, got {value!r}"
            )
    return problems


def _unknown(name: object, allowed: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(str(name), allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown attribute {name!r}{hint}; allowed: {', '.join(allowed)}"
