"""The state store on SQLite and PostgreSQL: created and migrated on open, cursors, runs, errors,
the sync lock."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from jobs.state import LockHeld, NewerSchema, StateStore, StoreError
from jobs.state.migrate import current, head
from jobs.state.tables import metadata

NOW = 1_795_000_000


def test_a_relative_sqlite_path_is_created_beside_the_config(tmp_path: Path) -> None:
    opened = StateStore.open("sqlite:///state/deskbridge.db", base_dir=tmp_path)
    opened.close()
    assert (tmp_path / "state" / "deskbridge.db").is_file()


def test_a_new_store_is_at_the_newest_schema(store: StateStore) -> None:
    assert current(store.engine) == head() == "0005"
    tables = set(inspect(store.engine).get_table_names())
    assert tables == set(metadata.tables) | {"alembic_version"}


def test_the_migrations_create_exactly_the_tables_the_code_uses(store: StateStore) -> None:
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_opening_again_keeps_the_data(state_url: str, store: StateStore) -> None:
    store.set_cursor("zendesk.users", "abc", NOW)
    again = StateStore.open(state_url)
    try:
        assert again.cursor("zendesk.users") == "abc"
    finally:
        again.close()


def test_a_store_from_a_newer_deskbridge_is_refused_untouched(
    state_url: str, store: StateStore
) -> None:
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    with pytest.raises(NewerSchema) as refused:
        StateStore.open(state_url)
    assert str(refused.value).endswith(
        f"has schema version 0099, which this deskbridge does not know (it knows up to {head()}): "
        "it was used by a newer deskbridge"
    )


def test_cursors_are_stored_and_replaced(store: StateStore) -> None:
    assert store.cursor("zendesk.users") is None
    store.set_cursor("zendesk.users", "one", NOW)
    store.set_cursor("zendesk.users", "two", NOW + 1)
    store.set_cursor("zendesk.tickets", "t", NOW)
    assert (store.cursor("zendesk.users"), store.cursor("zendesk.tickets")) == ("two", "t")


def test_runs_and_their_errors_are_kept_newest_first(store: StateStore) -> None:
    first = store.start_run(NOW, dry_run=True, full=False)
    store.finish_run(first, "succeeded", {"profiles": 3}, NOW + 5)
    second = store.start_run(NOW + 10, dry_run=False, full=True)
    store.record_error(second, "pull", "user 7", "email is not an address", permanent=True)
    store.finish_run(second, "partial", {"profiles": 2, "set_aside": 1}, NOW + 12)
    runs = store.runs(last=5)
    assert [(r.id, r.status, r.dry_run, r.full, dict(r.counts)) for r in runs] == [
        (second, "partial", False, True, {"profiles": 2, "set_aside": 1}),
        (first, "succeeded", True, False, {"profiles": 3}),
    ]
    assert runs[0].finished_at == NOW + 12
    errors = store.run_errors(second)
    assert [(e.stage, e.record, e.message, e.permanent) for e in errors] == [
        ("pull", "user 7", "email is not an address", True)
    ]


HOLD = """
import sys, time
from pathlib import Path
from jobs.state import StateStore
store = StateStore.open(sys.argv[1])
with store.sync_lock():
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_second_sync_is_refused_at_once_and_a_dead_holder_frees_the_store(
    state_url: str,
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, state_url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        store = StateStore.open(state_url)
        started = time.monotonic()
        with pytest.raises(LockHeld) as refused, store.sync_lock():
            pass
        assert time.monotonic() - started < 1
        message = str(refused.value)
        assert message.startswith(f"another deskbridge sync holds the state store {store.where} (")
        assert re.search(rf"\bpid {holder.pid} (on \S+ )?since \d{{4}}-", message), message
        holder.send_signal(signal.SIGKILL)  # a crash: no clean-up runs
        holder.wait(timeout=10)
        assert lock_soon(store)  # the kernel (SQLite) or the server freed the dead holder's lock
        store.close()
    finally:
        holder.kill()
        holder.wait(timeout=10)
        if holder.stdout is not None:
            holder.stdout.close()


def lock_soon(store: StateStore, seconds: float = 5) -> bool:
    """Take and free the sync lock, retrying while the server notices a dead holder's exit."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with store.sync_lock():
                return True
        except LockHeld:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)


def test_an_in_memory_store_cannot_be_locked() -> None:
    store = StateStore.open("sqlite://")
    with pytest.raises(StoreError, match="an in-memory SQLite store cannot be shared"):
        store.sync_lock()
    store.close()


def test_a_bad_url_or_an_unreachable_database_says_so_without_the_password() -> None:
    with pytest.raises(StoreError) as refused:
        StateStore.open("not a url")
    assert str(refused.value) == "not a database URL: 'not a url'"
    with pytest.raises(StoreError) as refused:
        StateStore.open("postgresql://deskbridge@127.0.0.1:1/state", password="hunter2-secret")
    assert "hunter2-secret" not in str(refused.value)
    assert "postgresql://deskbridge:***@127.0.0.1:1/state" in str(refused.value)


def test_a_store_made_by_the_first_release_is_brought_to_the_newest_schema(
    tmp_path: Path,
) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    from jobs.state.migrate import _config

    path = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{path}")
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    engine.dispose()
    opened = StateStore.open(f"sqlite:///{path}")
    try:
        assert current(opened.engine) == head()
        assert set(inspect(opened.engine).get_table_names()) == set(metadata.tables) | {
            "alembic_version"
        }
    finally:
        opened.close()
