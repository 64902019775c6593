"""What a Zendesk connector is told: the account and its secret, the plan's limits, job polling.

Every value is checked when it is made, so that a mistake is reported where it was written and
not halfway through a sync.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

SUBDOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")

# Requests a minute for the whole account, by Zendesk plan (API-NOTES.md).
PLAN_REQUESTS_PER_MINUTE = {
    "team": 200,
    "growth": 400,
    "professional": 400,
    "enterprise": 700,
    "enterprise_plus": 2500,
    "high_volume": 2500,
}
EXPORT_REQUESTS_PER_MINUTE = 10
HIGH_VOLUME_EXPORT_REQUESTS_PER_MINUTE = 30  # second-hand (API-NOTES.md)


@dataclass(frozen=True)
class ZendeskAccount:
    """Where the account lives and how to sign in (email + API token).

    `base_url` is the account's origin, `https://{subdomain}.zendesk.com` unless the caller points
    the connector elsewhere (the sandbox: `http://127.0.0.1:PORT`).
    """

    subdomain: str
    email: str
    token: str = field(repr=False)
    base_url: str | None = None

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not SUBDOMAIN.match(self.subdomain):
            problems.append(
                f"subdomain {self.subdomain!r} is not a Zendesk subdomain "
                "(lower-case letters, digits and dashes, as in acme for acme.zendesk.com)"
            )
        if "@" not in self.email:
            problems.append(f"email {self.email!r} is not an email address")
        if not self.token.strip():
            problems.append("token is empty (an API token from Admin Center → Zendesk API)")
        if self.base_url is not None:
            problems += _base_url_problems(self.base_url)
        if problems:
            raise ValueError("Zendesk account: " + "; ".join(problems))

    @property
    def origin(self) -> str:
        """The scheme and host every API path is appended to."""
        if self.base_url is not None:
            return self.base_url.rstrip("/")
        return f"https://{self.subdomain}.zendesk.com"


def _base_url_problems(base_url: str) -> list[str]:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [f"base_url {base_url!r} is not an http(s) URL like https://acme.zendesk.com"]
    problems = []
    if parts.username is not None or parts.password is not None:
        problems.append("base_url must not hold credentials; pass email and token instead")
    if parts.path.strip("/") or parts.query or parts.fragment:
        problems.append(
            f"base_url must be the account's origin only, like https://acme.zendesk.com "
            f"(without {parts.path or '?' + parts.query})"
        )
    return problems


@dataclass(frozen=True)
class ZendeskLimits:
    """The rates the connector keeps to: the plan's account limit and the export endpoints' own.

    `window_seconds` is how long a rate-limit "minute" lasts: 60 against Zendesk, shorter against
    a sandbox that scales time.
    """

    requests_per_minute: int = PLAN_REQUESTS_PER_MINUTE["growth"]
    export_requests_per_minute: int = EXPORT_REQUESTS_PER_MINUTE
    window_seconds: float = 60.0
    reserve: float = 0.1  # slow down when less than this share of the reported quota is left

    def __post_init__(self) -> None:
        if self.requests_per_minute < 1 or self.export_requests_per_minute < 1:
            raise ValueError(
                "Zendesk limits: requests a minute must be at least 1, got "
                f"{self.requests_per_minute} (account) and "
                f"{self.export_requests_per_minute} (incremental exports)"
            )
        if self.window_seconds <= 0:
            raise ValueError(
                f"Zendesk limits: window_seconds must be positive, got {self.window_seconds}"
            )
        if not 0 <= self.reserve < 1:
            raise ValueError(f"Zendesk limits: reserve must be in [0, 1), got {self.reserve}")

    @classmethod
    def for_plan(
        cls, plan: str, high_volume_exports: bool = False, window_seconds: float = 60.0
    ) -> ZendeskLimits:
        """The limits of a named plan (team, growth, professional, enterprise, ...)."""
        key = plan.strip().lower().replace(" ", "_").replace("-", "_")
        if key not in PLAN_REQUESTS_PER_MINUTE:
            known = ", ".join(PLAN_REQUESTS_PER_MINUTE)
            raise ValueError(f"unknown Zendesk plan {plan!r}; known plans: {known}")
        exports = (
            HIGH_VOLUME_EXPORT_REQUESTS_PER_MINUTE
            if high_volume_exports or key == "high_volume"
            else EXPORT_REQUESTS_PER_MINUTE
        )
        return cls(PLAN_REQUESTS_PER_MINUTE[key], exports, window_seconds)


@dataclass(frozen=True)
class JobPolling:
    """How bulk updates wait for their background jobs.

    Up to `max_in_flight` jobs are submitted before the oldest is awaited (Zendesk lets about 30
    be queued or running per account, shared with every other integration). A job is polled every
    `interval` seconds; after `timeout` seconds of waiting for it, its items are reported as
    unfinished instead of waited for without end.
    """

    interval: float = 1.0
    timeout: float = 600.0
    max_in_flight: int = 5

    def __post_init__(self) -> None:
        if self.interval <= 0 or self.timeout <= 0:
            raise ValueError(
                f"job polling: interval and timeout must be positive, got {self.interval} and "
                f"{self.timeout}"
            )
        if not 1 <= self.max_in_flight <= 30:
            raise ValueError(
                f"job polling: max_in_flight must be between 1 and 30 (Zendesk's queue), got "
                f"{self.max_in_flight}"
            )
