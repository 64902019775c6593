"""Storing a page of Zendesk records and its cursor in one transaction.

Either both are stored or neither: a crash loses at most the page in flight, and the next run
asks for that page again from the cursor before it. The users the page touches are marked dirty
in the same transaction, so the evaluation that follows (in this run or, after a crash, the
next) sees them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import Connection, Table

from jobs.state import tables as t
from jobs.state.sql import dialect_insert
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
) -> None:
    """Upsert `rows` and set `cursor` (name, value), together."""
    with store.engine.begin() as connection:
        by_table: dict[type, list[dict[str, Any]]] = {}
        for row in rows:
            values = asdict(row)
            if isinstance(row, UserRow):
                values["updated_at"] = now
            by_table.setdefault(type(row), []).append(values)
        for kind, values_list in by_table.items():
            table, keys = TABLES[kind]
            upsert(connection, table, values_list, keys)
        mark_dirty(connection, {_owner(row) for row in rows})
        if cursor is not None:
            write_cursor(connection, *cursor, now)


def mark_dirty(connection: Connection, user_ids: Iterable[int]) -> None:
    """Have these users' profiles evaluated again by the next evaluation (in this transaction)."""
    rows = [{"user_id": user_id} for user_id in user_ids]
    if not rows:
        return
    connection.execute(dialect_insert(connection, t.dirty_profiles).on_conflict_do_nothing(), rows)


def _owner(row: UserRow | TicketRow | RatingRow) -> int:
    return row.user_id if isinstance(row, UserRow) else row.requester_id


def upsert(
    connection: Connection, table: Table, rows: list[dict[str, Any]], keys: tuple[str, ...]
) -> None:
    """Insert rows, replacing those whose `keys` exist (SQLite and PostgreSQL alike)."""
    if not rows:
        return
    statement = dialect_insert(connection, table)
    changed = {c: statement.excluded[c] for c in rows[0] if c not in keys}
    connection.execute(statement.on_conflict_do_update(index_elements=keys, set_=changed), rows)
