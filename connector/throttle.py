"""Proactive throttling: slow down before the service has to say 429.

Two signals, both optional: the limit the caller configured (requests a minute, counted here over
a sliding window) and the quota the server reports in its headers (Zendesk's
`X-Rate-Limit-Remaining`, SurveyMonkey's `X-Ratelimit-App-Global-Minute-Remaining`). When the
reported quota runs low, the remaining requests are spread over what is left of the window.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class QuotaHeaders:
    """Which response headers carry a service's quota."""

    remaining: str
    limit: str | None = None
    reset: str | None = None  # seconds until the window opens again


ZENDESK_QUOTA = QuotaHeaders("X-Rate-Limit-Remaining", "X-Rate-Limit", "ratelimit-reset")
SURVEYMONKEY_QUOTA = QuotaHeaders(
    "X-Ratelimit-App-Global-Minute-Remaining",
    "X-Ratelimit-App-Global-Minute-Limit",
    "X-Ratelimit-App-Global-Minute-Reset",
)


class Throttle:
    """`clock` and `sleep` go together: a fake sleep must move the fake clock it is given,
    or a throttle that has to wait would wait forever."""

    def __init__(
        self,
        per_minute: int | None = None,
        quota: QuotaHeaders | None = None,
        window_seconds: float = 60.0,
        reserve: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_minute is not None and per_minute < 1:
            raise ValueError(f"per_minute must be at least 1, got {per_minute}")
        self.per_minute = per_minute
        self.quota = quota
        self.window = window_seconds
        self.reserve = reserve
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._sent: deque[float] = deque()
        self._not_before = 0.0
        self.waited = 0.0  # total seconds this throttle has held requests back
        self._wait_listeners: list[Callable[[float], None]] = []

    def before_request(self) -> None:
        """Wait, if need be, so that this request stays within the limits; then count it."""
        while True:
            with self._lock:
                now = self._clock()
                while self._sent and self._sent[0] <= now - self.window:
                    self._sent.popleft()
                delay = self._not_before - now
                if self.per_minute is not None and len(self._sent) >= self.per_minute:
                    delay = max(delay, self._sent[0] + self.window - now)
                if delay <= 0:
                    self._sent.append(now)
                    return
                self.waited += delay
            for listener in self._wait_listeners:
                listener(delay)
            self._sleep(delay)

    def report_waits_to(self, listener: Callable[[float], None]) -> None:
        """Call `listener` with the seconds of each wait (a connector's CallStats counts them)."""
        self._wait_listeners.append(listener)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Read the server's view of the quota; pace the next requests when it runs low."""
        if self.quota is None:
            return
        remaining = _number(headers.get(self.quota.remaining))
        if remaining is None:
            return
        limit = _number(headers.get(self.quota.limit)) if self.quota.limit else None
        reset = _number(headers.get(self.quota.reset)) if self.quota.reset else None
        low_water = max(1.0, (limit or 0) * self.reserve)
        if remaining > low_water:
            return
        left_of_window = reset if reset is not None and reset > 0 else self.window
        pace = left_of_window / max(remaining, 1.0)
        with self._lock:
            self._not_before = max(self._not_before, self._clock() + pace)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None
