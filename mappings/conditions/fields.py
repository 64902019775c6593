"""The profile fields a condition may address, and the value type of each.

A field address is a dotted path into the profile (the single customer view):

- `user.<builtin>` — Zendesk user built-ins (fixed list below);
- `user_fields.<key>` — custom user fields by Zendesk key (the rest of the address is the key,
  so keys never clash with built-ins);
- `tags`, `tickets.<fact>`, `satisfaction.<fact>`;
- `mailchimp.status.<audience>` — the member status per audience name or id (may hold spaces).

The value type decides which operators apply. Custom fields are `ANY` (untyped) unless a field
catalogue `{key: type}` is given, as the connectors fetch it from Zendesk's user-field schema.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from mappings.conditions.problems import did_you_mean
from mappings.schema import FieldOption, UserFieldSchema, find_option


class FieldType(enum.Enum):
    """The value families conditions know."""

    TEXT = "text"
    NUMBER = "number"
    BOOLEAN = "boolean"
    TIME = "time"
    LIST = "list"  # a list of text: tags, channels, multiselect
    ANY = "any"  # a custom field whose type is not known; the operator and value decide


BUILTINS: dict[str, FieldType] = {
    "user.email": FieldType.TEXT,
    "user.name": FieldType.TEXT,
    "user.created_at": FieldType.TIME,
    "user.updated_at": FieldType.TIME,
    "user.role": FieldType.TEXT,
    "user.locale": FieldType.TEXT,
    "user.time_zone": FieldType.TEXT,
    "user.organization_id": FieldType.NUMBER,
    "user.suspended": FieldType.BOOLEAN,
    "user.active": FieldType.BOOLEAN,
    "user.external_id": FieldType.TEXT,
    "user.phone": FieldType.TEXT,
    "tags": FieldType.LIST,
    "tickets.count": FieldType.NUMBER,
    "tickets.open_count": FieldType.NUMBER,
    "tickets.last_created_at": FieldType.TIME,
    "tickets.channels": FieldType.LIST,
    "satisfaction.last_score": FieldType.TEXT,
    "satisfaction.bad_count": FieldType.NUMBER,
    "satisfaction.last_bad_at": FieldType.TIME,
    "satisfaction.last_comment_present": FieldType.BOOLEAN,
}

USER_FIELDS = "user_fields."
MAILCHIMP_STATUS = "mailchimp.status."

# Zendesk user-field types (the `type` of a user_field) and our own names, to a FieldType.
CATALOGUE_TYPES: dict[str, FieldType] = {
    "text": FieldType.TEXT,
    "textarea": FieldType.TEXT,
    "regexp": FieldType.TEXT,
    "dropdown": FieldType.TEXT,  # the profile holds the chosen option's tag
    "tagger": FieldType.TEXT,
    "integer": FieldType.NUMBER,
    "decimal": FieldType.NUMBER,
    "number": FieldType.NUMBER,
    "checkbox": FieldType.BOOLEAN,
    "boolean": FieldType.BOOLEAN,
    "date": FieldType.TIME,
    "time": FieldType.TIME,
    "multiselect": FieldType.LIST,
    "list": FieldType.LIST,
}

Catalogue = Mapping[str, "str | FieldType | UserFieldSchema"]


@dataclass(frozen=True)
class Field:
    """A resolved address: the path of keys into the profile and the value type."""

    address: str
    path: tuple[str, ...]
    type: FieldType
    options: tuple[FieldOption, ...] = ()  # a dropdown's or multiselect's, when the schema is known

    def option_for(self, value: str) -> FieldOption | None:
        return find_option(self.options, value)


def catalogue_type(kind: str | FieldType | UserFieldSchema) -> FieldType:
    """A catalogue entry's type; an unknown Zendesk type (e.g. `lookup`) is treated as untyped."""
    if isinstance(kind, FieldType):
        return kind
    if isinstance(kind, UserFieldSchema):
        kind = kind.type
    return CATALOGUE_TYPES.get(kind.lower(), FieldType.ANY)


def known_addresses(catalogue: Catalogue | None) -> list[str]:
    """Every address a did-you-mean may propose."""
    names = list(BUILTINS)
    if catalogue:
        names += [USER_FIELDS + key for key in catalogue]
    return names


def resolve_field(address: str, catalogue: Catalogue | None) -> Field | tuple[str, str | None]:
    """The `Field` for `address`, or (message, suggestion) saying why it is not one."""
    if address in BUILTINS:
        return Field(address, tuple(address.split(".")), BUILTINS[address])
    if address.startswith(USER_FIELDS) and len(address) > len(USER_FIELDS):
        key = address[len(USER_FIELDS) :]
        if catalogue is None:
            return Field(address, ("user_fields", key), FieldType.ANY)
        if key in catalogue:
            entry = catalogue[key]
            options = entry.options if isinstance(entry, UserFieldSchema) else ()
            return Field(address, ("user_fields", key), catalogue_type(entry), options)
        known = ", ".join(sorted(catalogue)) or "none"
        return f"unknown user field {key!r}; known user fields: {known}", _suggest(key, catalogue)
    if address.startswith(MAILCHIMP_STATUS) and len(address) > len(MAILCHIMP_STATUS):
        return Field(
            address, ("mailchimp", "status", address[len(MAILCHIMP_STATUS) :]), FieldType.TEXT
        )
    suggestion = did_you_mean(address, known_addresses(catalogue))
    if suggestion is None and catalogue is not None:
        bare = address.rsplit(".", 1)[-1]
        if bare in catalogue:
            suggestion = USER_FIELDS + bare
    return (
        f"unknown field {address!r}; expected user.<built-in>, user_fields.<key>, tags, "
        "tickets.<fact>, satisfaction.<fact> or mailchimp.status.<audience>",
        suggestion,
    )


def _suggest(key: str, catalogue: Catalogue) -> str | None:
    match = did_you_mean(key, catalogue)
    return USER_FIELDS + match if match else None
