"""A stop asked from outside: SIGTERM or SIGINT, and the connectors' waits that give way to it.

The first signal sets `StopSignals.stopping`; the sync sees it at its next stored batch and ends
as `stopped`. A second signal means "now": the process exits at once with 128 + the signal's
number, which loses nothing either, as every checkpoint is stored after the data it covers.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

from jobs.progress import StopRequested

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# A connector's wait longer than this (a Retry-After, a rate limit's minute) ends when a stop is
# asked; a shorter one (a bulk job's poll, a first backoff) runs out, so the batch it is part of
# still finishes and is stored.
SHORT_WAIT_SECONDS = 5.0


class StopSignals:
    """Handles SIGTERM and SIGINT inside a `with` block in the main thread (the handlers before
    it come back after it). `on_forced(name, code)` is told of a second signal just before the
    process exits; it runs inside a signal handler, so it must not take a lock the interrupted
    code may hold."""

    def __init__(self, on_forced: Callable[[str, int], None] | None = None) -> None:
        self.stopping = threading.Event()
        self.signalled: str | None = None  # the first signal's name
        self._on_forced = on_forced
        self._before: dict[int, Any] = {}

    @property
    def exit_code(self) -> int | None:
        """128 + the first signal's number, once one came."""
        return None if self.signalled is None else 128 + signal.Signals[self.signalled].value

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():  # only it may handle signals
            for number in STOP_SIGNALS:
                self._before[number] = signal.signal(number, self._on_signal)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for number, handler in self._before.items():
            signal.signal(number, handler)

    def _on_signal(self, number: int, _frame: FrameType | None) -> None:
        name = signal.Signals(number).name
        if self.stopping.is_set():
            if self._on_forced is not None:
                self._on_forced(name, 128 + number)
            os._exit(128 + number)
        self.signalled = name
        self.stopping.set()


def stoppable_sleep(stopping: threading.Event) -> Callable[[float], None]:
    """The connectors' sleep while a stop may be asked: a long wait ends with StopRequested once
    it is, so a run waiting out a rate limit stops as soon as any other. What it waited for was
    not sent or not stored, so the next run does it."""

    def sleep(seconds: float) -> None:
        if seconds <= SHORT_WAIT_SECONDS:
            time.sleep(seconds)
        elif stopping.wait(seconds):
            raise StopRequested(f"stop requested during a wait of {seconds:.0f} s")

    return sleep
