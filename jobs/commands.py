"""The commands that run a sync or read its history: sync and runs (lists, explain and export
are in `jobs.inspection` and `jobs.list_export`).

Each loads the config, connects, reads the live Zendesk field schema (so dropdown options are
known by name), opens the store and does its work; every failure is a message and an exit code:
0 success, 1 the run failed, 2 invalid config or usage, 3 finished with some records failed,
4 another sync holds the lock.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from rich.console import Console

from connector.errors import ConnectorError
from jobs.connections import Services, connect, live_schema
from jobs.progress import Progress
from jobs.render import plan_document, print_report, print_runs
from jobs.state import LockHeld, NewerSchema, StateStore, StoreError
from jobs.sync import EXIT_FAILED, EXIT_INVALID, EXIT_LOCKED, EXIT_OK, SyncOptions, exit_code
from mappings.load import Loaded, load
from mappings.problems import ConfigError


class CommandFailed(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Session:
    """A loaded config (with the live schema), its connectors and its opened store."""

    loaded: Loaded
    services: Services
    store: StateStore
    group_ids: dict[str, int]
    base_dir: Path

    def close(self) -> None:
        self.store.close()


def open_session(config_path: str, *, window_seconds: float = 60.0) -> Session:
    """Load, connect, read the schema, load again against it, open the store."""
    try:
        first = load(config_path)
        services = connect(first.config, window_seconds=window_seconds)
        schema, group_ids = live_schema(services.zendesk)
        loaded = load(config_path, schema=schema)
    except ConfigError as error:
        raise CommandFailed(str(error), EXIT_INVALID) from None
    except ConnectorError as error:
        raise CommandFailed(f"cannot read the Zendesk account: {error}", EXIT_FAILED) from None
    config = loaded.config
    base_dir = Path(config_path).resolve().parent
    password = config.state.password.reveal() if config.state.password else None
    try:
        store = StateStore.open(config.state.url, password=password, base_dir=base_dir)
    except (StoreError, NewerSchema) as error:
        raise CommandFailed(str(error), EXIT_FAILED) from None
    return Session(loaded, services, store, group_ids, base_dir)


def sync(
    config_path: str,
    options: SyncOptions,
    *,
    as_json: bool = False,
    out: TextIO | None = None,
    window_seconds: float = 60.0,
) -> int:
    from jobs.sync import run_sync

    out = out or sys.stdout
    console = Console(file=out)
    try:
        session = open_session(config_path, window_seconds=window_seconds)
    except CommandFailed as error:
        print(error, file=sys.stderr if as_json else out)
        return error.code
    try:
        mappings = session.loaded.mappings
        if options.only is not None and mappings.list_named(options.only) is None:
            names = ", ".join(lst.name for lst in mappings.lists)
            print(f"--only: no list is called {options.only!r}; the lists: {names}", file=out)
            return EXIT_INVALID
        progress = Progress.quiet() if as_json else Progress(out, console=console)
        try:
            report = run_sync(
                mappings,
                session.services,
                session.store,
                options,
                progress,
                session.base_dir,
                session.group_ids,
            )
        except LockHeld as error:
            print(f"not started: {error}", file=sys.stderr if as_json else out)
            return EXIT_LOCKED
        code = exit_code(report)
        if as_json:
            print(json.dumps(plan_document(report, code), indent=2), file=out)
        else:
            print_report(report, console)
        return code
    finally:
        session.close()


def runs(config_path: str, last: int, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        loaded = load(config_path)
    except ConfigError as error:
        print(error, file=out)
        return EXIT_INVALID
    config = loaded.config
    password = config.state.password.reveal() if config.state.password else None
    try:
        store = StateStore.open(
            config.state.url, password=password, base_dir=Path(config_path).resolve().parent
        )
    except (StoreError, NewerSchema) as error:
        print(error, file=out)
        return EXIT_FAILED
    try:
        history = store.runs(last)
        errors = {run.id: store.run_errors(run.id) for run in history}
        print_runs(history, errors, Console(file=out))
    finally:
        store.close()
    return EXIT_OK
