"""Rule actions: what a rule may set, checked against the Zendesk schema, as desired values.

An action is `{ field = "...", value = ... }`, the shape of a Zendesk trigger's actions:

- `user_fields.<key>`: set a custom user field (checkbox true/false, a dropdown option by name or
  tag, a number, a date, text);
- `add_tags` / `remove_tags`: tags on the user (text with spaces between tags, or a list);
- `tickets.priority`, `tickets.group` (by name), `tickets.add_tags`: on the user's unsolved tickets.

Every action compiles to one or more *claims* `(target, value)`: the value a rule wants a target
to have (`user_fields.vip` = True, `tags.vip` = "add", `tickets.priority` = "high"). Claims are
what make rules idempotent (they are desired values, not edits) and what conflicts are found on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from mappings.conditions.problems import did_you_mean
from mappings.config import PRIORITIES, Action
from mappings.problems import PathProblem
from mappings.schema import UserFieldSchema, ZendeskSchema, describe_options
from mappings.toml_source import PathKey

USER_FIELDS = "user_fields."
TAG_TARGETS = ("add_tags", "remove_tags")
TICKET_TARGETS = ("tickets.priority", "tickets.group", "tickets.add_tags")
TARGETS = (*TAG_TARGETS, *TICKET_TARGETS)
SETTABLE_TYPES = ("text", "textarea", "regexp", "checkbox", "dropdown", "tagger", "multiselect",
                  "integer", "decimal", "date")  # fmt: skip
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
Claim = tuple[str, object]  # (target, desired value)


@dataclass(frozen=True)
class CompiledAction:
    """An action as the claims it makes; `field` is the user field's schema when known."""

    target: str
    claims: tuple[Claim, ...]
    field: UserFieldSchema | None = None


def compile_action(
    action: Action, schema: ZendeskSchema | None, path: PathKey, problems: list[PathProblem]
) -> CompiledAction | None:
    """The action's claims, or None with what is wrong appended to `problems`."""
    target, value = action.field, action.value
    at_field, at_value = (*path, "field"), (*path, "value")
    if value is None:
        problems.append(PathProblem(at_value, f"missing value for {target}"))
        return None
    if target.startswith(USER_FIELDS) and len(target) > len(USER_FIELDS):
        return _user_field(target[len(USER_FIELDS) :], value, schema, path, problems)
    if target in ("add_tags", "remove_tags", "tickets.add_tags"):
        tags = _tags(value, at_value, problems)
        if tags is None:
            return None
        if target == "tickets.add_tags":
            return CompiledAction(target, tuple((f"tickets.tags.{t}", "add") for t in tags))
        change = "add" if target == "add_tags" else "remove"
        return CompiledAction(target, _tag_claims(tags, change, schema))
    if target == "tickets.priority":
        if not isinstance(value, str) or value.lower() not in PRIORITIES:
            suggestion = did_you_mean(value, PRIORITIES) if isinstance(value, str) else None
            message = f"expected a priority: one of {', '.join(PRIORITIES)}; got {value!r}"
            problems.append(PathProblem(at_value, message, suggestion))
            return None
        return CompiledAction(target, ((target, value.lower()),))
    if target == "tickets.group":
        return _group(value, schema, at_value, problems)
    known = [*TARGETS, *(USER_FIELDS + key for key in (schema.fields if schema else {}))]
    problems.append(
        PathProblem(
            at_field,
            f"unknown action {target!r}; expected user_fields.<key>, {', '.join(TARGETS)}",
            did_you_mean(target, known),
        )
    )
    return None


def _user_field(
    key: str,
    value: object,
    schema: ZendeskSchema | None,
    path: PathKey,
    problems: list[PathProblem],
) -> CompiledAction | None:
    target = USER_FIELDS + key
    at_value = (*path, "value")
    field = schema.fields.get(key) if schema else None
    if schema is not None and field is None:
        known = ", ".join(sorted(schema.fields)) or "none"
        problems.append(
            PathProblem(
                (*path, "field"),
                f"the user field {key!r} does not exist in Zendesk; known user fields: {known}",
                _suggest_field(key, schema),
            )
        )
        return None
    if field is None:
        plain = _untyped_value(value)
        if plain is None:
            message = (
                f"expected true/false, a number, text, a date or a list of text; got {value!r}"
            )
            problems.append(PathProblem(at_value, message))
            return None
        return CompiledAction(target, ((target, plain),))
    if field.type not in SETTABLE_TYPES:
        settable = ", ".join(SETTABLE_TYPES)
        message = f"deskbridge cannot set a {field.type} field ({key}); it sets {settable}"
        problems.append(PathProblem((*path, "field"), message))
        return None
    typed = _typed_value(field, value, at_value, problems)
    if typed is None:
        return None
    claims: list[Claim] = [(target, typed)]
    if field.type == "checkbox" and field.tag:
        claims.append((f"tags.{field.tag}", "add" if typed else "remove"))
    return CompiledAction(target, tuple(claims), field)


def _typed_value(
    field: UserFieldSchema, value: object, where: PathKey, problems: list[PathProblem]
) -> object:
    kind = field.type
    if kind == "checkbox":
        if isinstance(value, bool):
            return value
        expected = "true or false"
    elif kind in ("dropdown", "tagger"):
        if isinstance(value, str):
            option = field.option_for(value)
            if option is not None:
                return option.tag
            names = [o.name for o in field.options] + [o.tag for o in field.options]
            problems.append(
                PathProblem(
                    where,
                    f"{value!r} is not an option of {field.key}; "
                    f"its options are {describe_options(field.options)}",
                    did_you_mean(value, names),
                )
            )
            return None
        expected = "one of the field's options, by name or tag"
    elif kind == "multiselect":
        items = [value] if isinstance(value, str) else value
        if isinstance(items, list) and items and all(isinstance(v, str) for v in items):
            found = [field.option_for(v) for v in items]
            if all(found):
                return sorted({o.tag for o in found if o is not None})
        expected = f"options of the field, by name or tag: {describe_options(field.options)}"
    elif kind == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        expected = "a whole number"
    elif kind == "decimal":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        expected = "a number"
    elif kind == "date":
        day = _date_text(value)
        if day is not None:
            return day
        expected = "a date, e.g. 2024-05-01"
    else:  # text, textarea, regexp
        if isinstance(value, str):
            return value
        expected = "text"
    problems.append(
        PathProblem(where, f"{field.key} is a {kind} field: expected {expected}, got {value!r}")
    )
    return None


def _untyped_value(value: object) -> object:
    if isinstance(value, bool | int | float | str):
        return value
    day = _date_text(value)
    if day is not None:
        return day
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _date_text(value: object) -> str | None:
    """A date as Zendesk takes it for a date field: `YYYY-MM-DD`."""
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            return None
    return None


def _tags(value: object, where: PathKey, problems: list[PathProblem]) -> list[str] | None:
    """Tags as Zendesk keeps them: lower-case, split on spaces, no empty ones."""
    items = value.split() if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        problems.append(
            PathProblem(where, f"expected tags as text or a list of text, got {value!r}")
        )
        return None
    tags = [tag.lower() for item in items for tag in item.split()]
    if not tags:
        problems.append(PathProblem(where, "expected at least one tag"))
        return None
    return list(dict.fromkeys(tags))


def _tag_claims(tags: list[str], change: str, schema: ZendeskSchema | None) -> tuple[Claim, ...]:
    """A tag claim, and the checkbox it ticks or clears when a checkbox field wears that tag."""
    claims: list[Claim] = []
    checkbox_of = {f.tag: f.key for f in schema.fields.values() if f.tag} if schema else {}
    for tag in tags:
        claims.append((f"tags.{tag}", change))
        if tag in checkbox_of:
            claims.append((USER_FIELDS + checkbox_of[tag], change == "add"))
    return tuple(claims)


def _group(
    value: object, schema: ZendeskSchema | None, where: PathKey, problems: list[PathProblem]
) -> CompiledAction | None:
    if not isinstance(value, str) or not value.strip():
        problems.append(PathProblem(where, f"expected a group name, got {value!r}"))
        return None
    name = value.strip()
    if schema is not None and schema.groups is not None:
        found = schema.group_named(name)
        if found is None:
            known = ", ".join(schema.groups) or "none"
            problems.append(
                PathProblem(
                    where,
                    f"there is no Zendesk group named {name!r}; groups: {known}",
                    did_you_mean(name, schema.groups),
                )
            )
            return None
        name = found
    return CompiledAction("tickets.group", (("tickets.group", name),))


def _suggest_field(key: str, schema: ZendeskSchema) -> str | None:
    match = did_you_mean(key, schema.fields)
    return USER_FIELDS + match if match else None


def value_repr(value: Any) -> str:
    """A claim's value as admins write it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)
