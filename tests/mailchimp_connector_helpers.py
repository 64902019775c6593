"""What the Mailchimp connector's unit tests share: a connector on `responses`, fixtures, waits.

(Named like a test module so that it sits with the tests it serves; it holds no test.)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from connector.http import Edge
from connector.mailchimp import MailchimpConnector
from connector.retry import RetryPolicy

FIXTURES = Path(__file__).parent / "fixtures" / "mailchimp"
BASE = "https://us1.api.mailchimp.com/3.0"
KEY = "0a1b2c3d4e5f60718293a4b5c6d7e8f9-us1"  # shaped like a real key, so a leak would show
LIST_ID = "6e57235ec6"
LIST_URL = f"{BASE}/lists/{LIST_ID}"
PROBLEM = {"Content-Type": "application/problem+json; charset=utf-8"}


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


class Waits:
    """Stands in for `time.sleep`: records each wait instead of waiting."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def connector(
    waits: Waits | None = None,
    base_url: str = BASE,
    max_attempts: int = 4,
    max_connections: int = 10,
    session: requests.Session | None = None,
    now: Callable[[], Any] | None = None,
) -> MailchimpConnector:
    edge = Edge(
        policy=RetryPolicy(
            max_attempts=max_attempts, initial_backoff=0.5, max_backoff=4.0, max_retry_after=30.0
        ),
        sleep=waits or Waits(),
    )
    extra = {"now": now} if now is not None else {}
    return MailchimpConnector(
        KEY, base_url, session or requests.Session(), edge, max_connections, **extra
    )


def problem(status: int, title: str, detail: str) -> dict[str, Any]:
    return {
        "type": "https://mailchimp.com/developer/marketing/docs/errors/",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": "995c5cb0-3280-4a6e-808b-3b096d0bb219",
    }


def body_of(call: Any) -> Any:
    """The JSON a recorded `responses` call sent."""
    body = call.request.body
    return json.loads(body.decode() if isinstance(body, bytes) else body)


def assert_no_secret(*things: object) -> None:
    for thing in things:
        for text in (str(thing), repr(thing)):
            assert KEY not in text and KEY.split("-")[0] not in text, text
