"""What `users/update_many` and `tickets/update_many` do to one record, and how each can fail.

Each function takes the current record and the attributes sent for it, and returns the new
record (or the unchanged one when nothing differs) or raises `WriteRefused` with Zendesk's error
and details for that item.
"""

from __future__ import annotations

import copy
from typing import Any

from sandbox.zendesk.fields import FIELDS_BY_KEY, InvalidFieldValue, check_value
from sandbox.zendesk.groups import GROUP_IDS
from sandbox.zendesk.users import sync_checkbox_tags

Record = dict[str, Any]
USER_WRITABLE = (
    "name",
    "phone",
    "external_id",
    "notes",
    "details",
    "alias",
    "locale",
    "time_zone",
    "organization_id",
    "suspended",
)
PRIORITIES = (None, "low", "normal", "high", "urgent")
SETTABLE_STATUSES = ("new", "open", "pending", "hold", "solved")


class WriteRefused(Exception):
    def __init__(self, error: str, details: str) -> None:
        super().__init__(f"{error}: {details}")
        self.error = error
        self.details = details


def update_user(record: Record, attributes: Record, now: int) -> Record:
    if not record["active"]:
        raise WriteRefused("UserUpdateFailed", f"User {record['id']} is deleted")
    new = copy.deepcopy(record)
    for key in USER_WRITABLE:
        if key in attributes:
            new[key] = attributes[key]
    fields_written: set[str] = set()
    fields = attributes.get("user_fields")
    if fields is not None:
        if not isinstance(fields, dict):
            raise WriteRefused("InvalidValue", "user_fields must be an object keyed by field key")
        for key, value in fields.items():
            field = FIELDS_BY_KEY.get(key)
            if field is None:
                continue  # Zendesk ignores keys of fields that do not exist
            try:
                new["user_fields"][key] = check_value(field, value)
            except InvalidFieldValue as error:
                raise WriteRefused("InvalidValue", f"user_fields.{error}") from None
            fields_written.add(key)
    tags_written = "tags" in attributes
    if tags_written:
        new["tags"] = _tag_list(attributes["tags"], "tags")
    sync_checkbox_tags(new, fields_written, tags_written)
    return _stamped(record, new, now)


def update_ticket(record: Record, attributes: Record, now: int) -> Record:
    if record["status"] == "closed":
        raise WriteRefused("TicketUpdateFailed", "Status: closed prevents ticket update")
    new = copy.deepcopy(record)
    if "priority" in attributes:
        if attributes["priority"] not in PRIORITIES:
            raise WriteRefused(
                "TicketUpdateFailed",
                f"Priority: {attributes['priority']!r} is not one of low, normal, high, urgent",
            )
        new["priority"] = attributes["priority"]
    if "group_id" in attributes:
        if attributes["group_id"] is not None and attributes["group_id"] not in GROUP_IDS:
            raise WriteRefused("TicketUpdateFailed", f"Group: {attributes['group_id']} is invalid")
        new["group_id"] = attributes["group_id"]
    if "status" in attributes:
        if attributes["status"] not in SETTABLE_STATUSES:
            raise WriteRefused(
                "TicketUpdateFailed", f"Status: {attributes['status']!r} cannot be set by update"
            )
        new["status"] = attributes["status"]
    if "tags" in attributes:
        new["tags"] = _tag_list(attributes["tags"], "tags")
    for tag in _tag_list(attributes.get("additional_tags", []), "additional_tags"):
        if tag not in new["tags"]:
            new["tags"].append(tag)
    removed = set(_tag_list(attributes.get("remove_tags", []), "remove_tags"))
    new["tags"] = [tag for tag in new["tags"] if tag not in removed]
    return _stamped(record, new, now)


def _tag_list(value: Any, name: str) -> list[str]:
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise WriteRefused("InvalidValue", f"{name} must be a list of tags")
    tags: list[str] = []
    for tag in value:
        normalised = tag.strip().lower().replace(" ", "_")
        if normalised and normalised not in tags:
            tags.append(normalised)
    return tags


def _stamped(old: Record, new: Record, now: int) -> Record:
    """A write that changes nothing leaves the record, and its updated_at, alone."""
    if new == old:
        return old
    new["updated_at"] = max(now, old["updated_at"] + 1)
    return new
