"""What every user of the state store shares: one JSON form, bounded IN lists, upserts,
queries read as a stream, and text ordered as Python orders it."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Connection, Executable, Table
from sqlalchemy.dialects import postgresql, sqlite

BOUND_PARAMETERS = 900  # an IN list stays under SQLite's default limit of 999 parameters
STREAM_ROWS = 2000  # rows fetched from the server at a time by a streamed query
Item = TypeVar("Item")
Query = TypeVar("Query", bound=Executable)


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


def streamed(query: Query) -> Query:
    """`query`, its rows fetched in batches as they are read rather than all at once.

    On PostgreSQL this is a server-side cursor (psycopg otherwise loads the whole result
    into memory at `execute`); several can be open on one connection, inside its transaction.
    SQLite reads rows as they are asked for anyway. Iterate the result (do not call `all()`),
    and commit only when done with it: the cursor ends with the transaction.
    """
    return query.execution_options(yield_per=STREAM_ROWS)


def in_codepoint_order(connection: Connection, column: ColumnElement[str]) -> ColumnElement[str]:
    """`column` to ORDER BY when Python compares the rows' values (a merge join): by code point,
    as Python compares `str`. SQLite does so already; a PostgreSQL database sorts by its
    collation (en-US puts "a_b" before "a.b"), so there the column is collated "C" (bytes,
    which for UTF-8 is code point order)."""
    if connection.dialect.name == "postgresql":
        return column.collate("C")
    return column
