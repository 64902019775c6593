"""JSON over a caller's `requests.Session`, under the shared retry policy and throttling."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from connector import retry
from connector.errors import (
    ConnectorError,
    OutcomeUnknown,
    RetriableError,
    classify,
    describe_exception,
    safe_path,
)
from connector.throttle import Throttle


@dataclass(frozen=True)
class Edge:
    """What every connector is given besides its service's own settings."""

    policy: retry.RetryPolicy = field(default_factory=retry.RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    timeout: float = 60.0


NO_ANSWER = "error"  # the status counted for a request that got no answer


@dataclass
class CallStats:
    """How many requests a connector made and how the service treated them.

    `answers` counts the answers by HTTP status ("200", "429", ...), with "error" for a request
    that got no answer (a dropped connection, a timeout). A rate-limit wait is a sleep before a
    request because of the throttle or of the service's 429 or `Retry-After`.
    """

    requests: int = 0
    retries: int = 0
    throttled: int = 0  # 429s that were retried
    answers: dict[str, int] = field(default_factory=dict)
    rate_limit_waits: int = 0
    rate_limit_wait_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count_request(self) -> None:
        with self._lock:
            self.requests += 1

    def count_answer(self, status: int | None) -> None:
        """One answer of `status`; None for a request that got no answer."""
        key = NO_ANSWER if status is None else str(status)
        with self._lock:
            self.answers[key] = self.answers.get(key, 0) + 1

    def count_wait(self, seconds: float) -> None:
        with self._lock:
            self.rate_limit_waits += 1
            self.rate_limit_wait_seconds += seconds

    def count_retry(self, error: RetriableError, wait: float) -> None:
        with self._lock:
            self.retries += 1
            if error.status == 429:
                self.throttled += 1
        if error.status == 429 or error.retry_after is not None:
            self.count_wait(wait)

    def answers_by_status(self) -> dict[str, int]:
        with self._lock:
            return dict(self.answers)


class JsonApi:
    def __init__(
        self,
        service: str,
        base_url: str,
        session: requests.Session,
        edge: Edge,
        throttle: Throttle | None = None,
    ) -> None:
        self.service = service
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.edge = edge
        self.throttle = throttle
        self.stats = CallStats()
        if throttle is not None:
            throttle.report_waits_to(self.stats.count_wait)

    def url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return self.base_url + path_or_url

    def request(
        self,
        method: str,
        path_or_url: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        extra_throttle: Throttle | None = None,
        idempotent: bool = True,
    ) -> Any:
        """The parsed JSON answer (None for an empty one), or a ConnectorError.

        A call that is not idempotent (it creates something) is retried only when the service
        refused it outright (429): after a dropped connection or a 5xx it may have happened.
        """
        url = self.url(path_or_url)

        def attempt() -> Any:
            for throttle in (self.throttle, extra_throttle):
                if throttle is not None:
                    throttle.before_request()
            self.stats.count_request()
            try:
                response = self.session.request(
                    method, url, params=params, json=body, timeout=self.edge.timeout
                )
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,  # the body was cut off mid-stream
            ) as error:
                self.stats.count_answer(None)
                failure: ConnectorError = RetriableError(
                    self.service, method, safe_path(url), None, describe_exception(error)
                )
                raise self._unless_unsafe(failure, idempotent) from None
            self.stats.count_answer(response.status_code)
            if self.throttle is not None:
                self.throttle.observe(response.headers)
            problem = classify(
                self.service,
                method,
                url,
                response.status_code,
                response.content,
                response.headers,
            )
            if problem is not None:
                if problem.status == 429 and problem.retry_after is None:
                    problem.retry_after = self._quota_reset(response.headers)
                raise self._unless_unsafe(problem, idempotent)
            if not response.content:
                return None
            try:
                return response.json()
            except ValueError:
                broken = RetriableError(
                    self.service,
                    method,
                    safe_path(url),
                    response.status_code,
                    "the response body is not valid JSON (cut off on the way?)",
                )
                raise self._unless_unsafe(broken, idempotent) from None

        return retry.call(self.edge.policy, attempt, self.edge.sleep, self.stats.count_retry)

    def _quota_reset(self, headers: Mapping[str, str]) -> float | None:
        """For a 429 without Retry-After: the seconds until the reported quota window resets."""
        quota = self.throttle.quota if self.throttle is not None else None
        if quota is None or quota.reset is None:
            return None
        try:
            return max(0.0, float(headers.get(quota.reset, "")))
        except ValueError:
            return None

    def _unless_unsafe(self, error: ConnectorError, idempotent: bool) -> ConnectorError:
        if idempotent or not isinstance(error, RetriableError) or error.status == 429:
            return error
        return OutcomeUnknown(
            error.service,
            error.method,
            error.path,
            error.status,
            f"{error.detail} (not retried: the request may have been carried out)",
        )
