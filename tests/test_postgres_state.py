"""A PostgreSQL state store end to end: its migrations, a sync against the sandbox, the lock.

The state-store tests of each module run on SQLite and PostgreSQL alike (`state_url`); these are
the PostgreSQL-only ones: the schema built revision by revision on an empty server database, and
the whole `deskbridge sync` with its state there instead of in a file.
"""

from __future__ import annotations

import io
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Connection, Engine, create_engine, insert, inspect, select, text
from sqlalchemy.engine import make_url

from jobs import commands, mailchimp_plan
from jobs.demo import write_config
from jobs.mailchimp_plan import TagOwners
from jobs.state import StateStore
from jobs.state import tables as t
from jobs.state.migrate import _config, current, head
from jobs.state.pages import mark_dirty
from jobs.state.sql import STREAM_ROWS, in_codepoint_order, streamed
from jobs.state.tables import metadata
from jobs.sync import EXIT_LOCKED, EXIT_OK, EXIT_PARTIAL, SyncOptions
from sandbox.server import SandboxServer
from tests.test_sync import demo_sandbox, next_seq, sync, writes_since

PASSWORD_VARIABLE = "DESKBRIDGE_TEST_STATE_PASSWORD"


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    opened = create_engine(postgres_url)
    yield opened
    opened.dispose()


def upgrade(engine: Engine, revision: str) -> None:
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_the_migrations_build_the_schema_revision_by_revision_on_an_empty_database(
    engine: Engine,
) -> None:
    assert inspect(engine).get_table_names() == []
    revisions = [r.revision for r in ScriptDirectory.from_config(_config()).walk_revisions()]
    for revision in reversed(revisions):  # oldest first
        upgrade(engine, revision)
        assert current(engine) == revision
    assert current(engine) == head()
    assert set(inspect(engine).get_table_names()) == set(metadata.tables) | {"alembic_version"}
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


def test_the_migrations_go_down_to_nothing_and_up_again(engine: Engine) -> None:
    upgrade(engine, "head")
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine, "head")
    assert current(engine) == head()


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    with demo_sandbox(monkeypatch) as server:
        yield server


@pytest.fixture
def config(
    sandbox: SandboxServer, tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The demo's config with its state in PostgreSQL: the URL without its password, which
    comes from the environment, as an admin would set it."""
    url = make_url(postgres_url)
    without_password = URL.create(
        url.drivername, url.username, None, url.host, url.port, url.database
    )
    monkeypatch.setenv("DESKBRIDGE_STATE__URL", without_password.render_as_string())
    if url.password is not None:
        monkeypatch.setenv(PASSWORD_VARIABLE, str(url.password))
        monkeypatch.setenv("DESKBRIDGE_STATE__PASSWORD", f"env:{PASSWORD_VARIABLE}")
    return write_config(tmp_path, sandbox.url)


def test_a_sync_keeps_its_state_in_postgresql_and_the_next_writes_nothing(
    sandbox: SandboxServer, config: Path, postgres_url: str
) -> None:
    now = int(time.time())
    code, first = sync(config, now=now)
    assert code in (EXIT_OK, EXIT_PARTIAL), first["error"]
    assert first["zendesk"]["user_updates"] > 0 and first["mailchimp"][0]["adds"] > 0
    assert not list(config.parent.glob("*.db")), "no SQLite file: the state is in PostgreSQL"

    before = next_seq(sandbox)
    code, second = sync(config, now=now + 60)
    assert code == EXIT_OK, second["error"]
    assert writes_since(sandbox, before) == []
    assert second["writes"] == 0

    store = StateStore.open(postgres_url)
    try:
        assert [run.status for run in store.runs()][:2] == ["succeeded", first["status"]]
        assert store.cursor("zendesk.users") is not None
    finally:
        store.close()


def test_a_sync_while_another_holds_the_postgresql_store_exits_locked(
    config: Path, postgres_url: str
) -> None:
    holder = StateStore.open(postgres_url)  # another instance, on the same database
    try:
        with holder.sync_lock():
            out = io.StringIO()
            code = commands.sync(str(config), SyncOptions(), out=out)
    finally:
        holder.close()
    assert code == EXIT_LOCKED
    assert "another deskbridge sync holds the state store postgresql" in out.getvalue()


def test_streamed_queries_read_side_by_side_on_one_connection(state_url: str) -> None:
    store = StateStore.open(state_url)
    try:
        ids = list(range(1, 2 * STREAM_ROWS + 2))  # more than one batch
        with store.engine.begin() as connection:
            mark_dirty(connection, ids)
        column = t.dirty_profiles.c.user_id
        with store.engine.connect() as connection:
            up = connection.execute(streamed(select(column).order_by(column)))
            down = connection.execute(streamed(select(column).order_by(column.desc())))
            pairs = list(zip(up.scalars(), down.scalars(), strict=True))
        assert pairs == list(zip(ids, reversed(ids), strict=True))
    finally:
        store.close()


def test_a_streamed_query_is_a_server_side_cursor_on_postgresql(engine: Engine) -> None:
    with engine.connect() as connection:
        numbers = "SELECT n FROM generate_series(1, 5000) AS n ORDER BY n"
        loaded = connection.execute(text(numbers))
        assert open_cursors(connection) == 0  # read whole at execute
        stream = connection.execute(streamed(text(numbers)))
        assert next(iter(stream)) == (1,)
        assert open_cursors(connection) == 1
        assert sum(row.n for row in stream) + 1 == sum(row.n for row in loaded) == 5000 * 5001 // 2


def open_cursors(connection: Connection) -> int:
    return int(connection.execute(text("SELECT count(*) FROM pg_cursors")).scalar_one())


AUDIENCE = "a1b2c3"
ORDERED_APART = ["a.b@x.test", "a_b@x.test"]  # Python: "." < "_"; en-US: "_" before "."


@pytest.mark.parametrize(
    "database",
    [
        "postgres_url",
        "postgres_icu_url",
    ],
)
def test_the_mailchimp_plan_joins_addresses_whatever_the_database_collation(
    database: str, request: pytest.FixtureRequest
) -> None:
    store = StateStore.open(request.getfixturevalue(database))
    try:
        with store.engine.begin() as connection:
            for user_id, email in enumerate(ORDERED_APART):
                connection.execute(
                    insert(t.mailchimp_wanted).values(
                        audience=AUDIENCE,
                        email=email,
                        user_id=user_id,
                        tags='["VIP"]',
                        merge="{}",
                        status_if_new="subscribed",
                    )
                )
            connection.execute(  # the first is in the audience already, as wanted
                insert(t.mailchimp_members).values(
                    audience=AUDIENCE,
                    email=ORDERED_APART[0],
                    tags='["VIP"]',
                    merge="{}",
                    pushed='["VIP"]',
                    status="subscribed",
                    updated_at=1,
                )
            )
        with store.engine.connect() as connection:
            planned = list(mailchimp_plan.diffs(connection, AUDIENCE, TagOwners.of([])))
        assert [(d.email, d.upsert) for d in planned] == [(ORDERED_APART[1], "add")]
    finally:
        store.close()


@pytest.mark.parametrize("database", ["sqlite", "postgres_icu_url"])
def test_in_codepoint_order_sorts_text_as_python_does(
    database: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    emails = ["a.b@x.test", "a_b@x.test", "a-b@x.test", "ab@x.test", "b@x.test", "é@x.test"]
    if database == "sqlite":
        store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    else:
        store = StateStore.open(request.getfixturevalue(database))
    try:
        with store.engine.begin() as connection:
            for user_id, email in enumerate(reversed(emails)):
                connection.execute(
                    insert(t.mailchimp_erasures).values(
                        audience=AUDIENCE,
                        email=email,
                        user_id=user_id,
                        action="archive",
                        planned_at=1,
                    )
                )
            column = t.mailchimp_erasures.c.email
            query = select(column).order_by(in_codepoint_order(connection, column))
            assert list(connection.execute(query).scalars()) == sorted(emails)
    finally:
        store.close()


OPEN_AT = """
import sys, time
from jobs.state import StateStore
from jobs.state.migrate import current
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
store = StateStore.open(sys.argv[1])
print(current(store.engine))
store.close()
"""


def test_instances_starting_together_on_an_empty_database_migrate_it_once(
    postgres_url: str,
) -> None:
    at = str(time.time() + 3)  # after every interpreter has started
    instances = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_AT, postgres_url, at],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outcomes = [instance.communicate(timeout=60) for instance in instances]
    assert [(out.strip(), err) for out, err in outcomes] == [(head(), "")] * 3
