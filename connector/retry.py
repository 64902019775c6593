"""The one retry policy: tenacity, honest about Retry-After, bounded by attempts and by waiting.

Retriable failures are tried again after the server's `Retry-After` (clamped) or else after an
exponential backoff with full jitter. The policy stops after `max_attempts` tries, or before a wait
that would take the total waiting past `max_total_wait`; then it raises `RetriesExhausted` with the
last failure.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import tenacity

from connector.errors import RetriableError, RetriesExhausted

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    max_total_wait: float = 300.0  # seconds of waiting across all retries of one call
    initial_backoff: float = 0.5
    max_backoff: float = 30.0
    max_retry_after: float = 120.0  # a longer Retry-After is clamped to this

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.max_total_wait < 0 or self.initial_backoff <= 0 or self.max_backoff <= 0:
            raise ValueError("waits must be positive")


def _failure(state: tenacity.RetryCallState) -> RetriableError:
    assert state.outcome is not None
    error = state.outcome.exception()
    assert isinstance(error, RetriableError)
    return error


def call(
    policy: RetryPolicy,
    attempt: Callable[[], T],
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[RetriableError, float], None] | None = None,
) -> T:
    """Run `attempt` until it succeeds, raises a non-retriable error, or the budget runs out."""
    backoff = tenacity.wait_random_exponential(
        multiplier=policy.initial_backoff, max=policy.max_backoff
    )

    planned: dict[int, float] = {}  # one draw per attempt, shared by `stop` and `wait`

    def wait(state: tenacity.RetryCallState) -> float:
        if state.attempt_number not in planned:
            error = _failure(state)
            if error.retry_after is not None:
                planned[state.attempt_number] = min(error.retry_after, policy.max_retry_after)
            else:
                planned[state.attempt_number] = float(backoff(state))
        return planned[state.attempt_number]

    def stop(state: tenacity.RetryCallState) -> bool:
        if state.attempt_number >= policy.max_attempts:
            return True
        return state.idle_for + wait(state) > policy.max_total_wait

    def before_sleep(state: tenacity.RetryCallState) -> None:
        if on_retry is not None and state.next_action is not None:
            on_retry(_failure(state), state.next_action.sleep)

    def give_up(state: tenacity.RetryCallState) -> T:
        raise RetriesExhausted(_failure(state), state.attempt_number, state.idle_for)

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(RetriableError),
        wait=wait,
        stop=stop,
        sleep=sleep,
        before_sleep=before_sleep,
        retry_error_callback=give_up,
    )
    return retrying(attempt)
