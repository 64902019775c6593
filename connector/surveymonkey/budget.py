"""SurveyMonkey's request quotas: the day's budget, the minute's pacing, and its 429s' waits.

Private and draft apps get 500 requests a day and 120 a minute (overview.md, "Request and
Response Limits"); every answer carries `X-Ratelimit-App-Global-{Day,Minute}-{Limit,Remaining,
Reset}`, Reset being seconds until the window opens again. The day's budget is read from those
headers and counted down locally between answers, so that an operation can be refused *before*
its first request when it would not fit, instead of failing halfway.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from connector.throttle import SURVEYMONKEY_QUOTA, Throttle

DAY_LIMIT = "X-Ratelimit-App-Global-Day-Limit"
DAY_REMAINING = "X-Ratelimit-App-Global-Day-Remaining"
DAY_RESET = "X-Ratelimit-App-Global-Day-Reset"
MINUTE_REMAINING = SURVEYMONKEY_QUOTA.remaining
MINUTE_RESET = SURVEYMONKEY_QUOTA.reset or "X-Ratelimit-App-Global-Minute-Reset"


class DayExhausted(Exception):
    """Raised before a request when the day's budget is known to be spent."""

    def __init__(self, quota: DayQuota) -> None:
        self.quota = quota
        super().__init__(quota.describe())


@dataclass(frozen=True)
class DayQuota:
    """What is known of today's request budget."""

    limit: int
    remaining: int | None  # None: no answer has said yet (or the day has turned since)
    resets_in: float | None  # seconds
    resets_at: float | None  # Unix time

    def describe(self) -> str:
        left = "unknown" if self.remaining is None else str(self.remaining)
        text = f"{left} of {self.limit} requests left today"
        if self.resets_in is not None and self.resets_at is not None:
            when = datetime.fromtimestamp(self.resets_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
            text += f"; the day resets in {_duration(self.resets_in)} (at {when})"
        return text


class DailyBudget:
    """Today's remaining requests: the server's last word, less the requests made since."""

    def __init__(
        self,
        limit: int = 500,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if limit < 1:
            raise ValueError(f"the daily request limit must be at least 1, got {limit}")
        self._limit = limit
        self._clock = clock
        self._wall = wall_clock
        self._lock = threading.Lock()
        self._remaining: int | None = None
        self._reset_at: float | None = None  # on `clock`

    def observe(self, headers: Mapping[str, str]) -> None:
        remaining = _integer(headers.get(DAY_REMAINING))
        if remaining is None:
            return
        reset = _integer(headers.get(DAY_RESET))
        limit = _integer(headers.get(DAY_LIMIT))
        with self._lock:
            self._remaining = max(0, remaining)
            self._reset_at = None if reset is None else self._clock() + reset
            if limit is not None and limit > 0:
                self._limit = limit

    def take(self) -> None:
        """Count one request about to be made; raise DayExhausted if none is left."""
        with self._lock:
            self._forget_a_past_day()
            if self._remaining is None:
                return
            if self._remaining <= 0:
                raise DayExhausted(self._snapshot())
            self._remaining -= 1

    def quota(self) -> DayQuota:
        with self._lock:
            self._forget_a_past_day()
            return self._snapshot()

    def _forget_a_past_day(self) -> None:
        if self._reset_at is not None and self._clock() >= self._reset_at:
            self._remaining = None
            self._reset_at = None

    def _snapshot(self) -> DayQuota:
        if self._reset_at is None:
            return DayQuota(self._limit, self._remaining, None, None)
        resets_in = max(0.0, self._reset_at - self._clock())
        return DayQuota(self._limit, self._remaining, resets_in, self._wall() + resets_in)


class SurveyMonkeyThrottle(Throttle):
    """The shared throttle (120 a minute, paced by the minute headers) plus the day's budget."""

    def __init__(
        self,
        budget: DailyBudget,
        per_minute: int | None = 120,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(per_minute, quota=SURVEYMONKEY_QUOTA, clock=clock, sleep=sleep)
        self.budget = budget

    def before_request(self) -> None:
        self.budget.take()
        super().before_request()

    def observe(self, headers: Mapping[str, str]) -> None:
        super().observe(headers)
        self.budget.observe(headers)


def minute_reset_as_retry_after(response: requests.Response, *_: Any, **__: Any) -> None:
    """A `requests` response hook: give a 429 without `Retry-After` the minute's reset as one.

    SurveyMonkey documents no `Retry-After`; its minute window's reset header says how long to
    wait. A 429 on a spent *day* gets none: the day's reset is hours away, and the budget check
    before the next attempt stops the call cleanly instead.
    """
    headers = response.headers
    if response.status_code != 429 or headers.get("Retry-After"):
        return
    if _integer(headers.get(DAY_REMAINING)) == 0:
        return
    reset = _integer(headers.get(MINUTE_RESET))
    if reset is not None:
        headers["Retry-After"] = str(max(reset, 1))


def _integer(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return math.floor(float(value))
    except (ValueError, OverflowError):
        return None


def _duration(seconds: float) -> str:
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"
