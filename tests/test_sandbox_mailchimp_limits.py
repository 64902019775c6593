"""Mailchimp's 10 simultaneous connections, as the sandbox enforces them when limits are on."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer
from tests.conftest import MAILCHIMP_KEY


@pytest.fixture(scope="module")
def limited() -> Iterator[SandboxServer]:
    config = SandboxConfig(users=200, seed=5, rate_limits="realistic", latency=0.3)
    with SandboxServer(config) as server:
        yield server


def at_once(url: str, how_many: int) -> list[requests.Response]:
    """`how_many` requests, each on its own connection, released together."""
    start = threading.Barrier(how_many)
    answers: list[requests.Response] = []
    lock = threading.Lock()

    def one() -> None:
        start.wait()
        response = requests.get(url, auth=("u", MAILCHIMP_KEY), timeout=30)
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=one) for _ in range(how_many)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_requests_beyond_ten_in_flight_get_429_some_without_a_body(
    limited: SandboxServer,
) -> None:
    requests.post(limited.url + "/_sandbox/reset", timeout=30).raise_for_status()
    answers = at_once(limited.url + "/3.0/ping", 13)
    assert sorted(r.status_code for r in answers) == [200] * 10 + [429] * 3
    refused = [r for r in answers if r.status_code == 429]
    bodiless = [r for r in refused if not r.content]
    assert len(bodiless) == 2
    [explained] = [r for r in refused if r.content]
    assert explained.headers["Content-Type"].startswith("application/problem+json")
    assert "10 simultaneous connections" in explained.json()["detail"]
    assert (
        requests.get(limited.url + "/3.0/ping", auth=("u", MAILCHIMP_KEY), timeout=30).status_code
        == 200
    )


def test_the_real_client_hands_back_a_bodiless_429_as_a_raw_response(
    limited: SandboxServer,
) -> None:
    from mailchimp_marketing import Client

    requests.post(limited.url + "/_sandbox/reset", timeout=30).raise_for_status()
    client = Client()
    client.set_config({"api_key": MAILCHIMP_KEY, "server": "us1"})
    client.api_client.host = f"{limited.url}/3.0"
    hold = threading.Barrier(11)
    results: list[Any] = []

    def ping() -> None:
        hold.wait()
        results.append(client.ping.get())

    threads = [threading.Thread(target=ping) for _ in range(11)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    raw = [r for r in results if isinstance(r, requests.Response)]
    assert len(raw) == 1 and raw[0].status_code == 429


def test_with_limits_off_nothing_is_turned_away(sandbox: SandboxServer) -> None:
    answers = at_once(sandbox.url + "/3.0/ping", 13)
    assert [r.status_code for r in answers] == [200] * 13


def test_limits_follow_the_control_api(limited: SandboxServer) -> None:
    control = limited.url + "/_sandbox/limits"
    requests.post(control, json={"mailchimp_connections": 2}, timeout=30).raise_for_status()
    try:
        answers = at_once(limited.url + "/3.0/ping", 4)
        assert sorted(r.status_code for r in answers) == [200, 200, 429, 429]
    finally:
        requests.post(control, json={"mailchimp_connections": 10}, timeout=30).raise_for_status()
