"""Shared fixtures: a sandbox on loopback, real clients pointed at it, no way out to the network."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer
from tests.postgres import postgres_icu_url as postgres_icu_url
from tests.postgres import postgres_url as postgres_url
from tests.postgres import pytest_terminal_summary as pytest_terminal_summary
from tests.postgres import state_url as state_url
from tests.postgres import store as store

ZENDESK_EMAIL = "admin@example.com"
ZENDESK_TOKEN = "sandbox-token"
MAILCHIMP_KEY = "sandbox-us1"
SURVEYMONKEY_TOKEN = "sandbox-token"
SANDBOX_USERS = 2000
SANDBOX_SEED = 42


@pytest.fixture(autouse=True)
def no_network_but_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test that tries to reach anything but this machine fails at once, naming the address."""
    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            try:
                loopback = ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = host == "localhost"
            if not loopback:
                raise AssertionError(f"tests must not reach the network: connect to {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    config = SandboxConfig(users=SANDBOX_USERS, seed=SANDBOX_SEED, rate_limits="off")
    with SandboxServer(config) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> SandboxServer:
    """The shared sandbox, back in its seeded state, with no faults and an empty request log."""
    requests.post(sandbox_server.url + "/_sandbox/reset", timeout=30).raise_for_status()
    return sandbox_server


@pytest.fixture
def zenpy_client(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Any:
    """zenpy, the real Zendesk client, talking to the sandbox over plain HTTP."""
    from zenpy import Zenpy

    monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", f"{sandbox.host}:{sandbox.port}")
    return Zenpy(subdomain="sandbox", email=ZENDESK_EMAIL, token=ZENDESK_TOKEN, disable_cache=True)


@pytest.fixture
def mailchimp_client(sandbox: SandboxServer) -> Any:
    """mailchimp-marketing, the real Mailchimp client, with its host pointed at the sandbox."""
    from mailchimp_marketing import Client

    client = Client()
    client.set_config({"api_key": MAILCHIMP_KEY, "server": "us1"})
    client.api_client.host = f"{sandbox.url}/3.0"
    return client


@pytest.fixture
def surveymonkey_session(sandbox: SandboxServer) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {SURVEYMONKEY_TOKEN}"
    return session
