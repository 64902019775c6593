"""The Zendesk payload fixtures are in Zendesk's published shapes; helpers for the connector tests.

The other `test_connector_zendesk_*` modules import the helpers below: a connector pointed at
https://acme.zendesk.com (mocked with `responses`), fixtures by name, and stand-ins for sleeping
and the clock that record the waits instead of waiting.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from connector.http import Edge
from connector.retry import RetryPolicy
from connector.zendesk import JobPolling, ZendeskAccount, ZendeskConnector, ZendeskLimits
from tests.vendor_specs import SchemaNotInSpec, assert_valid, response_schema

BASE = "https://acme.zendesk.com"
EMAIL = "admin@acme.example"
TOKEN = "zd-s3cr3t-t0ken-value"
FIXTURES = Path(__file__).parent / "fixtures" / "zendesk"
USERS_EXPORT = f"{BASE}/api/v2/incremental/users/cursor.json"
TICKETS_EXPORT = f"{BASE}/api/v2/incremental/tickets/cursor.json"
POLICY = RetryPolicy(max_attempts=4, initial_backoff=0.5, max_backoff=4.0, max_retry_after=60.0)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


class FakeTime:
    """A clock that moves only when something sleeps on it; every wait is recorded."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def make_connector(
    time: FakeTime | None = None,
    policy: RetryPolicy = POLICY,
    limits: ZendeskLimits | None = None,
    polling: JobPolling | None = None,
) -> ZendeskConnector:
    time = time or FakeTime()
    return ZendeskConnector(
        ZendeskAccount("acme", EMAIL, TOKEN),
        requests.Session(),
        Edge(policy=policy, sleep=time.sleep, timeout=5.0),
        limits=limits,
        polling=polling or JobPolling(interval=2.0, timeout=60.0),
        clock=time.clock,
    )


SCHEMAS = {
    "incremental_users_page1.json": ("GET", "/api/v2/incremental/users/cursor"),
    "incremental_users_page2.json": ("GET", "/api/v2/incremental/users/cursor"),
    "incremental_users_end.json": ("GET", "/api/v2/incremental/users/cursor"),
    "incremental_tickets_page.json": ("GET", "/api/v2/incremental/tickets/cursor"),
    "satisfaction_ratings_page1.json": ("GET", "/api/v2/satisfaction_ratings"),
    "satisfaction_ratings_page2.json": ("GET", "/api/v2/satisfaction_ratings"),
    "user_fields.json": ("GET", "/api/v2/user_fields"),
    "groups.json": ("GET", "/api/v2/groups"),
    "deleted_users.json": ("GET", "/api/v2/deleted_users"),
    "job_status_queued.json": ("GET", "/api/v2/job_statuses/{job_status_id}"),
    "job_status_working.json": ("GET", "/api/v2/job_statuses/{job_status_id}"),
    "job_status_completed.json": ("GET", "/api/v2/job_statuses/{job_status_id}"),
}


@pytest.mark.parametrize(("name", "endpoint"), SCHEMAS.items(), ids=list(SCHEMAS))
def test_fixture_has_zendesks_published_shape(name: str, endpoint: tuple[str, str]) -> None:
    method, path = endpoint
    try:
        response_schema("zendesk", method, path, 200)
    except SchemaNotInSpec as missing:
        pytest.skip(str(missing))
    assert_valid("zendesk", method, path, 200, fixture(name))


def test_every_success_fixture_is_checked_against_a_schema() -> None:
    success = {p.name for p in FIXTURES.glob("*.json") if not p.name.startswith("error_")}
    assert success == set(SCHEMAS)


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("error_*.json")))
def test_error_fixture_is_zendesks_error_shape(name: str) -> None:
    body = fixture(name)
    assert isinstance(body.get("error"), str) and set(body) <= {"error", "description", "details"}
