"""Zendesk's records as the state store keeps them, or the reason a record is set aside.

A user becomes the `user`, `user_fields` and `tags` parts of a profile (times as Unix seconds,
the email lower-cased); a ticket and a satisfaction rating become the rows their facts are
computed from. A record that cannot be read (no id, a time that is not a time) is not guessed
at: it comes back as `SetAside` with the reason, and the run counts it and goes on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeGuard

from jobs.state.sql import normalised_json

UNSOLVED = frozenset({"new", "open", "pending", "hold"})
USER_BUILTINS = ("name", "role", "locale", "time_zone", "organization_id", "external_id", "phone")


@dataclass(frozen=True)
class SetAside:
    """A record that could not be stored, and why."""

    record: str  # e.g. "user 368000000042"
    reason: str


@dataclass(frozen=True)
class UserRow:
    user_id: int
    email: str | None
    status: str  # active | suspended | deleted
    data: str  # the profile's user part, as normalised JSON
    content_hash: str


@dataclass(frozen=True)
class TicketRow:
    id: int
    requester_id: int
    status: str
    channel: str | None
    priority: str | None
    group_id: int | None
    tags: str
    created_at: int
    updated_at: int


@dataclass(frozen=True)
class RatingRow:
    id: int
    requester_id: int
    ticket_id: int | None
    score: str
    comment_present: bool
    created_at: int


def is_id(value: object) -> TypeGuard[int]:
    """A Zendesk id: a whole number (JSON's true/false are not)."""
    return isinstance(value, int) and not isinstance(value, bool)


def unix_seconds(value: object) -> int | None:
    """An ISO-8601 time (Zendesk's `...Z`) as Unix seconds; None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return int(moment.timestamp())


def user_row(user: Mapping[str, Any]) -> UserRow | SetAside:
    user_id = user.get("id")
    if not is_id(user_id):
        return SetAside(f"user {user_id!r}", "has no numeric id")
    where = f"user {user_id}"
    created_at = unix_seconds(user.get("created_at"))
    if created_at is None:
        return SetAside(where, f"created_at is not a time: {user.get('created_at')!r}")
    email = user.get("email")
    if email is not None and (not isinstance(email, str) or "@" not in email):
        return SetAside(where, f"email is not an address: {email!r}")
    fields = user.get("user_fields")
    if fields is not None and not isinstance(fields, dict):
        return SetAside(where, "user_fields is not an object")
    tags = user.get("tags")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        return SetAside(where, "tags is not a list of text")
    active = user.get("active") is not False
    suspended = user.get("suspended") is True
    status = "deleted" if not active else "suspended" if suspended else "active"
    lowered = email.lower() if isinstance(email, str) else None
    part = {
        "user": {
            "id": user_id,
            "email": lowered,
            **{key: user.get(key) for key in USER_BUILTINS},
            "created_at": created_at,
            "updated_at": unix_seconds(user.get("updated_at")),
            "suspended": suspended,
            "active": active,
        },
        "user_fields": fields or {},
        "tags": sorted(tags or []),
    }
    data = normalised_json(part)
    return UserRow(user_id, lowered, status, data, content_hash(data))


def content_hash(data: str) -> str:
    """The hash kept beside a stored profile's user part (`profiles.content_hash`)."""
    return hashlib.sha256(data.encode()).hexdigest()


def ticket_row(ticket: Mapping[str, Any]) -> TicketRow | SetAside:
    ticket_id = ticket.get("id")
    if not is_id(ticket_id):
        return SetAside(f"ticket {ticket_id!r}", "has no numeric id")
    where = f"ticket {ticket_id}"
    requester = ticket.get("requester_id")
    if not is_id(requester):
        return SetAside(where, f"requester_id is not a user id: {requester!r}")
    created_at = unix_seconds(ticket.get("created_at"))
    updated_at = unix_seconds(ticket.get("updated_at"))
    if created_at is None or updated_at is None:
        return SetAside(where, "created_at or updated_at is not a time")
    status = ticket.get("status")
    if not isinstance(status, str):
        return SetAside(where, f"status is not text: {status!r}")
    via = ticket.get("via")
    channel = via.get("channel") if isinstance(via, dict) else None
    group = ticket.get("group_id")
    tags = ticket.get("tags")
    return TicketRow(
        ticket_id,
        requester,
        status,
        channel if isinstance(channel, str) else None,
        ticket.get("priority") if isinstance(ticket.get("priority"), str) else None,
        group if is_id(group) else None,
        json.dumps(sorted(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else []),
        created_at,
        updated_at,
    )


def rating_row(rating: Mapping[str, Any]) -> RatingRow | SetAside:
    rating_id = rating.get("id")
    if not is_id(rating_id):
        return SetAside(f"satisfaction rating {rating_id!r}", "has no numeric id")
    where = f"satisfaction rating {rating_id}"
    requester = rating.get("requester_id")
    if not is_id(requester):
        return SetAside(where, f"requester_id is not a user id: {requester!r}")
    score = rating.get("score")
    if not isinstance(score, str):
        return SetAside(where, f"score is not text: {score!r}")
    created_at = unix_seconds(rating.get("created_at"))
    if created_at is None:
        return SetAside(where, f"created_at is not a time: {rating.get('created_at')!r}")
    ticket = rating.get("ticket_id")
    comment = rating.get("comment")
    return RatingRow(
        rating_id,
        requester,
        ticket if is_id(ticket) else None,
        score,
        isinstance(comment, str) and bool(comment.strip()),
        created_at,
    )
