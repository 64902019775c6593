"""Every emulated Zendesk endpoint answers in the shape of Zendesk's published schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sandbox.server import SandboxServer
from tests.sandbox_helpers import finished_job, state, zendesk_get, zendesk_put
from tests.vendor_specs import SchemaNotInSpec, assert_valid, response_schema


def _first_customer(sandbox: SandboxServer) -> int:
    users = state(sandbox, "zendesk")["users"]
    return int(next(u["id"] for u in users if u["role"] == "end-user" and u["active"]))


def _bulk_user_job(sandbox: SandboxServer) -> dict[str, Any]:
    body = {"users": [{"id": _first_customer(sandbox), "tags": ["spec"]}, {"id": 1, "tags": []}]}
    job: dict[str, Any] = zendesk_put(sandbox, "users/update_many", body).json()
    return job


def _bulk_ticket_job(sandbox: SandboxServer) -> dict[str, Any]:
    job: dict[str, Any] = zendesk_put(
        sandbox, "tickets/update_many", {"ticket": {"priority": "high"}}, ids="1,2,3"
    ).json()
    return job


def _completed_job(sandbox: SandboxServer) -> dict[str, Any]:
    return {"job_status": finished_job(sandbox, _bulk_user_job(sandbox)["job_status"])}


ENDPOINTS: list[tuple[str, str, Callable[[SandboxServer], Any]]] = [
    ("GET", "/api/v2/users/me", lambda s: zendesk_get(s, "users/me").json()),
    (
        "GET",
        "/api/v2/users/{user_id}",
        lambda s: zendesk_get(s, f"users/{_first_customer(s)}").json(),
    ),
    ("GET", "/api/v2/user_fields", lambda s: zendesk_get(s, "user_fields").json()),
    ("GET", "/api/v2/groups", lambda s: zendesk_get(s, "groups").json()),
    (
        "GET",
        "/api/v2/incremental/users/cursor",
        lambda s: zendesk_get(s, "incremental/users/cursor", start_time=0).json(),
    ),
    (
        "GET",
        "/api/v2/incremental/tickets/cursor",
        lambda s: zendesk_get(s, "incremental/tickets/cursor", start_time=0).json(),
    ),
    (
        "GET",
        "/api/v2/satisfaction_ratings",
        lambda s: zendesk_get(s, "satisfaction_ratings", **{"page[size]": 100}).json(),
    ),
    (
        "GET",
        "/api/v2/deleted_users",
        lambda s: zendesk_get(s, "deleted_users", **{"page[size]": 100}).json(),
    ),
    ("GET", "/api/v2/tickets/{ticket_id}", lambda s: zendesk_get(s, "tickets/1").json()),
    ("PUT", "/api/v2/users/update_many", _bulk_user_job),
    ("PUT", "/api/v2/tickets/update_many", _bulk_ticket_job),
    ("GET", "/api/v2/job_statuses/{job_status_id}", _completed_job),
]


@pytest.mark.parametrize(
    ("method", "path", "fetch"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS]
)
def test_response_validates_against_zendesks_schema(
    sandbox: SandboxServer, method: str, path: str, fetch: Callable[[SandboxServer], Any]
) -> None:
    try:
        response_schema("zendesk", method, path, 200)
    except SchemaNotInSpec as missing:
        pytest.skip(str(missing))
    assert_valid("zendesk", method, path, 200, fetch(sandbox))
