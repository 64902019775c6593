"""CSV files of lists: written whole, atomically, and only when their rows changed.

The rows are the members of the list (every group of a grouped list), in user id order, with the
columns the list's `[lists.csv]` names, read from the stored profiles. A hash of the rows is kept
in the store, so a run writes the file only when its content would change (or it is missing).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from connector.csvfile import write_csv
from jobs.profiles import profile_pages
from jobs.runreport import CsvPlan
from jobs.state import tables as t
from jobs.state.sql import upsert
from mappings.lists import CompiledList


def rows(connection: Connection, lst: CompiledList) -> Iterator[dict[str, str]]:
    """The list's rows, header -> text, in user id order."""
    m = t.memberships.c
    ids = connection.execute(
        select(m.user_id).where(m.list_name == lst.name).distinct().order_by(m.user_id)
    ).scalars()
    for page in profile_pages(connection, list(ids)):
        for user in page:
            yield lst.csv_row(user.profile)


def content_hash(connection: Connection, lst: CompiledList) -> tuple[str, int]:
    digest = hashlib.sha256()
    count = sum(1 for _row in _hashed(rows(connection, lst), digest))
    return digest.hexdigest(), count


def _hashed(found: Iterator[dict[str, str]], digest: Any) -> Iterator[dict[str, str]]:
    """The rows as they come, each added to `digest` on the way."""
    for row in found:
        digest.update(json.dumps(row, sort_keys=True).encode())
        yield row


def target(lst: CompiledList, base_dir: Path) -> Path:
    assert lst.spec.csv is not None
    path = Path(lst.spec.csv.path)
    return path if path.is_absolute() else base_dir / path


def plan(connection: Connection, lst: CompiledList, base_dir: Path) -> tuple[CsvPlan, str]:
    digest, count = content_hash(connection, lst)
    stored = connection.execute(
        select(t.csv_exports.c.content_hash).where(t.csv_exports.c.list_name == lst.name)
    ).scalar()
    path = target(lst, base_dir)
    changed = stored != digest or not path.is_file()
    return CsvPlan(lst.name, str(path), count, changed), digest


def write(
    connection: Connection, lst: CompiledList, path: Path, *, excel: bool = False
) -> tuple[int, str]:
    """Write the list's rows (its `columns`) at `path`, reading them once: the number of rows
    and their content hash, as `content_hash` gives it."""
    headers = [header for header, _ in lst.columns]
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    count = write_csv(path, headers, _hashed(rows(connection, lst), digest), excel=excel)
    return count, digest.hexdigest()


def remember(
    connection: Connection, lst: CompiledList, path: Path, digest: str, count: int, now: int
) -> None:
    upsert(
        connection,
        t.csv_exports,
        [
            {
                "list_name": lst.name,
                "path": str(path),
                "content_hash": digest,
                "rows": count,
                "written_at": now,
            }
        ],
        ("list_name",),
    )
