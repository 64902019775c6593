"""Step 1 of a sync against the sandbox: pull into the state store, incrementally, crash-safely."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from connector.zendesk import ExportEnd, ExportPage, ZendeskConnector
from jobs.pull import RATINGS_SINCE, USERS_CURSOR, pull
from jobs.state import StateStore
from jobs.state import tables as t
from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer
from tests.sandbox_helpers import control, state, zendesk_connector

TIME_SCALE = 600  # a virtual minute is 0.1 s: the export's withheld last minute passes quickly
NOW = 1_795_000_000


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    config = SandboxConfig(users=2500, seed=11, rate_limits="off", time_scale=TIME_SCALE)
    with SandboxServer(config) as running:
        yield running


@pytest.fixture
def sandbox(server: SandboxServer) -> SandboxServer:
    control(server, "POST", "reset")
    return server


def connect(server: SandboxServer) -> ZendeskConnector:
    connector: ZendeskConnector = zendesk_connector(server, window_seconds=60 / TIME_SCALE)
    return connector


def count(store: StateStore, table: Any) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def stored_user(store: StateStore, user_id: int) -> dict[str, Any]:
    with store.engine.connect() as connection:
        row = connection.execute(select(t.profiles).where(t.profiles.c.user_id == user_id)).one()
    return {"status": row.status, **json.loads(row.data)}


def test_a_first_pull_stores_every_user_ticket_and_rating(
    sandbox: SandboxServer, store: StateStore
) -> None:
    truth = state(sandbox, "zendesk")
    run = store.start_run(NOW, dry_run=False, full=False)
    counts = pull(connect(sandbox), store, run, NOW)
    assert (counts.users, counts.tickets, counts.ratings, counts.set_aside) == (
        len(truth["users"]),
        len(truth["tickets"]),
        len(truth["satisfaction_ratings"]),
        0,
    )
    assert count(store, t.profiles) == len(truth["users"])
    assert count(store, t.tickets) == len(truth["tickets"])
    assert count(store, t.ratings) == len(truth["satisfaction_ratings"])
    assert store.cursor(USERS_CURSOR) and store.cursor(RATINGS_SINCE)
    user = truth["users"][5]
    profile = stored_user(store, user["id"])
    assert profile["user"]["email"] == (user["email"] or "").lower() or user["email"] is None
    assert profile["user_fields"] == user["user_fields"]
    assert profile["tags"] == sorted(user["tags"])
    assert isinstance(profile["user"]["created_at"], int)


def test_the_next_pull_reads_only_what_changed(sandbox: SandboxServer, store: StateStore) -> None:
    zendesk = connect(sandbox)
    pull(zendesk, store, store.start_run(NOW, dry_run=False, full=False), NOW)
    changes = control(sandbox, "POST", "mutate", {"count": 5, "kinds": ["zendesk_field_edit"]})
    edited = {change["user_id"] for change in changes["changes"]}
    time.sleep(0.3)  # past the export's withheld last (virtual) minute
    counts = pull(zendesk, store, store.start_run(NOW + 60, dry_run=False, full=False), NOW + 60)
    assert edited <= counts.changed_users
    assert counts.users < 50 and counts.tickets == 0
    truth = {u["id"]: u for u in state(sandbox, "zendesk")["users"]}
    for user_id in edited:
        assert stored_user(store, user_id)["user_fields"] == truth[user_id]["user_fields"]


def test_deleted_and_suspended_users_are_recognised(
    sandbox: SandboxServer, store: StateStore
) -> None:
    zendesk = connect(sandbox)
    pull(zendesk, store, store.start_run(NOW, dry_run=False, full=False), NOW)
    kinds = ["zendesk_user_deleted", "zendesk_user_suspended"]
    changes = control(sandbox, "POST", "mutate", {"count": 4, "kinds": kinds})["changes"]
    time.sleep(0.3)
    pull(zendesk, store, store.start_run(NOW + 60, dry_run=False, full=False), NOW + 60)
    for change in changes:
        expected = "deleted" if change["kind"] == "zendesk_user_deleted" else "suspended"
        assert stored_user(store, change["user_id"])["status"] == expected


class Crash(Exception):
    pass


class CrashingAfter:
    """The connector, but the process 'dies' once `pages` pages of users have been stored."""

    def __init__(self, zendesk: ZendeskConnector, pages: int) -> None:
        self.zendesk, self.left = zendesk, pages
        self.tickets_since = zendesk.tickets_since
        self.satisfaction_ratings_since = zendesk.satisfaction_ratings_since

    def users_since(self, on_page: Callable[[ExportPage], None], **where: Any) -> ExportEnd:
        def store_then_maybe_crash(page: ExportPage) -> None:
            on_page(page)
            self.left -= 1
            if self.left == 0:
                raise Crash

        return self.zendesk.users_since(store_then_maybe_crash, **where)


def test_a_crash_loses_at_most_the_page_in_flight_and_the_next_run_resumes(
    sandbox: SandboxServer, store: StateStore
) -> None:
    zendesk = connect(sandbox)
    with pytest.raises(Crash):
        pull(CrashingAfter(zendesk, 2), store, store.start_run(NOW, dry_run=False, full=False), NOW)
    assert count(store, t.profiles) == 2000  # two pages of 1000, each stored with its cursor
    counts = pull(zendesk, store, store.start_run(NOW + 1, dry_run=False, full=False), NOW + 1)
    truth = state(sandbox, "zendesk")
    assert count(store, t.profiles) == len(truth["users"])
    assert counts.users == len(truth["users"]) - 2000  # resumed, not started again


class OnePage:
    """A source with one page of users, some of them unreadable; no tickets or ratings."""

    def __init__(self, users: list[Any]) -> None:
        self.users = users

    def users_since(self, on_page: Callable[[ExportPage], None], **_: Any) -> ExportEnd:
        on_page(ExportPage(self.users, "cursor-1", True))
        return ExportEnd("cursor-1", 1, len(self.users))

    def tickets_since(self, on_page: Callable[[ExportPage], None], **_: Any) -> ExportEnd:
        return ExportEnd(None, 0, 0)

    def satisfaction_ratings_since(self, start_time: int, **_: Any) -> Iterator[Any]:
        return iter(())


def test_unreadable_users_are_set_aside_with_their_reason_and_the_rest_stored(
    store: StateStore,
) -> None:
    good = {"id": 1, "email": "A@Example.com", "created_at": "2024-01-01T00:00:00Z"}
    users = [
        good,
        {"id": "x", "created_at": "2024-01-01T00:00:00Z"},
        {"id": 2, "created_at": "yesterday"},
        {"id": 3, "email": "nobody", "created_at": "2024-01-01T00:00:00Z"},
        "not even an object",
    ]
    run = store.start_run(NOW, dry_run=False, full=False)
    counts = pull(OnePage(users), store, run, NOW)  # type: ignore[arg-type]
    assert (counts.users, counts.set_aside) == (1, 4)
    assert stored_user(store, 1)["user"]["email"] == "a@example.com"
    assert [(e.record, e.message) for e in store.run_errors(run)] == [
        ("user 'x'", "has no numeric id"),
        ("user 2", "created_at is not a time: 'yesterday'"),
        ("user 3", "email is not an address: 'nobody'"),
        ("'not even an object'", "not an object"),
    ]
    assert store.cursor(USERS_CURSOR) == "cursor-1"
