"""What /healthz and /readyz say: of `deskbridge run` (`ServiceHealth`) and of a one-shot
`deskbridge sync --health-port` (`SyncHealth`).

Alive: the process answers and, for the service, its scheduler's thread runs. Ready: the config
in force is valid (a refused one on disk makes the service not ready, though it goes on with the
last valid one), the state store answers `SELECT 1`, and fewer than `[health] failed_runs` runs
in a row have failed. Findings name what failed, never a password.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from jobs.connections import open_state
from jobs.state import NewerSchema, StateStore, StoreError
from mappings.config import Config

OK = "ok"


@dataclass(frozen=True)
class ServiceState:
    """What the service tells its health checks, read afresh at each request."""

    config: Config  # the config in force
    base_dir: Path  # the config file's folder (a relative SQLite path is relative to it)
    refused: str | None  # why the config file on disk is refused, while it is
    failed_in_a_row: int


class ServiceHealth:
    """The `HealthChecks` of `deskbridge run`."""

    def __init__(
        self, scheduler_alive: Callable[[], bool], state: Callable[[], ServiceState]
    ) -> None:
        self.scheduler_alive = scheduler_alive
        self.state = state
        self.stores = StoreProbe()

    def alive(self) -> tuple[bool, str]:
        if self.scheduler_alive():
            return True, "the scheduler runs"
        return False, "the scheduler has stopped"

    def ready(self) -> tuple[bool, dict[str, str]]:
        state = self.state()
        threshold = state.config.health.failed_runs
        checks = {
            "config": OK if state.refused is None else f"refused: {state.refused}",
            "store": self.stores.probe(state.config, state.base_dir),
            "runs": OK
            if state.failed_in_a_row < threshold
            else f"the last {state.failed_in_a_row} runs failed",
        }
        return all(v == OK for v in checks.values()), checks


class SyncHealth:
    """The `HealthChecks` of one `deskbridge sync`: its config is loaded, its store open."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    def alive(self) -> tuple[bool, str]:
        return True, "a one-shot sync runs"

    def ready(self) -> tuple[bool, dict[str, str]]:
        checks = {"config": OK, "store": select_one(self.store)}
        return all(v == OK for v in checks.values()), checks


class StoreProbe:
    """The state store of the config in force, opened once (and again when its URL changes)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, str | None, Path] | None = None
        self._store: StateStore | None = None

    def probe(self, config: Config, base_dir: Path) -> str:
        password = config.state.password.reveal() if config.state.password else None
        key = (config.state.url, password, base_dir)
        with self._lock:
            if key != self._key or self._store is None:
                self.close()
                try:
                    self._store = open_state(config, base_dir)
                except (StoreError, NewerSchema) as error:
                    return str(error)
                self._key = key
            return select_one(self._store)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
        self._store, self._key = None, None


def select_one(store: StateStore) -> str:
    try:
        with store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        lines = str(getattr(error, "orig", None) or error).strip().splitlines()
        reason = lines[0] if lines else type(error).__name__
        return f"the state store {store.where} does not answer: {reason}"
    return OK
