"""A real PostgreSQL server for the state-store tests, when one is reachable; none is mocked.

The server is named by DESKBRIDGE_TEST_POSTGRES_URL (a SQLAlchemy URL of a database the role may
connect to, the role allowed to create databases); `.ci/run` starts one and sets it. Each test
that asks for `postgres_url` gets a database of its own, created empty and dropped afterwards.
Without a reachable server those tests are skipped, and the terminal summary says so and why.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import URL, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from jobs.state import StateStore

URL_VARIABLE = "DESKBRIDGE_TEST_POSTGRES_URL"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CONNECT_TIMEOUT = 3  # seconds: an absent server must not slow the suite down


@dataclass
class _Server:
    """What the session learnt of the server: where, its version or why it is unusable."""

    url: URL
    version: str | None = None
    problem: str | None = None
    tests: set[str] = field(default_factory=set)

    @property
    def where(self) -> str:
        return self.url.render_as_string(hide_password=True)


_server: _Server | None = None


def _server_url() -> URL:
    url = make_url(os.environ.get(URL_VARIABLE) or DEFAULT_URL)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")  # the driver deskbridge installs
    return url


def _admin_engine(url: URL) -> Engine:
    return create_engine(
        url,
        isolation_level="AUTOCOMMIT",  # CREATE and DROP DATABASE refuse to run in a transaction
        connect_args={"connect_timeout": CONNECT_TIMEOUT},
        poolclass=NullPool,  # no connection outlives its use
    )


def _probe() -> _Server:
    """Connect once per session; a failure is remembered with its reason (never the password)."""
    global _server
    if _server is not None:
        return _server
    try:
        url = _server_url()
    except Exception as error:  # a malformed URL: say which variable holds it
        _server = _Server(make_url(DEFAULT_URL), problem=f"{URL_VARIABLE} is not a URL ({error})")
        return _server
    _server = _Server(url)
    try:
        engine = _admin_engine(url)
        try:
            with engine.connect() as connection:
                _server.version = connection.execute(text("SHOW server_version")).scalar_one()
        finally:
            engine.dispose()
    except (SQLAlchemyError, ModuleNotFoundError) as error:
        _server.problem = _first_line(error)
    return _server


def _first_line(error: BaseException) -> str:
    orig = getattr(error, "orig", None)
    message = str(orig if orig is not None else error).strip()
    return message.splitlines()[0] if message else type(error).__name__


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A SQLAlchemy URL (password included) of a freshly created, empty database."""
    with _fresh_database(request) as url:
        yield url


@pytest.fixture
def postgres_icu_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Like `postgres_url`, its text sorted as en-US (ICU) sorts it, like the databases of many
    servers (`ORDER BY` then differs from Python's order: "a_b" before "a.b")."""
    options = "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"
    with _fresh_database(request, options) as url:
        yield url


DROP_ATTEMPTS = 20


@contextmanager
def _fresh_database(request: pytest.FixtureRequest, options: str = "") -> Iterator[str]:
    server = _probe()
    server.tests.add(request.node.nodeid)
    if server.problem is not None:
        pytest.skip(f"no PostgreSQL server at {server.where}: {server.problem}")
    name = f"deskbridge_test_{secrets.token_hex(6)}"
    admin = _admin_engine(server.url)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" {options}'))
        yield server.url.set(database=name).render_as_string(hide_password=False)
        _drop(admin, name)
    finally:
        admin.dispose()


def _drop(admin: Engine, name: str) -> None:
    """Drop a test's database. FORCE: a connection the test left open (a killed child's, say)
    must not keep it. A role that is not a superuser may not end an autovacuum worker busy in
    the database, which refuses the FORCE: such a worker finishes soon, so try again."""
    for attempt in range(DROP_ATTEMPTS):
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except ProgrammingError:
            if attempt == DROP_ATTEMPTS - 1:
                raise
            time.sleep(0.5)


@pytest.fixture(params=["sqlite", "postgres"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty state store: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def store(state_url: str) -> Iterator[StateStore]:
    """An empty state store, opened: on SQLite, then on PostgreSQL."""
    opened = StateStore.open(state_url)
    yield opened
    opened.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One plain line: the PostgreSQL half ran (how many tests, where) or was skipped, and why."""
    server = _server
    if server is None:
        return  # no test asked for PostgreSQL
    count = len(server.tests)
    if server.problem is None:
        line = (
            f"PostgreSQL: ran {count} test(s) against {server.where} (PostgreSQL {server.version})"
        )
    else:
        line = (
            f"PostgreSQL: SKIPPED {count} test(s): no server at {server.where} "
            f"({server.problem}); set {URL_VARIABLE} to a server's URL to run them"
        )
    terminalreporter.write_line(line)
