"""Writing a list to a CSV file: atomically, in UTF-8, with a header, streaming its rows."""

from __future__ import annotations

import csv
import datetime
import decimal
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connector.csvfile import CsvRowError, write_csv

COLUMNS = ["email", "first_name", "last_name", "note"]
PEOPLE: list[dict[str, str | None]] = [
    {"email": "hana.kim@example.com", "first_name": "하나", "last_name": "김", "note": "VIP"},
    {"email": "aino@example.fi", "first_name": "Aino", "last_name": "Äijälä", "note": "öljy, å"},
    {"email": "niccolo@example.it", "first_name": "Niccolò", "last_name": "D'Angelo", "note": ""},
    {"email": "q@example.com", "first_name": 'Say "hi"', "last_name": "O,Brien", "note": None},
    {"email": "n@example.com", "first_name": "Multi\nline", "last_name": "x\r\ny", "note": " "},
]


def read_back(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as stream:
        return list(csv.DictReader(stream))


def leftovers(directory: Path, keep: str) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name != keep)


def test_rows_round_trip_with_names_from_everywhere_and_awkward_values(tmp_path: Path) -> None:
    target = tmp_path / "list.csv"
    assert write_csv(target, COLUMNS, iter(PEOPLE)) == len(PEOPLE)
    expected = [{k: "" if v is None else v for k, v in row.items()} for row in PEOPLE]
    assert read_back(target) == expected


def test_the_file_is_utf8_without_a_bom_with_a_header_and_crlf_lines(tmp_path: Path) -> None:
    target = tmp_path / "list.csv"
    write_csv(target, ["email", "name"], [{"email": "a@example.com", "name": "김하나"}])
    assert target.read_bytes() == "email,name\r\na@example.com,김하나\r\n".encode()


def test_excel_users_get_a_bom(tmp_path: Path) -> None:
    target = tmp_path / "list.csv"
    write_csv(target, ["name"], [{"name": "Äijälä"}], excel=True)
    assert target.read_bytes().startswith(b"\xef\xbb\xbfname\r\n")
    assert read_back(target, encoding="utf-8-sig") == [{"name": "Äijälä"}]


def test_numbers_dates_and_booleans_are_written_as_text(tmp_path: Path) -> None:
    target = tmp_path / "list.csv"
    row = {
        "n": 3,
        "x": 2.5,
        "d": decimal.Decimal("10.10"),
        "day": datetime.date(2026, 11, 23),
        "vip": True,
    }
    write_csv(target, list(row), [row])
    assert read_back(target) == [
        {"n": "3", "x": "2.5", "d": "10.10", "day": "2026-11-23", "vip": "True"}
    ]


def test_no_rows_is_a_file_with_only_the_header(tmp_path: Path) -> None:
    target = tmp_path / "list.csv"
    assert write_csv(target, ["email"], []) == 0
    assert target.read_bytes() == b"email\r\n"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"email": "a@x.fi", "phone": "1"}, "row 2 (line 3 of the file): key 'phone' is not one"),
        ({}, "row 2 (line 3 of the file): no value for column 'email'"),
        ({"email": ["a", "b"]}, "row 2 (line 3 of the file): column 'email' holds a list"),
        ("a@x.fi", "row 2 (line 3 of the file): a row must be a mapping"),
    ],
    ids=["unknown-key", "missing-column", "list-value", "not-a-mapping"],
)
def test_a_row_that_does_not_fit_names_its_number_and_the_key(
    tmp_path: Path, row: Any, message: str
) -> None:
    with pytest.raises(CsvRowError) as wrong:
        write_csv(tmp_path / "list.csv", ["email"], [{"email": "ok@x.fi"}, row])
    assert str(wrong.value).startswith(message) and wrong.value.row == 2


def test_missing_columns_may_be_left_empty_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "list.csv"
    write_csv(target, ["email", "name"], [{"email": "a@x.fi"}], missing="empty")
    assert read_back(target) == [{"email": "a@x.fi", "name": ""}]


@pytest.mark.parametrize(
    ("columns", "error", "message"),
    [
        ([], ValueError, "at least one column"),
        (["email", "email"], ValueError, "column 'email' is given twice"),
        (["email", ""], ValueError, r"columns\[1\] must be a non-empty string"),
        ("email", TypeError, "not one string"),
    ],
    ids=["none", "twice", "empty-name", "a-string"],
)
def test_bad_columns_are_refused_before_anything_is_written(
    tmp_path: Path, columns: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        write_csv(tmp_path / "list.csv", columns, [])
    assert list(tmp_path.iterdir()) == []


def test_a_missing_directory_or_a_directory_as_target_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"directory for .* does not exist"):
        write_csv(tmp_path / "nowhere" / "list.csv", ["email"], [])
    with pytest.raises(IsADirectoryError, match="over the directory"):
        write_csv(tmp_path, ["email"], [])


def failing_rows(after: int, error: BaseException) -> Iterator[dict[str, str]]:
    for n in range(after):
        yield {"email": f"p{n}@example.com"}
    raise error


@pytest.mark.parametrize(
    "error",
    [RuntimeError("the database went away"), KeyboardInterrupt()],
    ids=["exception", "interrupt"],
)
def test_a_failure_mid_stream_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, error: BaseException
) -> None:
    target = tmp_path / "list.csv"
    write_csv(target, ["email"], [{"email": "old@example.com"}])
    before = target.read_bytes()
    with pytest.raises(type(error)):
        write_csv(target, ["email"], failing_rows(5000, error))
    assert target.read_bytes() == before
    assert leftovers(tmp_path, "list.csv") == []


def test_a_bad_row_mid_stream_leaves_the_old_file_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "list.csv"
    write_csv(target, ["email"], [{"email": "old@example.com"}])
    rows = [{"email": f"p{n}@example.com"} for n in range(3000)] + [{"mail": "typo"}]
    with pytest.raises(CsvRowError, match="row 3001"):
        write_csv(target, ["email"], rows)
    assert read_back(target) == [{"email": "old@example.com"}]
    assert leftovers(tmp_path, "list.csv") == []


def test_rows_are_written_as_they_come_not_held(tmp_path: Path) -> None:
    target = tmp_path / "list.csv"
    seen_growing: list[int] = []

    def rows() -> Iterator[dict[str, str]]:
        for n in range(50_000):
            if n == 40_000:
                seen_growing.extend(p.stat().st_size for p in tmp_path.glob(".list.csv.*.tmp"))
            yield {"email": f"person{n}@example.com"}

    assert write_csv(target, ["email"], rows()) == 50_000
    assert len(seen_growing) == 1 and seen_growing[0] > 500_000  # most rows already on disk
    assert not target.with_name("list.csv.tmp").exists()


def test_a_new_file_gets_the_permissions_any_new_file_would(tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        write_csv(tmp_path / "list.csv", ["email"], [])
        (tmp_path / "plain.txt").write_text("x")
    finally:
        os.umask(previous)
    mode = stat.S_IMODE((tmp_path / "list.csv").stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode) == 0o640


def test_a_replaced_file_keeps_its_own_permissions(tmp_path: Path) -> None:
    target = tmp_path / "list.csv"
    write_csv(target, ["email"], [])
    target.chmod(0o600)
    write_csv(target, ["email"], [{"email": "a@example.com"}])
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_reader_never_sees_a_half_written_file(tmp_path: Path) -> None:
    """A thread reads the file over and over while it is rewritten: every read is one whole
    generation of 10,000 rows, never a mix, a cut-off or a missing file."""
    target = tmp_path / "list.csv"
    columns = ["email", "generation", "note"]

    def generation(number: int) -> Iterator[dict[str, object]]:
        for n in range(10_000):
            yield {"email": f"person{n}@example.com", "generation": number, "note": 'a, "b"\nc'}

    write_csv(target, columns, generation(0))
    done = threading.Event()
    reads: list[int] = []
    problems: list[str] = []

    def reader() -> None:
        while not done.is_set():
            with target.open(encoding="utf-8", newline="") as stream:
                rows = list(csv.DictReader(stream))
            generations = {str(row.get("generation")) for row in rows}
            whole = bool(rows) and rows[-1].get("note") == 'a, "b"\nc'
            if len(rows) != 10_000 or len(generations) != 1 or not whole:
                problems.append(f"read {len(rows)} rows of generations {sorted(generations)}")
            reads.append(len(rows))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for number in range(1, 21):
            assert write_csv(target, columns, generation(number)) == 10_000
    finally:
        done.set()
        thread.join()
    assert problems == []
    assert len(reads) >= 5  # the reader really raced the writer
    assert read_back(target)[0]["generation"] == "20"
    assert leftovers(tmp_path, "list.csv") == []
