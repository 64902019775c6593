"""The state store: SQLite by default, PostgreSQL by URL, migrated on open (see `store`)."""

from jobs.state.lock import LockHeld
from jobs.state.migrate import NewerSchema
from jobs.state.store import RunError, RunRecord, StateStore, StoreError

__all__ = ["LockHeld", "NewerSchema", "RunError", "RunRecord", "StateStore", "StoreError"]
