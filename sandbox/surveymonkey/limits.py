"""SurveyMonkey's request limits for draft and private apps: per minute and per day (overview.md).

Every answer carries the `X-Ratelimit-App-Global-{Minute,Day}-{Limit,Remaining,Reset}` headers; over
either limit the answer is 429 with error 1040. A request the minute limit refuses is not counted
against the day. The day is 86,400 virtual seconds from the sandbox's start, not GMT midnight, so
that `time_scale` shortens it like every other window.
"""

from __future__ import annotations

import math

from werkzeug.wrappers import Response

from sandbox.clock import Clock
from sandbox.ratelimit import Admission, WindowLimit
from sandbox.surveymonkey.errors import error

MINUTE, DAY = 60.0, 86_400.0
HEADER = "X-Ratelimit-App-Global-{window}-{field}"


class RequestLimits:
    def __init__(self, per_minute: int, per_day: int, clock: Clock) -> None:
        self._clock = clock
        self._minute = WindowLimit(per_minute, MINUTE, clock)
        self._day = WindowLimit(per_day, DAY, clock)
        self._day_used_in: tuple[int, int] = (-1, 0)  # (day window index, remaining after it)

    def admit(self) -> tuple[Response | None, dict[str, str]]:
        minute = self._minute.take()
        day = self._day.take() if minute.allowed else self._day_unchanged()
        if minute.allowed:
            self._day_used_in = (self._day_index(), day.remaining)
        headers = _headers("Minute", minute) | _headers("Day", day)
        if minute.allowed and day.allowed:
            return None, headers
        window = "minute" if not minute.allowed else "day"
        limit = minute.limit if not minute.allowed else day.limit
        reset = minute.reset_seconds if not minute.allowed else day.reset_seconds
        refusal = error(
            "1040",
            f"The app's limit of {limit} requests per {window} was reached; it resets "
            f"in {reset} seconds.",
        )
        return refusal, headers

    def _day_index(self) -> int:
        return int(self._clock.virtual_elapsed() // DAY)

    def _day_unchanged(self) -> Admission:
        """The day's count as it stands, without taking a request from it."""
        elapsed = self._clock.virtual_elapsed()
        index, remaining = self._day_used_in
        if index != int(elapsed // DAY):
            remaining = self._day.limit
        left = (int(elapsed // DAY) + 1) * DAY - elapsed
        reset = max(1, math.ceil(self._clock.real_seconds(left)))
        return Admission(remaining > 0, self._day.limit, remaining, reset)


def _headers(window: str, admission: Admission) -> dict[str, str]:
    return {
        HEADER.format(window=window, field="Limit"): str(admission.limit),
        HEADER.format(window=window, field="Remaining"): str(admission.remaining),
        HEADER.format(window=window, field="Reset"): str(admission.reset_seconds),
    }
