"""Fakes and payloads shared by the SurveyMonkey connector's unit tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from connector.http import Edge
from connector.retry import RetryPolicy
from connector.surveymonkey import SurveyMonkeyConnector

BASE = "https://api.surveymonkey.com/v3"
TOKEN = "sm-s3cr3t-bearer-4c1d"
WALL = 1_795_000_000.0  # the fake wall clock: 2026-11-18 11:06:40 UTC
FIXTURES = Path(__file__).parent / "fixtures"
COLLECTOR = "177480111"
MESSAGE = "27137772"
MESSAGE_PATH = f"/collectors/{COLLECTOR}/messages/{MESSAGE}"
BULK = f"{MESSAGE_PATH}/recipients/bulk"
SEND = f"{MESSAGE_PATH}/send"


def fixture(name: str) -> Any:
    """A payload from fixtures/surveymonkey_connector/, or from fixtures/ if `name` has a folder."""
    folder = FIXTURES if "/" in name else FIXTURES / "surveymonkey_connector"
    return json.loads((folder / name).read_text(encoding="utf-8"))


def quota(
    day_remaining: int = 400,
    day_reset: int = 3600,
    minute_remaining: int = 100,
    minute_reset: int = 30,
    day_limit: int = 500,
) -> dict[str, str]:
    """The rate-limit headers every SurveyMonkey answer carries (overview.md, "Headers")."""
    return {
        "X-Ratelimit-App-Global-Minute-Limit": "120",
        "X-Ratelimit-App-Global-Minute-Remaining": str(minute_remaining),
        "X-Ratelimit-App-Global-Minute-Reset": str(minute_reset),
        "X-Ratelimit-App-Global-Day-Limit": str(day_limit),
        "X-Ratelimit-App-Global-Day-Remaining": str(day_remaining),
        "X-Ratelimit-App-Global-Day-Reset": str(day_reset),
    }


class FakeTime:
    """A monotonic clock that moves only when something sleeps on it; every sleep is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def connector(
    time: FakeTime,
    max_attempts: int = 4,
    session: requests.Session | None = None,
    day_known: bool = True,
    **options: Any,
) -> SurveyMonkeyConnector:
    """A connector on `responses`' host and `time`; by default it already knows the day's quota
    (400 of 500 left), as after any earlier answer."""
    edge = Edge(policy=RetryPolicy(max_attempts=max_attempts), sleep=time.sleep)
    made = SurveyMonkeyConnector(
        TOKEN,
        session or requests.Session(),
        edge,
        base_url=BASE,
        clock=time.clock,
        wall_clock=lambda: WALL,
        **options,
    )
    if day_known:
        made.budget.observe(quota())
    return made


def reply(
    method: str,
    path: str,
    payload: Any = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
    body: str | Exception | None = None,
) -> None:
    """Answer the next `method path` (query ignored) with `payload` and the quota headers."""
    url = path if path.startswith("http") else BASE + path
    given = quota() if headers is None else headers
    if body is not None:
        responses.add(method, url, body=body, status=status, headers=given)
    else:
        responses.add(method, url, json=payload, status=status, headers=given)


def sent(method: str, path_end: str) -> list[Any]:
    """The JSON bodies of the calls made so far whose path ends with `path_end`."""
    found = []
    for call in responses.calls:
        request = call.request
        if request.method == method and (request.path_url.split("?")[0]).endswith(path_end):
            found.append(json.loads(request.body) if request.body else None)
    return found


def calls_to(method: str, path_end: str) -> int:
    return len(sent(method, path_end))


@pytest.fixture
def mocked() -> Iterator[None]:
    """Every request goes to `responses`; anything unregistered fails. Modules that import it
    turn it on for all their tests with `pytestmark = pytest.mark.usefixtures("mocked")`."""
    responses.start()
    try:
        yield
    finally:
        responses.stop()
        responses.reset()
