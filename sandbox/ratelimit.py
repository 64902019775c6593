"""Rate limits as the vendors apply them: windows of requests, and simultaneous connections."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from sandbox.clock import Clock


@dataclass(frozen=True)
class Admission:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # real seconds until the window opens again, at least 1

    @property
    def retry_after(self) -> str:
        return str(self.reset_seconds)


class WindowLimit:
    """At most `limit` requests in each window of `window` virtual seconds."""

    def __init__(self, limit: int, window: float, clock: Clock) -> None:
        if limit < 1:
            raise ValueError(f"a rate limit must allow at least one request, got {limit}")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        # Windows are counted from when the limit was set up, as an account's first request
        # would start its own; this also keeps a test's burst inside one window.
        self._origin = clock.virtual_elapsed()
        self._window_index = -1
        self._used = 0

    def take(self) -> Admission:
        with self._lock:
            elapsed = self._clock.virtual_elapsed() - self._origin
            index = int(elapsed // self.window)
            if index != self._window_index:
                self._window_index, self._used = index, 0
            left_virtual = (index + 1) * self.window - elapsed
            reset = max(1, math.ceil(self._clock.real_seconds(left_virtual)))
            if self._used >= self.limit:
                return Admission(False, self.limit, 0, reset)
            self._used += 1
            return Admission(True, self.limit, self.limit - self._used, reset)


class ConnectionLimit:
    """At most `limit` requests in flight at once; the next one is turned away."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._in_flight = 0

    def enter(self) -> bool:
        with self._lock:
            if self._in_flight >= self.limit:
                return False
            self._in_flight += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1
