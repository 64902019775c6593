"""Helpers for the tests of the Mailchimp emulation: plain HTTP, hashes, problem+json checks."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import requests

from sandbox.server import SandboxServer
from tests.conftest import MAILCHIMP_KEY

RETAIL, WHOLESALE = "Retail Customers", "Wholesale Leads"


class Api:
    """Plain HTTP to the sandbox's Mailchimp API, for the wire details the client hides."""

    def __init__(self, sandbox: SandboxServer) -> None:
        self.root = sandbox.url
        self.url = sandbox.url + "/3.0"

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> requests.Response:
        return requests.request(
            method,
            self.url + path,
            json=body,
            params=params,
            auth=("anyone", MAILCHIMP_KEY),
            timeout=60,
        )

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.call("GET", path, **params)

    def list_id(self, name: str = RETAIL) -> str:
        lists = self.get("/lists").json()["lists"]
        return next(entry["id"] for entry in lists if entry["name"] == name)

    def state(self) -> dict[str, Any]:
        """The sandbox's own view of every audience (the control API, no credentials)."""
        response = requests.get(
            self.root + "/_sandbox/state", params={"service": "mailchimp"}, timeout=60
        )
        response.raise_for_status()
        state: dict[str, Any] = response.json()["mailchimp"]
        return state

    def members(self, name: str = RETAIL) -> list[dict[str, Any]]:
        audience = next(a for a in self.state()["lists"] if a["name"] == name)
        members: list[dict[str, Any]] = audience["members"]
        return members

    def email_with(self, status: str, name: str = RETAIL, skip: int = 0) -> str:
        """The address of a seeded member who is in `status` now."""
        found = [m["email_address"] for m in self.members(name) if m["status"] == status]
        return found[skip]

    def forgotten(self, name: str = RETAIL) -> list[str]:
        audience = next(a for a in self.state()["lists"] if a["name"] == name)
        forgotten: list[str] = audience["forgotten"]
        return forgotten

    def control(self, action: str, body: Any = None) -> Any:
        response = requests.post(f"{self.root}/_sandbox/{action}", json=body, timeout=120)
        response.raise_for_status()
        return response.json()


def md5(email: str) -> str:
    return hashlib.md5(email.lower().encode(), usedforsecurity=False).hexdigest()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def problem_of(response: requests.Response, status: int) -> dict[str, Any]:
    """The problem+json body of an error response, after checking its status and media type."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["type"].startswith("https://mailchimp.com/")
    return body
