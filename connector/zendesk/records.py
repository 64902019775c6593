"""Zendesk's settings and lists as plain records: the user field schema, groups, deleted users.

A record that lacks what every caller needs (a field's key, a group's id) is an error naming the
record, not a record skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from connector.zendesk.shapes import Json, UnexpectedResponse, need

PERMANENTLY_DELETED_NAME = "Permanently Deleted User"


@dataclass(frozen=True)
class FieldOption:
    """A dropdown or multiselect option.

    `name` is what the admin UI calls the option's value; `tag` (the API's `value`) is what a
    user's `user_fields` holds and the tag the option puts on the user.
    """

    name: str
    tag: str


@dataclass(frozen=True)
class UserField:
    id: int
    key: str  # how `user_fields` on a user is keyed
    type: str  # text, textarea, checkbox, date, integer, decimal, regexp, dropdown, ...
    title: str
    active: bool
    options: tuple[FieldOption, ...] = ()
    tag: str | None = None  # checkbox only: the tag a user wears while the box is checked


@dataclass(frozen=True)
class Group:
    id: int
    name: str


@dataclass(frozen=True)
class DeletedUser:
    """A deleted user. A permanently deleted one has lost its email and its name."""

    id: int
    name: str
    email: str | None
    permanently_deleted: bool


def user_field(record: Json, position: int, url: str) -> UserField:
    where = f"user_fields[{position}] (id {record.get('id')!r})"
    options = []
    for number, option in enumerate(record.get("custom_field_options") or []):
        at = f"{where}.custom_field_options[{number}]"
        if not isinstance(option, dict):
            raise UnexpectedResponse("GET", url, f"{at} is not an object")
        options.append(
            FieldOption(need(option, "name", str, at, url), need(option, "value", str, at, url))
        )
    tag = record.get("tag")
    return UserField(
        id=need(record, "id", int, where, url),
        key=need(record, "key", str, where, url),
        type=need(record, "type", str, where, url),
        title=str(record.get("title") or record.get("raw_title") or ""),
        active=record.get("active") is not False,
        options=tuple(options),
        tag=tag if isinstance(tag, str) and tag else None,
    )


def group(record: Json, position: int, url: str) -> Group:
    where = f"groups[{position}]"
    return Group(need(record, "id", int, where, url), need(record, "name", str, where, url))


def deleted_user(record: Json, position: int, url: str) -> DeletedUser:
    where = f"deleted_users[{position}]"
    email = record.get("email")
    if email is not None and not isinstance(email, str):
        raise UnexpectedResponse("GET", url, f"{where}: email is {email!r}")
    name = str(record.get("name") or "")
    return DeletedUser(
        id=need(record, "id", int, where, url),
        name=name,
        email=email or None,
        permanently_deleted=name == PERMANENTLY_DELETED_NAME and not email,
    )
