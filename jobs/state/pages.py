"""Storing a page of Zendesk records and its cursor in one transaction.

Either both are stored or neither: a crash loses at most the page in flight, and the next run
asks for that page again from the cursor before it. The users whose stored facts the page
changes are marked dirty in the same transaction, so the evaluation that follows (in this run
or, after a crash, the next) sees them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import Connection, Table, select

from jobs.state import tables as t
from jobs.state.sql import bounded, dialect_insert, upsert
from jobs.state.store import StateStore, write_cursor
from jobs.zendesk_records import RatingRow, TicketRow, UserRow

TABLES: dict[type, tuple[Table, tuple[str, ...]]] = {
    UserRow: (t.profiles, ("user_id",)),
    TicketRow: (t.tickets, ("id",)),
    RatingRow: (t.ratings, ("id",)),
}


def save_page(
    store: StateStore,
    rows: Sequence[UserRow | TicketRow | RatingRow],
    cursor: tuple[str, str] | None,
    now: int,
    *,
    user_updated_at_read: bool = True,
) -> None:
    """Upsert `rows` and set `cursor` (name, value), together.

    Only the users whose stored facts the page changes are marked dirty: a record the export
    sends again unchanged (deskbridge's own write-back coming round, say) changes nobody. A
    user's `updated_at` alone counts as a change only when `user_updated_at_read` (something in
    the config reads `user.updated_at`); a ticket's never does (nothing reads it).
    """
    with store.engine.begin() as connection:
        by_table: dict[type, list[dict[str, Any]]] = {}
        for row in rows:
            values = asdict(row)
            if isinstance(row, UserRow):
                values["updated_at"] = now
            by_table.setdefault(type(row), []).append(values)
        owners = _changed_owners(connection, rows, user_updated_at_read)
        for kind, values_list in by_table.items():
            table, keys = TABLES[kind]
            upsert(connection, table, values_list, keys)
        mark_dirty(connection, owners)
        if cursor is not None:
            write_cursor(connection, *cursor, now)


def _changed_owners(
    connection: Connection,
    rows: Sequence[UserRow | TicketRow | RatingRow],
    user_updated_at_read: bool,
) -> set[int]:
    """The users whose facts these rows change (a ticket or rating that moved to another
    requester changes both)."""
    owners: set[int] = set()
    for kind, (table, (key,)) in TABLES.items():
        page = [row for row in rows if isinstance(row, kind)]
        if not page:
            continue
        stored: dict[int, Mapping[str, Any]] = {}
        column = table.c[key]
        for chunk in bounded([getattr(row, key) for row in page]):
            for found in connection.execute(select(table).where(column.in_(chunk))):
                stored[found._mapping[key]] = dict(found._mapping)
        for row in page:
            before = stored.get(getattr(row, key))
            if before is not None and _same(before, row, user_updated_at_read):
                continue
            owners.add(_owner(row))
            if before is not None and "requester_id" in before:
                owners.add(before["requester_id"])
    return owners


def _same(
    before: Mapping[str, Any], row: UserRow | TicketRow | RatingRow, user_updated_at_read: bool
) -> bool:
    if not isinstance(row, UserRow):
        return all(before[k] == v for k, v in asdict(row).items() if k != "updated_at")
    if (before["email"], before["status"]) != (row.email, row.status):
        return False
    if before["content_hash"] == row.content_hash:
        return True
    if user_updated_at_read:
        return False
    return _without_updated_at(before["data"]) == _without_updated_at(row.data)


def _without_updated_at(data: str) -> Any:
    part = json.loads(data)
    if isinstance(part.get("user"), dict):
        part["user"].pop("updated_at", None)
    return part


def mark_dirty(connection: Connection, user_ids: Iterable[int]) -> None:
    """Have these users' profiles evaluated again by the next evaluation (in this transaction)."""
    rows = [{"user_id": user_id} for user_id in user_ids]
    if not rows:
        return
    connection.execute(dialect_insert(connection, t.dirty_profiles).on_conflict_do_nothing(), rows)


def _owner(row: UserRow | TicketRow | RatingRow) -> int:
    return row.user_id if isinstance(row, UserRow) else row.requester_id
