"""One sync at a time per state store; a second one learns it at once, and who holds it.

A SQLite store is locked with an advisory `flock` on a file beside it (`state.db.lock`): the
kernel releases it when the holder dies, so a crash never leaves a stale lock. A PostgreSQL store
is locked with a session advisory lock, held on its own connection for the run.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, text

PG_LOCK_KEY = 0x6465736B62726467  # "deskbrdg"


class LockHeld(RuntimeError):
    """Another sync holds the store."""


@contextmanager
def file_lock(path: Path, what: str) -> Iterator[None]:
    """Hold an exclusive `flock` on `path` (created if needed) or raise `LockHeld` at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
            raise LockHeld(f"another deskbridge sync holds {what} ({holder})") from None
        os.ftruncate(fd, 0)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        os.pwrite(fd, f"pid {os.getpid()} since {stamp}".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


@contextmanager
def postgres_lock(engine: Engine, what: str) -> Iterator[None]:
    """Hold a session advisory lock on a connection of its own, or raise `LockHeld` at once.

    The lock outlives the transaction that takes it, which is committed at once: an idle
    transaction held for a whole run would keep the server from vacuuming. The holder names
    itself in `application_name`, so the refused sync can say who holds the store; the server
    frees the lock when the holder's connection dies.
    """
    with engine.connect() as connection:
        taken = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": PG_LOCK_KEY})
        if not taken.scalar():
            holder = _postgres_holder(connection) or "unknown"
            connection.rollback()
            raise LockHeld(f"another deskbridge sync holds {what} ({holder})")
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        name = f"deskbridge pid {os.getpid()} on {socket.gethostname()} since {stamp}"
        connection.execute(
            text("SELECT set_config('application_name', :name, false)"), {"name": name[:63]}
        )
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PG_LOCK_KEY})
            connection.execute(text("RESET application_name"))
            connection.commit()


def _postgres_holder(connection: Connection) -> str | None:
    """The holder's `application_name`; None if the server does not show it to this role."""
    found = connection.execute(
        text(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted"
            " AND l.classid::bigint = (:key >> 32) AND l.objid::bigint = (:key & 4294967295)"
            " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
        {"key": PG_LOCK_KEY},
    ).scalar()
    return found or None
