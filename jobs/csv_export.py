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

from sqlalchemy import Connection, select

from connector.csvfile import write_csv
from jobs.profiles import profile_pages
from jobs.runreport import CsvPlan
from jobs.state import tables as t
from jobs.state.pages import upsert
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
    count = 0
    for row in rows(connection, lst):
        digest.update(json.dumps(row, sort_keys=True).encode())
        count += 1
    return digest.hexdigest(), count


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


def write(connection: Connection, lst: CompiledList, path: Path) -> int:
    """Write the list's file at `path`; the number of rows."""
    assert lst.spec.csv is not None
    headers = [header for header, _ in lst.spec.csv.headed_columns()]
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_csv(path, headers, rows(connection, lst), excel=lst.spec.csv.excel)


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
