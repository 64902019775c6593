"""Mailchimp's ten simultaneous connections: the connector stays within them, never past them.

A sandbox with realistic limits and 0.2 s of latency refuses the 11th request in flight with a
429 (half of them bodiless, as Mailchimp does at high volume).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from connector.http import Edge
from connector.mailchimp import MailchimpConnector, MemberUpdate
from connector.retry import RetryPolicy
from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer
from tests.conftest import MAILCHIMP_KEY
from tests.sandbox_helpers import control, state

LATENCY = 0.2


@pytest.fixture(scope="module")
def limited() -> Iterator[SandboxServer]:
    config = SandboxConfig(users=200, seed=7, rate_limits="realistic", latency=LATENCY)
    with SandboxServer(config) as server:
        yield server


def peak_in_flight(entries: list[dict[str, Any]]) -> int:
    """The most requests the sandbox was serving at once, from its request log."""
    events = []
    for entry in entries:
        end = entry["time"]
        events += [(end - entry["duration_ms"] / 1000, 1), (end, -1)]
    peak = current = 0
    for _moment, step in sorted(events, key=lambda e: (e[0], e[1])):
        current += step
        peak = max(peak, current)
    return peak


def test_ten_connections_at_once_are_used_and_none_is_refused(limited: SandboxServer) -> None:
    control(limited, "POST", "reset")
    list_id = state(limited, "mailchimp")["lists"][0]["id"]
    client = MailchimpConnector(
        MAILCHIMP_KEY,
        f"{limited.url}/3.0",
        requests.Session(),
        Edge(policy=RetryPolicy(max_attempts=1)),  # a single 429 would fail a batch
        max_connections=10,
    )
    members = [MemberUpdate(f"load.{n}@deskbridge.example") for n in range(5000)]
    result = client.upsert(list_id, members, "pending")
    entries = control(limited, "GET", "requests?service=mailchimp")["requests"]
    assert len(result.created) == 5000 and not result.failed
    assert [e["status"] for e in entries] == [200] * 10
    assert client.stats.throttled == 0
    assert peak_in_flight(entries) == 10


def test_the_sandbox_does_refuse_an_eleventh_request_in_flight(limited: SandboxServer) -> None:
    """What the test above guards against is real: eleven at once get a 429."""
    control(limited, "POST", "reset")
    statuses: list[int] = []
    start = threading.Barrier(11)

    def ping() -> None:
        start.wait()
        answer = requests.get(f"{limited.url}/3.0/ping", auth=("x", MAILCHIMP_KEY), timeout=30)
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=ping) for _ in range(11)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 10 + [429]


def test_twelve_connections_are_refused_before_any_request(limited: SandboxServer) -> None:
    control(limited, "POST", "reset")
    with pytest.raises(ValueError, match=r"from 1 to 10 .*got 12"):
        MailchimpConnector(MAILCHIMP_KEY, f"{limited.url}/3.0", requests.Session(), Edge(), 12)
    assert control(limited, "GET", "requests?service=mailchimp")["requests"] == []
