"""Errors at the edge, classified once: retriable (try again later) or fatal (don't).

Every error names the service, the method, the path (query secrets and user info removed), the
status and the API's own words. It never holds a token, a key or an Authorization header.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

SECRET_QUERY_KEYS = re.compile(r"(key|token|secret|password|auth|signature)", re.IGNORECASE)
DETAIL_LIMIT = 300


class ConnectorError(Exception):
    """Something went wrong talking to an outside service."""

    def __init__(
        self,
        service: str,
        method: str,
        path: str,
        status: int | None,
        detail: str,
        retry_after: float | None = None,
    ) -> None:
        self.service = service
        self.method = method
        self.path = path
        self.status = status
        self.detail = detail
        self.retry_after = retry_after
        super().__init__(self._message())

    def _message(self) -> str:
        status = f" answered {self.status}" if self.status is not None else " failed"
        return f"{self.service} {self.method} {self.path}{status}: {self.detail}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._message()!r})"


class RetriableError(ConnectorError):
    """Throttled (429), a server error (5xx), a dropped connection, a timeout or a broken body."""


class FatalError(ConnectorError):
    """A request the service refused for good (4xx other than 429): retrying cannot help."""


class OutcomeUnknown(FatalError):
    """A call that creates something failed in a way that leaves open whether it happened
    (a dropped connection, a 5xx, a cut-off answer): retrying blindly could do it twice."""


class BudgetExhausted(FatalError):
    """The work would not fit in what is left of the service's quota; nothing was started."""


class RetriesExhausted(ConnectorError):
    """A retriable failure that did not clear within the retry budget."""

    def __init__(self, last: RetriableError, attempts: int, waited: float) -> None:
        self.last = last
        self.attempts = attempts
        self.waited = waited
        super().__init__(
            last.service,
            last.method,
            last.path,
            last.status,
            f"{last.detail} (gave up after {attempts} attempts and {waited:.1f} s of waiting)",
        )


def safe_path(url: str) -> str:
    """The URL's path and query without user info, and with secret-looking query values hidden."""
    parts = urlsplit(url)
    query = urlencode(
        [(k, "***" if SECRET_QUERY_KEYS.search(k) else v) for k, v in parse_qsl(parts.query)],
        safe="[]*,",
    )
    return urlunsplit(("", "", parts.path, query, ""))


def api_detail(text: str | bytes | None) -> str:
    """The API's own explanation from an error body, whichever vendor's shape it has."""
    if not text:
        return "no response body"
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    try:
        body = json.loads(text)
    except ValueError:
        return _clip(text)
    if not isinstance(body, dict):
        return _clip(text)
    if "detail" in body and "status" in body:  # Mailchimp problem+json
        parts = [str(body.get("title", "")), str(body.get("detail", ""))]
        fields = body.get("errors") or []
        parts += [f"{e.get('field')}: {e.get('message')}" for e in fields if isinstance(e, dict)]
        return _clip(" — ".join(p for p in parts if p))
    error = body.get("error")
    if isinstance(error, dict):  # SurveyMonkey {"error": {"id", "name", "message"...}}
        named = f"{error.get('id', '')} {error.get('name', '')}".strip()
        return _clip(f"{named}: {error.get('message', '')}" if named else str(error))
    if error is not None:  # Zendesk {"error": "...", "description": "...", "details": {...}}
        parts = [str(error), str(body.get("description", ""))]
        if body.get("details"):
            parts.append(json.dumps(body["details"], ensure_ascii=False))
        return _clip(" — ".join(p for p in parts if p))
    return _clip(text)


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= DETAIL_LIMIT else text[: DETAIL_LIMIT - 1] + "…"


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """`Retry-After` as seconds to wait: a number of seconds or an HTTP date; None if absent."""
    value = headers.get("Retry-After")
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def classify(
    service: str,
    method: str,
    url: str,
    status: int,
    text: str | bytes | None,
    headers: Mapping[str, str],
) -> ConnectorError | None:
    """The error an HTTP answer stands for, or None when it is a success."""
    if 200 <= status < 400:
        return None
    path = safe_path(url)
    detail = api_detail(text)
    if status == 429 or status >= 500:
        return RetriableError(service, method, path, status, detail, retry_after_seconds(headers))
    return FatalError(service, method, path, status, detail)


URL_IN_TEXT = re.compile(r"https?://[^\s'\"<>]+")


def scrub_urls(text: str) -> str:
    """Every URL in `text` without user info and with secret-looking query values hidden."""

    def scrubbed(found: re.Match[str]) -> str:
        parts = urlsplit(found.group(0))
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{host}{port}{safe_path(found.group(0))}"

    return URL_IN_TEXT.sub(scrubbed, text)


def describe_exception(error: BaseException) -> str:
    """A transport failure in words, without the request (and so without its headers), and
    with any URL it quotes scrubbed of credentials."""
    return f"{type(error).__name__}: {_clip(scrub_urls(str(error)))}"


JsonBody = Any
