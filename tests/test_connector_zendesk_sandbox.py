"""The Zendesk connector against the sandbox with faults switched on (10% 5xx, 5% 429, 2% dropped
connections): every operation completes with the right result, checked in `/_sandbox/state`, or
fails with a clear error after its retry budget. Nothing is skipped."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from connector.errors import RetriesExhausted
from connector.http import Edge
from connector.retry import RetryPolicy
from connector.zendesk import (
    ExportPage,
    JobPolling,
    ZendeskAccount,
    ZendeskConnector,
    ZendeskLimits,
)
from sandbox.config import SandboxConfig
from sandbox.faults import parse_fault_spec
from sandbox.server import SandboxServer
from sandbox.zendesk.fields import USER_FIELDS
from tests.sandbox_helpers import control, state

FAULTS = "zendesk:500=0.05,zendesk:502=0.03,zendesk:503=0.02,zendesk:429=0.05,zendesk:drop=0.02"
TIME_SCALE = 600  # a rate-limit minute lasts 0.1 s, jobs finish in a few milliseconds
FIRST_FAULTS = ["503", "drop", "429"]  # so that even a two-request pull meets faults
ATTEMPTS = 12
VIP_GROUP = 368900000004


@pytest.fixture(scope="module")
def faulty_server() -> Iterator[SandboxServer]:
    config = SandboxConfig(
        users=1500,
        seed=11,
        rate_limits="off",
        time_scale=TIME_SCALE,
        faults=parse_fault_spec(FAULTS),
    )
    with SandboxServer(config) as server:
        yield server


@pytest.fixture
def faulty(faulty_server: SandboxServer) -> SandboxServer:
    """The seeded account again, an empty request log, and the faults on again: three queued
    ones first, then random ones at the rates of FAULTS."""
    control(faulty_server, "POST", "reset")
    control(faulty_server, "POST", "faults", {"spec": FAULTS})
    control(faulty_server, "POST", "faults", {"queue": {"zendesk": FIRST_FAULTS}})
    return faulty_server


def connect(server: SandboxServer) -> ZendeskConnector:
    fast = RetryPolicy(
        max_attempts=ATTEMPTS, initial_backoff=0.001, max_backoff=0.01, max_retry_after=0.01
    )
    return ZendeskConnector(
        ZendeskAccount("sandbox", "admin@example.com", "sandbox-token", base_url=server.url),
        requests.Session(),
        Edge(policy=fast, sleep=time.sleep, timeout=10.0),
        limits=ZendeskLimits(window_seconds=60 / TIME_SCALE),
        polling=JobPolling(interval=0.005, timeout=30.0),
    )


def api_requests(server: SandboxServer) -> list[dict[str, Any]]:
    logged: list[dict[str, Any]] = control(server, "GET", "requests")["requests"]
    return [r for r in logged if r["service"] == "zendesk"]


def assert_every_fault_was_retried(server: SandboxServer, connector: ZendeskConnector) -> None:
    faulted = [r for r in api_requests(server) if r["fault"]]
    assert len(faulted) >= len(FIRST_FAULTS)
    assert connector.stats.retries == len(faulted)


def pull(connector: ZendeskConnector, kind: str, **start: Any) -> list[ExportPage]:
    pages: list[ExportPage] = []
    since = connector.users_since if kind == "users" else connector.tickets_since
    since(pages.append, **start)
    return pages


@pytest.mark.parametrize("kind", ["users", "tickets"])
def test_every_record_arrives_once_despite_the_faults(faulty: SandboxServer, kind: str) -> None:
    connector = connect(faulty)

    pages = pull(connector, kind, start_time=0)

    ids = [record["id"] for page in pages for record in page.records]
    expected = [record["id"] for record in state(faulty, "zendesk")[kind]]
    assert len(ids) == len(set(ids)) == len(expected)
    assert set(ids) == set(expected)
    assert [len(page.records) for page in pages[:-1]] == [1000] * (len(pages) - 1)
    assert_every_fault_was_retried(faulty, connector)


class Crash(Exception):
    """The caller's process dying after it stored a page and its cursor."""


def test_a_pull_resumes_from_the_cursor_stored_mid_stream(faulty: SandboxServer) -> None:
    stored: list[Any] = []
    cursor: list[str] = []

    def store_then_crash(page: ExportPage) -> None:
        stored.extend(record["id"] for record in page.records)
        assert page.after_cursor is not None
        cursor.append(page.after_cursor)
        raise Crash

    with pytest.raises(Crash):
        connect(faulty).users_since(store_then_crash, start_time=0)
    rest = pull(connect(faulty), "users", cursor=cursor[-1])

    ids = stored + [record["id"] for page in rest for record in page.records]
    everyone = {user["id"] for user in state(faulty, "zendesk")["users"]}
    assert len(stored) == 1000
    assert len(ids) == len(set(ids)) and set(ids) == everyone


def test_bad_ratings_are_all_read(faulty: SandboxServer) -> None:
    connector = connect(faulty)

    bad = list(connector.satisfaction_ratings_since(0, score="bad"))

    expected = [r for r in state(faulty, "zendesk")["satisfaction_ratings"] if r["score"] == "bad"]
    assert len(expected) > 100  # more than one page
    assert sorted(r["id"] for r in bad) == sorted(r["id"] for r in expected)


def test_the_schema_groups_and_deleted_users_are_read(faulty: SandboxServer) -> None:
    connector = connect(faulty)

    fields = {field.key: field for field in connector.user_fields()}
    groups = connector.groups()
    deleted = list(connector.deleted_users())

    assert {key: f.type for key, f in fields.items()} == {f.key: f.type for f in USER_FIELDS}
    assert fields["vip"].tag == "vip" and fields["bad_rating_submitted"].tag == "bad_rating"
    assert [(o.name, o.tag) for o in fields["service_level"].options] == [
        ("Platinum", "platinum"),
        ("Gold", "gold"),
        ("Silver", "silver"),
        ("Bronze", "bronze"),
    ]
    assert {g.name for g in groups} == {"Support", "Billing", "Returns", "VIP Support"}
    gone = {u["id"]: u for u in state(faulty, "zendesk")["users"] if not u["active"]}
    assert {d.id for d in deleted} == set(gone)
    assert {d.id for d in deleted if d.permanently_deleted} == {
        i for i, u in gone.items() if u["name"] == "Permanently Deleted User"
    }


def test_250_users_get_their_fields_and_tags_and_refusals_come_back_per_user(
    faulty: SandboxServer,
) -> None:
    users = state(faulty, "zendesk")["users"]
    customers = [u["id"] for u in users if u["role"] == "end-user" and u["active"]][:248]
    deleted = [u["id"] for u in users if not u["active"]][:1]
    wrong_tag = customers.pop()  # an option's name where its tag belongs
    change = {"user_fields": {"product_line": "product_line_b", "vip": True}, "tags": ["dx"]}
    changes = [(i, change) for i in customers + deleted]
    changes.append((wrong_tag, {"user_fields": {"product_line": "Product Line B"}}))
    changes.append((1, change))  # no such user
    connector = connect(faulty)

    outcome = connector.update_users(changes)

    assert len(changes) == 250
    assert set(outcome.succeeded) == set(customers)
    assert {(f.id, f.error) for f in outcome.failed} == {
        (deleted[0], "UserUpdateFailed"),
        (wrong_tag, "InvalidValue"),
        (1, "UserNotFound"),
    }
    after = {u["id"]: u for u in state(faulty, "zendesk")["users"]}
    for user_id in customers:
        assert after[user_id]["user_fields"]["product_line"] == "product_line_b"
        assert after[user_id]["user_fields"]["vip"] is True
        assert set(after[user_id]["tags"]) == {"dx", "vip"}
    assert_every_fault_was_retried(faulty, connector)


def test_150_tickets_get_priority_and_group_except_closed_ones(faulty: SandboxServer) -> None:
    tickets = state(faulty, "zendesk")["tickets"][:150]
    change = {"priority": "urgent", "group_id": VIP_GROUP, "additional_tags": ["escalated"]}
    connector = connect(faulty)

    outcome = connector.update_tickets([(t["id"], change) for t in tickets])

    closed = {t["id"] for t in tickets if t["status"] == "closed"}
    assert closed and {f.id for f in outcome.failed} == closed
    assert {f.error for f in outcome.failed} == {"TicketUpdateFailed"}
    assert set(outcome.succeeded) == {t["id"] for t in tickets} - closed
    after = {t["id"]: t for t in state(faulty, "zendesk")["tickets"]}
    for ticket_id in outcome.succeeded:
        assert after[ticket_id]["priority"] == "urgent"
        assert after[ticket_id]["group_id"] == VIP_GROUP
        assert "escalated" in after[ticket_id]["tags"]


def test_a_queued_429_503_and_drop_are_each_retried_then_the_call_succeeds(
    faulty: SandboxServer,
) -> None:
    control(faulty, "DELETE", "faults")
    control(faulty, "POST", "faults", {"queue": {"zendesk": ["429", "503", "drop"]}})
    connector = connect(faulty)

    groups = connector.groups()

    assert len(groups) == 4
    answered = [(r["fault"], r["status"]) for r in api_requests(faulty)]
    assert answered == [("429", 429), ("503", 503), ("drop", 0), (None, 200)]
    stats = connector.stats
    assert (stats.requests, stats.retries, stats.throttled) == (4, 3, 1)


def test_a_service_that_keeps_failing_gives_a_clear_error_after_the_retry_budget(
    faulty: SandboxServer,
) -> None:
    control(faulty, "DELETE", "faults")
    control(faulty, "POST", "faults", {"queue": {"zendesk": ["503"] * ATTEMPTS}})

    with pytest.raises(RetriesExhausted) as raised:
        connect(faulty).groups()

    assert f"gave up after {ATTEMPTS} attempts" in str(raised.value)
    assert "zendesk GET /api/v2/groups.json answered 503" in str(raised.value)
    assert len(api_requests(faulty)) == ATTEMPTS
    assert len(connect(faulty).groups()) == 4  # the next call, past the outage, succeeds


def test_a_long_run_meets_every_kind_of_fault_and_every_call_still_succeeds(
    faulty: SandboxServer,
) -> None:
    connector = connect(faulty)
    kinds = {"500", "502", "503", "429", "drop"}
    seen: set[str] = set()
    calls = 0
    while not kinds <= seen and calls < 1000:
        assert len(connector.groups()) == 4
        assert len(connector.user_fields()) == len(USER_FIELDS)
        calls += 2
        seen = {r["fault"] for r in api_requests(faulty) if r["fault"]}

    assert kinds <= seen, f"after {calls} calls only {sorted(seen)} were met"
    assert_every_fault_was_retried(faulty, connector)


def test_the_export_throttle_keeps_a_rate_limited_export_free_of_429s() -> None:
    """Zendesk's 10-a-minute export limit, here 2 a minute and a minute of 1 s, is kept to."""
    scale, per_minute = 60, 2
    config = SandboxConfig(
        users=6000,  # six pages: more than two a window however the windows fall
        seed=3,
        rate_limits="realistic",
        zendesk_incremental_rpm=per_minute,
        time_scale=scale,
    )
    with SandboxServer(config) as server:
        connector = ZendeskConnector(
            ZendeskAccount("sandbox", "admin@example.com", "sandbox-token", base_url=server.url),
            requests.Session(),
            Edge(policy=RetryPolicy(max_attempts=1), sleep=time.sleep),
            # A 5% margin: a request is counted here when sent, there when it arrives.
            limits=ZendeskLimits(
                export_requests_per_minute=per_minute, window_seconds=60 / scale * 1.05
            ),
        )

        end = connector.users_since(lambda _page: None, start_time=0)

        assert (end.pages, end.records) == (6, 6000)
        assert [r["status"] for r in api_requests(server)] == [200] * 6
        assert connector.export_throttle.waited > 0
