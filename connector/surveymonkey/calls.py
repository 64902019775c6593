"""How the SurveyMonkey connector makes its requests: one place for the day's budget, pages,
and requests that create something.

`Calls` wraps the shared `JsonApi` (throttle → request → classify → retry) with what is
SurveyMonkey's own: the bearer token on the caller's session, the 429 wait read from the minute's
reset header, and a budget check that refuses work before it starts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from urllib.parse import urlencode

import requests

from connector import retry
from connector.errors import BudgetExhausted, OutcomeUnknown, RetriableError, safe_path
from connector.http import CallStats, Edge, JsonApi
from connector.surveymonkey.budget import (
    DailyBudget,
    DayExhausted,
    DayQuota,
    SurveyMonkeyThrottle,
    minute_reset_as_retry_after,
)
from connector.surveymonkey.pages import Pages
from connector.surveymonkey.problems import SERVICE, UnexpectedAnswer

T = TypeVar("T")


class Calls:
    def __init__(
        self,
        token: str,
        session: requests.Session,
        edge: Edge,
        base_url: str,
        per_minute: int,
        daily_limit: int,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(token, str) or not token.strip():
            raise ValueError("the SurveyMonkey access token is empty")
        if not base_url.startswith(("https://", "http://")):
            raise ValueError(f"base_url must be an http(s) URL, got {safe_path(base_url)!r}")
        session.headers["Authorization"] = f"Bearer {token}"
        hooks = session.hooks.setdefault("response", [])
        if minute_reset_as_retry_after not in hooks:
            hooks.append(minute_reset_as_retry_after)
        self.edge = edge
        self.budget = DailyBudget(daily_limit, clock, wall_clock)
        throttle = SurveyMonkeyThrottle(self.budget, per_minute, clock, edge.sleep)
        self.api = JsonApi(SERVICE, base_url, session, edge, throttle)
        self._quota_unreported = False  # a success came back without the day's quota headers

    @property
    def base_url(self) -> str:
        return self.api.base_url

    @property
    def stats(self) -> CallStats:
        return self.api.stats

    def where(self, path: str, params: dict[str, Any] | None = None) -> str:
        """The path as errors show it: no host, no secrets."""
        return safe_path(self.api.url(path) + ("?" + urlencode(params) if params else ""))

    def request(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
        idempotent: bool = True,
    ) -> Any:
        try:
            answer = self.api.request(method, path, params, body, idempotent=idempotent)
        except DayExhausted as spent:
            raise BudgetExhausted(
                SERVICE,
                method,
                self.where(path, params),
                None,
                f"stopped before this request: {spent.quota.describe()}",
                retry_after=spent.quota.resets_in,
            ) from None
        if self.budget.quota().remaining is None:
            self._quota_unreported = True  # a success without the day's headers: none to track
        return answer

    def items(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every item of a list resource, page by page."""

        def fetch(where: str, query: Any) -> Any:
            return self.request("GET", where, dict(query) if query else None)

        return Pages(fetch, self.base_url, path, params).items()

    # --- the day's budget -------------------------------------------------------------------

    def day_quota(self) -> DayQuota:
        """Today's budget as known; when nothing is known yet, one cheap GET finds out."""
        quota = self.budget.quota()
        if quota.remaining is None and not self._quota_unreported:
            self.request("GET", "/surveys", params={"per_page": 1})
            quota = self.budget.quota()
            self._quota_unreported = quota.remaining is None
        return quota

    def check_budget(self, needed: int, what: str, method: str, path: str) -> None:
        """Raise BudgetExhausted, before any request of `what`, if it needs more than is left."""
        quota = self.day_quota()
        if quota.remaining is not None and needed > quota.remaining:
            raise BudgetExhausted(
                SERVICE,
                method,
                self.where(path),
                None,
                f"{what} needs {needed} requests, but {quota.describe()}; nothing was started",
                retry_after=quota.resets_in,
            )

    # --- requests that create something -----------------------------------------------------

    def create_or_find(self, create: Callable[[], T], look: Callable[[], T | None]) -> T:
        """Run a request that is not idempotent. When its fate is unknown (no answer, a 5xx, a
        broken body), look whether it happened; try again only if it did not."""

        def attempt() -> T:
            try:
                return create()
            except OutcomeUnknown as error:
                found = look()
                if found is not None:
                    return found
                raise RetriableError(
                    error.service,
                    error.method,
                    error.path,
                    error.status,
                    f"{error.detail}; it had not happened (checked), so it is tried again",
                ) from None

        return retry.call(self.edge.policy, attempt, self.edge.sleep, self.stats.count_retry)


def record(make: Callable[[Any], T], item: Any, method: str = "GET", path: str = "") -> T:
    """A record from an answer, or UnexpectedAnswer naming the fields that were there."""
    try:
        return make(item)
    except (KeyError, TypeError, AttributeError) as problem:
        shown = ", ".join(sorted(map(str, item))) if isinstance(item, dict) else type(item).__name__
        raise UnexpectedAnswer(
            SERVICE, method, path, None, f"an answer without the field {problem}: got {shown}"
        ) from None
