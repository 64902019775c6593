"""`deskbridge export LIST --csv`: a list's members, as of the last sync, written as a CSV file.

The columns are the list's `[lists.csv]` ones, else `user.email` and `user.name`; the file is
replaced atomically. It needs no account: the members come from the store. The account's user-field
schema is used when it answers (or given with `--schema FILE`), so dropdowns are written by option
name, as the sync writes its own files. Written to the list's own CSV path,
the file's content hash is recorded as the sync records it, so the next sync rewrites the file only
if its own rows differ.
"""

from __future__ import annotations

import re
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from connector.csvfile import CsvRowError
from connector.errors import ConnectorError
from jobs import csv_export
from jobs.check_config import (
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_OK,
    SchemaFileError,
    fetch_live_schema,
    read_schema,
)
from jobs.commands import CommandFailed
from jobs.inspection import last_evaluation, list_named, load_config, open_store
from mappings.conditions.fields import Field, resolve_field
from mappings.config import DEFAULT_CSV_COLUMNS
from mappings.load import Loaded


def export(
    config_path: str,
    list_name: str,
    out_path: str | None,
    schema_file: str | None = None,
    out: TextIO | None = None,
) -> int:
    """Write a list's members as CSV; the list's own columns, or email and name."""
    out = out or sys.stdout
    base_dir = Path(config_path).resolve().parent
    try:
        loaded = _load_for_export(config_path, schema_file, out)
        lst = list_named(loaded.mappings, list_name)
        store = open_store(loaded.config, config_path)
    except CommandFailed as error:
        print(error, file=out)
        return error.code
    own = csv_export.target(lst, base_dir) if lst.spec.csv is not None else None
    target = Path(out_path) if out_path else own or Path.cwd() / f"{slug(lst.name)}.csv"
    columns = lst.columns if lst.spec.csv is not None else default_columns()
    shaped = replace(lst, columns=columns)
    try:
        with store.engine.begin() as connection:
            if lst.name not in last_evaluation(connection).lists:
                print(
                    f"no sync has evaluated {lst.name!r} yet: run `deskbridge sync` first",
                    file=out,
                )
                return EXIT_FAILED
            excel = lst.spec.csv.excel if lst.spec.csv is not None else False
            count, digest = csv_export.write(connection, shaped, target, excel=excel)
            if own is not None and target.resolve() == own.resolve():
                # The sync's own file: record what it now holds, so the next sync rewrites it
                # if its own rows differ (or leaves it if they do not).
                now = int(datetime.now(UTC).timestamp())
                csv_export.remember(connection, lst, own, digest, count, now)
    except (OSError, CsvRowError) as error:
        print(f"cannot write {target}: {error}", file=out)
        return EXIT_FAILED
    finally:
        store.close()
    print(f"wrote {count} {'row' if count == 1 else 'rows'} of {lst.name!r} to {target}", file=out)
    return EXIT_OK


def _load_for_export(config_path: str, schema_file: str | None, out: TextIO) -> Loaded:
    """The config with the best schema to hand: `--schema FILE`, else the live one if the account
    answers (dropdowns by option name, as the sync writes them), else none."""
    if schema_file is not None:
        try:
            return load_config(config_path, read_schema(schema_file))
        except SchemaFileError as error:
            raise CommandFailed(str(error), EXIT_INVALID) from None
    offline = load_config(config_path)
    try:
        schema = fetch_live_schema(offline.config)
    except ConnectorError as error:
        print(
            f"the live Zendesk schema could not be read ({error}): dropdown values are written "
            "as their tags, not their names",
            file=out,
        )
        return offline
    return load_config(config_path, schema)


def default_columns() -> tuple[tuple[str, Field], ...]:
    """`user.email` and `user.name`: the columns of a list without `[lists.csv]`."""
    found = []
    for address in DEFAULT_CSV_COLUMNS:
        assert isinstance(address, str)
        field = resolve_field(address, None)
        assert isinstance(field, Field)
        found.append((address, field))
    return tuple(found)


def slug(name: str) -> str:
    """A file name from a list's name: `New customers (last 30 days)` ->
    `new-customers-last-30-days`."""
    return re.sub(r"[^\w]+", "-", name.casefold()).strip("-_") or "list"
