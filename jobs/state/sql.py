"""What every writer to the state store shares: one JSON form, bounded IN lists, upserts."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

BOUND_PARAMETERS = 900  # an IN list stays under SQLite's default limit of 999 parameters
Item = TypeVar("Item")


def normalised_json(value: Any) -> str:
    """JSON as the store keeps it: sorted keys, no spaces, so equal values are equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def bounded(items: Sequence[Item]) -> Iterator[Sequence[Item]]:
    """`items` in chunks small enough for one `IN (...)`."""
    for start in range(0, len(items), BOUND_PARAMETERS):
        yield items[start : start + BOUND_PARAMETERS]


def dialect_insert(connection: Connection, table: Table) -> Any:
    """An INSERT with `on_conflict_do_*`, for SQLite or PostgreSQL as the connection is."""
    module = postgresql if connection.dialect.name == "postgresql" else sqlite
    return module.insert(table)


def upsert(
    connection: Connection, table: Table, rows: list[dict[str, Any]], keys: tuple[str, ...]
) -> None:
    """Insert rows, replacing those whose `keys` exist (SQLite and PostgreSQL alike)."""
    if not rows:
        return
    statement = dialect_insert(connection, table)
    changed = {c: statement.excluded[c] for c in rows[0] if c not in keys}
    connection.execute(statement.on_conflict_do_update(index_elements=keys, set_=changed), rows)
