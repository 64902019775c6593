"""The state store: opened by URL, migrated on open, locked for a sync, never showing a password.

    store = StateStore.open("sqlite:///state.db", base_dir=config_folder)
    with store.sync_lock():
        run = store.start_run(now, dry_run=False, full=False)
        ...
        store.finish_run(run, "succeeded", counts, now)

A relative SQLite path is relative to `base_dir` (the config file's folder), and its folder is
created on first use. A password is passed apart from the URL (`state.password`), and the URL is
only ever shown with it hidden.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from jobs.state import tables as t
from jobs.state.lock import file_lock, postgres_lock
from jobs.state.migrate import migrate
from jobs.state.sql import normalised_json


class StoreError(RuntimeError):
    """The store cannot be opened or used; the message names it without its password."""


@dataclass(frozen=True)
class RunRecord:
    id: int
    started_at: int
    finished_at: int | None
    status: str
    dry_run: bool
    full: bool
    counts: Mapping[str, Any]


@dataclass(frozen=True)
class RunError:
    stage: str
    record: str
    message: str
    permanent: bool


class StateStore:
    def __init__(self, engine: Engine, url: URL) -> None:
        self.engine = engine
        self.url = url

    def __repr__(self) -> str:
        return f"StateStore({self.where})"

    @property
    def where(self) -> str:
        """The store's URL with any password hidden."""
        return self.url.render_as_string(hide_password=True)

    @classmethod
    def open(
        cls, url: str, *, password: str | None = None, base_dir: Path | None = None
    ) -> StateStore:
        """Connect, create (SQLite) and migrate; `StoreError` says what went wrong."""
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise StoreError(f"not a database URL: {url!r}") from None
        if parsed.get_backend_name() == "sqlite":
            parsed = _sqlite_file(parsed, base_dir)
        elif password is not None:
            parsed = parsed.set(password=password)
        where = parsed.render_as_string(hide_password=True)
        try:
            engine = create_engine(_with_driver(parsed), **_engine_options(parsed))
        except ModuleNotFoundError as error:
            raise StoreError(
                f"cannot use the state store {where}: its database driver {error.name} is not "
                "installed"
            ) from None
        if parsed.get_backend_name() == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        try:
            migrate(engine, where)
        except OperationalError as error:
            engine.dispose()
            reason = str(error.orig).splitlines()[0] if error.orig else "cannot connect"
            raise StoreError(f"cannot open the state store {where}: {reason}") from None
        except BaseException:
            engine.dispose()  # a refused store (NewerSchema) leaves no connection open
            raise
        return cls(engine, parsed)

    def close(self) -> None:
        self.engine.dispose()

    def sync_lock(self) -> AbstractContextManager[None]:
        """Held for a whole sync; raises `LockHeld` at once if another sync holds it."""
        what = f"the state store {self.where}"
        if self.url.get_backend_name() == "postgresql":
            return postgres_lock(self.engine, what)
        database = self.url.database
        if not database or database == ":memory:":
            raise StoreError("an in-memory SQLite store cannot be shared, so it cannot be locked")
        return file_lock(Path(database + ".lock"), what)

    # --- cursors ----------------------------------------------------------------------------

    def cursor(self, name: str) -> str | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(t.cursors.c.value).where(t.cursors.c.name == name))
            return row.scalar()

    def set_cursor(self, name: str, value: str, now: int) -> None:
        with self.engine.begin() as connection:
            write_cursor(connection, name, value, now)

    # --- runs -------------------------------------------------------------------------------

    def start_run(self, now: int, *, dry_run: bool, full: bool) -> int:
        with self.engine.begin() as connection:
            row = connection.execute(
                insert(t.runs).values(
                    started_at=now, status="running", dry_run=dry_run, full=full, counts="{}"
                )
            )
            key = row.inserted_primary_key
            assert key is not None
            return int(key[0])

    def finish_run(self, run_id: int, status: str, counts: Mapping[str, int], now: int) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(t.runs)
                .where(t.runs.c.id == run_id)
                .values(status=status, finished_at=now, counts=normalised_json(counts))
            )

    def record_error(
        self, run_id: int, stage: str, record: str, message: str, *, permanent: bool
    ) -> None:
        """A record set aside in a run, with its reason (no secret: messages are the caller's)."""
        with self.engine.begin() as connection:
            connection.execute(
                insert(t.run_errors).values(
                    run_id=run_id,
                    stage=stage,
                    record=record[:512],
                    message=message,
                    permanent=permanent,
                )
            )

    def runs(self, last: int = 10) -> list[RunRecord]:
        """The newest `last` runs, newest first."""
        query = select(t.runs).order_by(t.runs.c.id.desc()).limit(last)
        with self.engine.connect() as connection:
            return [
                RunRecord(
                    row.id,
                    row.started_at,
                    row.finished_at,
                    row.status,
                    row.dry_run,
                    row.full,
                    json.loads(row.counts),
                )
                for row in connection.execute(query)
            ]

    def run_errors(self, run_id: int) -> list[RunError]:
        query = (
            select(t.run_errors).where(t.run_errors.c.run_id == run_id).order_by(t.run_errors.c.id)
        )
        with self.engine.connect() as connection:
            return [
                RunError(row.stage, row.record, row.message, row.permanent)
                for row in connection.execute(query)
            ]


def write_cursor(connection: Connection, name: str, value: str, now: int) -> None:
    """Set a cursor inside the caller's transaction."""
    done = connection.execute(
        update(t.cursors).where(t.cursors.c.name == name).values(value=value, updated_at=now)
    )
    if done.rowcount == 0:
        connection.execute(insert(t.cursors).values(name=name, value=value, updated_at=now))


def _engine_options(url: URL) -> dict[str, Any]:
    """A server's connections are tested before use: a service running for months outlives
    server restarts and idle connections closed by the network."""
    if url.get_backend_name() == "postgresql":
        return {"pool_pre_ping": True}
    return {}


def _with_driver(url: URL) -> URL:
    """A plain `postgresql://` URL means psycopg 3, the driver deskbridge installs (SQLAlchemy
    would otherwise look for psycopg2)."""
    if url.drivername == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    return url


def _sqlite_file(url: URL, base_dir: Path | None) -> URL:
    database = url.database
    if not database or database == ":memory:":
        return url
    path = Path(database)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    path.parent.mkdir(parents=True, exist_ok=True)
    return url.set(database=str(path))


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """Write-ahead logging (readers never wait for the sync), foreign keys on, and waiting a
    little for a busy file rather than failing at once."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
