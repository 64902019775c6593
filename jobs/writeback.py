"""What the rules want that Zendesk does not have yet: the write-backs, and nothing else.

Rules produce desired values (`mappings.rules.Desired`); this compares them with the stored
profile and the user's unsolved tickets, so a profile that already has them produces no write —
the property that makes the next sync after a write-back silent. Values are compared as Zendesk
keeps them: a date field `2024-05-01` equals `2024-05-01T00:00:00Z`, `1000` equals `1000.0`, tags
are lower-case.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jobs.state.sql import normalised_json
from mappings.rules import Desired

_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:T00:00:00(?:Z|\+00:00))?")


@dataclass(frozen=True)
class UserWrite:
    """Changed fields, and the user's whole new tag list when tags change (Zendesk replaces a
    user's tags on update)."""

    user_id: int
    user_fields: Mapping[str, object]
    tags: tuple[str, ...] | None = None

    def attributes(self) -> dict[str, Any]:
        """The change as `ZendeskConnector.update_users` takes it."""
        found: dict[str, Any] = {}
        if self.user_fields:
            found["user_fields"] = dict(self.user_fields)
        if self.tags is not None:
            found["tags"] = list(self.tags)
        return found


@dataclass(frozen=True)
class TicketWrite:
    ticket_id: int
    priority: str | None = None
    group_id: int | None = None
    add_tags: tuple[str, ...] = ()

    def attributes(self) -> dict[str, Any]:
        """The change as `ZendeskConnector.update_tickets` takes it."""
        found: dict[str, Any] = {}
        if self.priority is not None:
            found["priority"] = self.priority
        if self.group_id is not None:
            found["group_id"] = self.group_id
        if self.add_tags:
            found["additional_tags"] = list(self.add_tags)
        return found


def same_value(current: object, wanted: object) -> bool:
    """Whether a stored field value already is the wanted one, as Zendesk compares them."""
    if isinstance(wanted, bool) or isinstance(current, bool):
        return current is wanted
    if isinstance(wanted, int | float) and isinstance(current, int | float | str):
        try:
            return float(current) == float(wanted)
        except ValueError:
            return False
    if isinstance(wanted, str) and isinstance(current, str):
        date_wanted, date_current = _DATE.fullmatch(wanted), _DATE.fullmatch(current)
        if date_wanted and date_current:
            return date_wanted.group(1) == date_current.group(1)
        return current == wanted
    if isinstance(wanted, list) and isinstance(current, list):
        return sorted(map(str, current)) == sorted(map(str, wanted))
    return current == wanted


def user_write(user_id: int, profile: Mapping[str, Any], desired: Desired) -> UserWrite | None:
    """The user's write-back, or None when Zendesk already has everything the rules want."""
    fields = profile.get("user_fields") or {}
    changed = {
        key: value
        for key, value in desired.user_fields.items()
        if not same_value(fields.get(key), value)
    }
    current = [tag.lower() for tag in profile.get("tags") or () if isinstance(tag, str)]
    add = sorted(tag for tag in desired.add_tags if tag not in current)
    remove = {tag for tag in desired.remove_tags if tag in current}
    if not (changed or add or remove):
        return None
    tags = (*(tag for tag in current if tag not in remove), *add) if add or remove else None
    return UserWrite(user_id, changed, tags)


def ticket_writes(
    tickets: Iterable[Mapping[str, Any]], desired: Desired, group_ids: Mapping[str, int]
) -> list[TicketWrite]:
    """Writes for the user's unsolved tickets (rows with id, priority, group_id, tags as a list)."""
    wanted_group = group_ids.get(desired.ticket_group) if desired.ticket_group else None
    writes = []
    for ticket in tickets:
        priority = (
            desired.ticket_priority if desired.ticket_priority != ticket["priority"] else None
        )
        group = (
            wanted_group
            if wanted_group is not None and wanted_group != ticket["group_id"]
            else None
        )
        have = set(ticket["tags"])
        add = tuple(sorted(tag for tag in desired.ticket_tags if tag not in have))
        if priority or group is not None or add:
            writes.append(TicketWrite(ticket["id"], priority, group, add))
    return writes


def written_user_part(data: str, attributes: Mapping[str, Any]) -> str:
    """A stored profile's user part (`profiles.data`) with a successful write applied, so the
    store holds what Zendesk now has before its export shows it (a minute later, at best)."""
    part = json.loads(data)
    fields = attributes.get("user_fields")
    if isinstance(fields, Mapping):
        part["user_fields"] = {**(part.get("user_fields") or {}), **fields}
    tags = attributes.get("tags")
    if isinstance(tags, list):
        part["tags"] = sorted({str(tag).lower() for tag in tags})
    return normalised_json(part)


def written_ticket(row: Mapping[str, Any], attributes: Mapping[str, Any]) -> dict[str, Any]:
    """A stored ticket row's changed columns once a write to it succeeded."""
    changed: dict[str, Any] = {}
    if "priority" in attributes:
        changed["priority"] = attributes["priority"]
    if "group_id" in attributes:
        changed["group_id"] = attributes["group_id"]
    added = attributes.get("additional_tags")
    if isinstance(added, list):
        changed["tags"] = json.dumps(sorted({*json.loads(row["tags"]), *map(str, added)}))
    return changed
