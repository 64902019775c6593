"""One sync at a time per state store; a second one learns it at once, and who holds it.

A SQLite store is locked with an advisory `flock` on a file beside it (`state.db.lock`): the
kernel releases it when the holder dies, so a crash never leaves a stale lock. A PostgreSQL store
is locked with a session advisory lock, held on its own connection for the run.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

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
    """Hold a session advisory lock on a connection of its own, or raise `LockHeld` at once."""
    with engine.connect() as connection:
        taken = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": PG_LOCK_KEY})
        if not taken.scalar():
            raise LockHeld(f"another deskbridge sync holds {what}")
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PG_LOCK_KEY})
            connection.commit()
