"""Small helpers for tests that talk to a sandbox over HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests

import jobs.connections
from jobs.demo import SECRETS
from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer
from tests.sync_state_helpers import TIME_SCALE, fast_edge

ZENDESK_AUTH = ("admin@example.com/token", "sandbox-token")


def zendesk_get(sandbox: SandboxServer, path: str, **params: Any) -> requests.Response:
    return requests.get(
        f"{sandbox.url}/api/v2/{path}", auth=ZENDESK_AUTH, params=params, timeout=30
    )


def zendesk_put(sandbox: SandboxServer, path: str, body: Any, **params: Any) -> requests.Response:
    return requests.put(
        f"{sandbox.url}/api/v2/{path}", auth=ZENDESK_AUTH, json=body, params=params, timeout=30
    )


def control(sandbox: SandboxServer, method: str, action: str, body: Any = None) -> Any:
    response = requests.request(method, f"{sandbox.url}/_sandbox/{action}", json=body, timeout=120)
    response.raise_for_status()
    return response.json()


def state(sandbox: SandboxServer, service: str) -> Any:
    return requests.get(
        f"{sandbox.url}/_sandbox/state", params={"service": service}, timeout=120
    ).json()[service]


def wait_for(condition: Callable[[], Any], timeout: float = 10.0, every: float = 0.02) -> Any:
    """Poll until `condition()` is truthy; return its value or fail saying how long we waited."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(every)


def finished_job(sandbox: SandboxServer, job: dict[str, Any]) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        status = zendesk_get(sandbox, f"job_statuses/{job['id']}.json").json()["job_status"]
        return status if status["status"] == "completed" else None

    result: dict[str, Any] = wait_for(done)
    return result


def zendesk_connector(sandbox: SandboxServer, window_seconds: float = 60.0) -> Any:
    """The Zendesk connector on the sandbox, retrying quickly; `window_seconds` is the rate
    limits' minute as the sandbox's time scale makes it."""
    from connector.http import Edge
    from connector.retry import RetryPolicy
    from connector.zendesk import ZendeskAccount, ZendeskConnector, ZendeskLimits

    return ZendeskConnector(
        ZendeskAccount("sandbox", "admin@example.com", "sandbox-token", base_url=sandbox.url),
        requests.Session(),
        Edge(policy=RetryPolicy(max_attempts=3, initial_backoff=0.001), sleep=time.sleep),
        limits=ZendeskLimits(window_seconds=window_seconds),
    )


@contextmanager
def fast_sandbox(users: int, seed: int) -> Iterator[SandboxServer]:
    """A time-scaled sandbox, with the demo's secrets in the environment and connectors that
    wait in the sandbox's time, for the tests that sync against it many times."""
    config = SandboxConfig(users=users, seed=seed, rate_limits="off", time_scale=TIME_SCALE)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in SECRETS.items():
            patch.setenv(name, value)
        patch.setattr(jobs.connections, "Edge", fast_edge)
        with SandboxServer(config) as sandbox:
            yield sandbox
