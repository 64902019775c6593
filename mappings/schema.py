"""The Zendesk account's schema as the mappings see it: custom user fields and group names.

The connectors fetch it (`user_fields`, `groups`); `jobs` hands it over as these plain records, so
`mappings` checks conditions and actions against the real account without knowing any client.
Zendesk's own JSON (`GET /api/v2/user_fields`) can be read directly with `from_user_fields_json`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldOption:
    """A dropdown or multiselect option: `name` as the admin UI shows it, `tag` as data holds it."""

    name: str
    tag: str


def find_option(options: Iterable[FieldOption], value: str) -> FieldOption | None:
    """The option whose name or tag is `value` (case-insensitively), if any."""
    folded = value.casefold()
    for option in options:
        if folded in (option.name.casefold(), option.tag.casefold()):
            return option
    return None


def describe_options(options: Iterable[FieldOption]) -> str:
    """`'iPhone 15' (tag iphone_15), ...` for messages."""
    return ", ".join(f"{o.name!r} (tag {o.tag})" for o in options) or "none"


@dataclass(frozen=True)
class UserFieldSchema:
    """One custom user field. `tag` is a checkbox's tag, worn by the user while it is checked."""

    key: str
    type: str  # Zendesk's type: text, textarea, checkbox, date, integer, decimal, dropdown, ...
    title: str = ""
    options: tuple[FieldOption, ...] = ()
    tag: str | None = None

    def option_for(self, value: str) -> FieldOption | None:
        return find_option(self.options, value)


@dataclass(frozen=True)
class ZendeskSchema:
    """The account's custom user fields by key, and its group names (None: not known)."""

    fields: Mapping[str, UserFieldSchema] = field(default_factory=dict)
    groups: tuple[str, ...] | None = None

    @classmethod
    def of(
        cls, fields: Iterable[UserFieldSchema], groups: Iterable[str] | None = None
    ) -> ZendeskSchema:
        return cls({f.key: f for f in fields}, None if groups is None else tuple(groups))

    @classmethod
    def from_user_fields_json(
        cls, user_fields: Iterable[Mapping[str, Any]], groups: Iterable[str] | None = None
    ) -> ZendeskSchema:
        """From Zendesk's `user_fields` objects (active ones only, as Zendesk uses no others)."""
        found = []
        for record in user_fields:
            if record.get("active") is False:
                continue
            options = tuple(
                FieldOption(str(o.get("name", "")), str(o.get("value", "")))
                for o in record.get("custom_field_options") or []
            )
            found.append(
                UserFieldSchema(
                    key=str(record["key"]),
                    type=str(record.get("type", "text")),
                    title=str(record.get("title", "")),
                    options=options,
                    tag=record.get("tag") or None,
                )
            )
        return cls.of(found, groups)

    def group_named(self, name: str) -> str | None:
        """The group's name as Zendesk spells it, matched case-insensitively; None if unknown."""
        for group in self.groups or ():
            if group.casefold() == name.casefold():
                return group
        return None
