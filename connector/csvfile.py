"""Write a list to a CSV file atomically: a reader sees the old file or the new one, never half.

The rows go, as they come, into a temporary file beside the target (same directory, so the same
file system); it is flushed and fsynced, given the target's permissions, and then `os.replace`d
onto the target, which is atomic on POSIX and Windows. On any failure the temporary file is
removed and the previous file is left as it was.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import decimal
import os
import secrets
import stat
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

CELL_TYPES = (str, int, float, decimal.Decimal, datetime.date)  # bool is an int
NEW_FILE_MODE = 0o666  # before the umask, as open() creates files


class CsvRowError(ValueError):
    """A row that does not fit the columns: which row (1 = the first after the header), why."""

    def __init__(self, row: int, problem: str) -> None:
        self.row = row
        super().__init__(f"row {row} (line {row + 1} of the file): {problem}")


def write_csv(
    path: str | os.PathLike[str],
    columns: Sequence[str],
    rows: Iterable[Mapping[str, Any]],
    *,
    excel: bool = False,
    missing: Literal["error", "empty"] = "error",
) -> int:
    """Write a header of `columns` and then `rows`, atomically; the number of rows written.

    UTF-8 without a BOM, or with one when `excel` is set (Excel reads BOM-less UTF-8 as the
    local code page). A row with a key that is not a column is an error; so is a row without a
    column, unless `missing="empty"` leaves its cell empty. None is written as an empty cell.
    A new file gets the permissions any new file would (0666 less the umask); a file replaced
    keeps its own.
    """
    header = _checked_columns(columns)
    if missing not in ("error", "empty"):
        raise ValueError(f"missing must be 'error' or 'empty', got {missing!r}")
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(f"cannot write a CSV file over the directory {target}")
    directory = target.parent
    if not directory.is_dir():
        raise FileNotFoundError(f"the directory for {target} does not exist: {directory}")
    temporary, descriptor = _create_beside(target)
    try:
        encoding = "utf-8-sig" if excel else "utf-8"
        with os.fdopen(descriptor, "w", encoding=encoding, newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(header)
            count = 0
            for count, row in enumerate(rows, start=1):
                writer.writerow(_cells(row, header, count, missing == "empty"))
            stream.flush()
            os.fsync(stream.fileno())
        _keep_mode(target, temporary)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _sync_directory(directory)
    return count


def _checked_columns(columns: Sequence[str]) -> list[str]:
    if isinstance(columns, str):
        raise TypeError("columns must be a sequence of column names, not one string")
    header = list(columns)
    if not header:
        raise ValueError("a CSV file needs at least one column")
    for position, name in enumerate(header):
        if not isinstance(name, str) or not name:
            raise ValueError(f"columns[{position}] must be a non-empty string, got {name!r}")
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise ValueError(f"column {name!r} is given twice")
        seen.add(name)
    return header


def _cells(row: Mapping[str, Any], header: list[str], number: int, fill: bool) -> list[Any]:
    if not isinstance(row, Mapping):
        raise CsvRowError(
            number, f"a row must be a mapping of column to value, got {type(row).__name__}"
        )
    unknown = [key for key in row if key not in header]
    if unknown:
        raise CsvRowError(
            number, f"key {unknown[0]!r} is not one of the columns ({', '.join(header)})"
        )
    if not fill:
        absent = [name for name in header if name not in row]
        if absent:
            raise CsvRowError(number, f"no value for column {absent[0]!r}")
    cells = []
    for name in header:
        value = row.get(name)
        if value is not None and not isinstance(value, CELL_TYPES):
            raise CsvRowError(
                number,
                f"column {name!r} holds a {type(value).__name__}, which has no CSV form "
                "(give text or a number)",
            )
        cells.append("" if value is None else value)
    return cells


def _create_beside(target: Path) -> tuple[Path, int]:
    """A new, empty, hidden file next to the target, created with the default permissions."""
    for _attempt in range(100):
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
            return temporary, os.open(temporary, flags, NEW_FILE_MODE)
        except FileExistsError:
            continue
    raise FileExistsError(f"could not find a free temporary name beside {target}")


def _keep_mode(target: Path, temporary: Path) -> None:
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return  # a new file: the umask already decided
    os.chmod(temporary, mode)


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); not possible, nor needed, everywhere."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
