"""Time in the sandbox: wall-clock timestamps, scaled durations.

Timestamps on records are real Unix times, so that a client's own "now" agrees with the data.
Durations that a test would otherwise wait for (rate-limit windows, the withheld last minute of the
incremental export, job progress, slow responses) are divided by `scale`: with `scale=60` a
rate-limit minute lasts one real second.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Clock:
    def __init__(
        self,
        scale: float = 1.0,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if scale <= 0:
            raise ValueError(f"time scale must be positive, got {scale}")
        self.scale = scale
        self._wall = wall
        self._monotonic = monotonic

    def now(self) -> float:
        """The current Unix time, for timestamps."""
        return self._wall()

    def virtual_elapsed(self) -> float:
        """A monotonic reading in virtual seconds, for windows and deadlines."""
        return self._monotonic() * self.scale

    def real_seconds(self, virtual_seconds: float) -> float:
        """How long `virtual_seconds` of sandbox time lasts in real time."""
        return virtual_seconds / self.scale
