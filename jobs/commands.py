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
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from connector.errors import ConnectorError
from jobs.connections import Services, connect, live_schema, open_state
from jobs.health import HealthServer
from jobs.metrics import Metrics
from jobs.progress import Progress, StopRequested
from jobs.render import console_for, plan_document, print_report, print_runs
from jobs.runreport import RunReport
from jobs.service_config import ConfigFiles
from jobs.state import LockHeld, NewerSchema, StateStore, StoreError
from jobs.stopping import StopSignals, stoppable_sleep
from jobs.sync import (
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_LOCKED,
    EXIT_OK,
    SyncOptions,
    exit_code,
    run_sync,
)
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


def open_session(
    config_path: str,
    *,
    window_seconds: float = 60.0,
    files: ConfigFiles | None = None,
    sleep: Callable[[float], None] | None = None,
) -> Session:
    """Load, connect, read the schema, load again against it, open the store. `files`: the
    config's text as read before (the service's last valid one); by default, read now.
    `sleep`: how the connectors wait before a retry or for a rate limit (default: time.sleep)."""
    files = files or ConfigFiles(config_path)
    try:
        first = files.load()
        services = connect(first.config, window_seconds=window_seconds, sleep=sleep)
        schema, group_ids = live_schema(services.zendesk)
        loaded = files.load(schema=schema)
    except ConfigError as error:
        raise CommandFailed(str(error), EXIT_INVALID) from None
    except ConnectorError as error:
        raise CommandFailed(f"cannot read the Zendesk account: {error}", EXIT_FAILED) from None
    config = loaded.config
    base_dir = Path(config_path).resolve().parent
    try:
        store = open_state(config, base_dir)
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
    health_port: int | None = None,
) -> int:
    """`deskbridge sync`; with `health_port`, /healthz, /readyz and /metrics are served on it
    (at `[health] host`) while the sync runs."""
    out = out or sys.stdout
    with StopSignals() as signals:
        return _sync(config_path, options, as_json, out, window_seconds, health_port, signals)


def _sync(
    config_path: str,
    options: SyncOptions,
    as_json: bool,
    out: TextIO,
    window_seconds: float,
    health_port: int | None,
    signals: StopSignals,
) -> int:
    """The first SIGTERM or SIGINT ends the run after its batch in flight (its status
    `stopped`) and the command exits with 128 + the signal's number; a second exits at once."""
    console = console_for(out)
    errors = sys.stderr if as_json else out  # --json keeps stdout for the document
    try:
        session = open_session(
            config_path, window_seconds=window_seconds, sleep=stoppable_sleep(signals.stopping)
        )
    except CommandFailed as error:
        print(error, file=errors)
        return error.code
    except StopRequested as asked:
        print(f"not started: {asked}", file=errors)
        return signals.exit_code or EXIT_FAILED
    health: HealthServer | None = None
    try:
        mappings = session.loaded.mappings
        if options.only is not None and mappings.list_named(options.only) is None:
            names = ", ".join(lst.name for lst in mappings.lists)
            print(f"--only: no list is called {options.only!r}; the lists: {names}", file=errors)
            return EXIT_INVALID
        metrics = Metrics()
        if health_port is not None:
            health = _serve_health(session, health_port, metrics)
        stop_asked = signals.stopping.is_set
        if as_json:
            progress = Progress.quiet(should_stop=stop_asked)
        else:
            progress = Progress(out, console=console, should_stop=stop_asked)
        try:
            report = run_session(session, options, progress, metrics, "sync")
        except LockHeld as error:
            print(f"not started: {error}", file=errors)
            return EXIT_LOCKED
        code = exit_code(report)
        if report.status == "stopped" and signals.exit_code is not None:
            code = signals.exit_code
        if as_json:
            print(json.dumps(plan_document(report, code), indent=2), file=out)
        else:
            print_report(report, console)
        return code
    except OSError as error:  # the health port is taken, or a CSV file cannot be written
        print(error, file=errors)
        return EXIT_FAILED
    finally:
        if health is not None:
            health.stop()
        session.close()


def run_session(
    session: Session,
    options: SyncOptions,
    progress: Progress,
    metrics: Metrics,
    job: str,
    started: Callable[[int], None] = lambda run_id: None,
) -> RunReport:
    """One sync of an open session, counted in `metrics` as a run of `job`; `LockHeld` when
    another sync holds the store; `started(run_id)` once it holds it."""
    began = time.monotonic()
    report = run_sync(
        session.loaded.mappings,
        session.services,
        session.store,
        options,
        progress,
        session.base_dir,
        session.group_ids,
        started,
    )
    metrics.record_run(job, report, time.monotonic() - began, session.services.stats())
    return report


def _serve_health(session: Session, port: int, metrics: Metrics) -> HealthServer:
    from jobs.service_health import SyncHealth

    host = session.loaded.config.health.host
    server = HealthServer(host, port, SyncHealth(session.store), metrics)
    server.start()
    return server


def runs(config_path: str, last: int, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        loaded = load(config_path)
    except ConfigError as error:
        print(error, file=out)
        return EXIT_INVALID
    try:
        store = open_state(loaded.config, Path(config_path).resolve().parent)
    except (StoreError, NewerSchema) as error:
        print(error, file=out)
        return EXIT_FAILED
    try:
        history = store.runs(last)
        errors = {run.id: store.run_errors(run.id) for run in history}
        print_runs(history, errors, console_for(out))
    finally:
        store.close()
    return EXIT_OK
