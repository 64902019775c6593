"""The log of every API request the sandbox answered, for tests and benchmarks to count calls."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

DEFAULT_CAPACITY = 200_000


class RequestLog:
    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._next_seq = 0

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            entry["seq"] = self._next_seq
            self._next_seq += 1
            self._entries.append(entry)

    def since(self, seq: int = 0, service: str | None = None) -> dict[str, Any]:
        with self._lock:
            entries = [
                e
                for e in self._entries
                if e["seq"] >= seq and (service is None or e["service"] == service)
            ]
            first_kept = self._entries[0]["seq"] if self._entries else self._next_seq
            return {
                "requests": entries,
                "next_seq": self._next_seq,
                "dropped": first_kept if seq < first_kept else 0,
            }

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
