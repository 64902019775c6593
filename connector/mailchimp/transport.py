"""mailchimp-marketing on the caller's session, under the shared retry policy.

The 3.0.80 client has three quirks this module takes care of, so that nothing above it has to:

- `call_api` rewrites every "server" substring of the URL with the data centre whenever
  `api_client.server` is set. The host we give it is already complete, so `server` is emptied.
- `ApiClient.request` calls `requests.get/post/...` itself: no session, no connection reuse, and
  nothing a test or the connection limit can see. The instance's `request` is replaced (on this
  instance only) by one that sends through the caller's `requests.Session`.
- It raises `ApiClientError` for JSON errors, wraps transport failures in `ApiClientError` with no
  status, and *returns* a raw `requests.Response` for an empty or non-JSON body, even for a 429 or
  a 500. Our `request` classifies every answer with `connector.errors.classify` (status, body and
  headers, so `Retry-After` is kept) before the client looks at it; the client wraps what we raise
  in `ApiClientError`, and `attempt` takes it out again. A body the client could not parse on a
  success is a broken answer (retriable); an empty one (204) is None.

Every call is retried under the shared policy, so it must be safe to repeat; the calls that
create something (a tag, a merge field) go through `find_or_create`, which looks again before
each try rather than risk making it twice. Should an exception's text or an answer ever quote
the key, it is replaced by `***` in the error.

At most `max_connections` requests are in flight at once (Mailchimp refuses the 11th with 429),
however many threads use the transport: a semaphore around each send, and a connection pool of
the same size mounted on the session for the API's origin.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import requests
from mailchimp_marketing import Client
from mailchimp_marketing.api_client import ApiClientError
from requests.adapters import HTTPAdapter
from requests.auth import HTTPBasicAuth

from connector import retry
from connector.errors import (
    ConnectorError,
    FatalError,
    RetriableError,
    classify,
    describe_exception,
    safe_path,
)
from connector.http import CallStats, Edge

SERVICE = "mailchimp"
MAX_CONNECTIONS = 10  # Mailchimp's limit of simultaneous connections per user
_WITH_BODY = ("POST", "PUT", "PATCH")
_TRANSIENT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)

T = TypeVar("T")


def data_centre(api_key: str) -> str:
    """The data centre a key names after its last '-' (`...-us19` → `us19`)."""
    prefix, dash, suffix = api_key.strip().rpartition("-")
    if not dash or not prefix or not suffix:
        raise ValueError(
            "a Mailchimp API key ends in '-' and its data centre (like ...-us19); "
            "this one has no data centre suffix"
        )
    return suffix


def default_base_url(api_key: str) -> str:
    """Where the key's account is served: `https://{dc}.api.mailchimp.com/3.0`."""
    return f"https://{data_centre(api_key)}.api.mailchimp.com/3.0"


def check_max_connections(max_connections: int) -> int:
    if (
        isinstance(max_connections, bool)
        or not isinstance(max_connections, int)
        or not 1 <= max_connections <= MAX_CONNECTIONS
    ):
        raise ValueError(
            f"max_connections must be a whole number from 1 to {MAX_CONNECTIONS} (Mailchimp "
            f"refuses more than {MAX_CONNECTIONS} simultaneous connections), got "
            f"{max_connections!r}"
        )
    return max_connections


class Transport:
    """The client, pointed at `base_url`, sending through `session`, errors classified."""

    def __init__(
        self,
        api_key: str,
        base_url: str,
        session: requests.Session,
        edge: Edge,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        if not isinstance(api_key, str) or not api_key.strip():
            raise ValueError("the Mailchimp API key is empty")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"the Mailchimp base URL must be absolute, like https://us19.api.mailchimp.com/3.0,"
                f" got {safe_path(base_url)!r}"
            )
        self.max_connections = check_max_connections(max_connections)
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.edge = edge
        self.stats = CallStats()
        self._key = api_key.strip()
        self._auth = HTTPBasicAuth("deskbridge", self._key)
        self._slots = threading.BoundedSemaphore(max_connections)
        session.mount(
            f"{parts.scheme}://{parts.netloc}/",
            HTTPAdapter(pool_connections=1, pool_maxsize=max_connections),
        )
        self.client = Client()
        self.client.set_config({"api_key": api_key.strip(), "server": ""})
        self.client.api_client.host = self.base_url
        self.client.api_client.server = ""  # no "server" → data-centre rewriting of our URLs
        self.client.api_client.request = self._send

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r}, max_connections={self.max_connections})"

    @property
    def lists(self) -> Any:
        return self.client.lists

    @property
    def ping(self) -> Any:
        return self.client.ping

    # --- calling the client ---------------------------------------------------------------------

    def call(self, operation: Callable[[], Any]) -> Any:
        """Run one client call under the retry policy; its JSON answer, or None if bodiless.

        Only for calls that are safe to repeat: creating calls go through `find_or_create`.
        """
        return retry.call(
            self.edge.policy,
            lambda: self.attempt(operation),
            self.edge.sleep,
            self.stats.count_retry,
        )

    def attempt(self, operation: Callable[[], Any]) -> Any:
        """One try of a client call, with whatever went wrong as a shared ConnectorError."""
        try:
            result = operation()
        except ApiClientError as error:
            raise _unwrapped(error) from None
        if isinstance(result, requests.Response):
            return _bodiless_or_broken(result)
        return result

    def find_or_create(
        self, find: Callable[[], T | None], create: Callable[[], T], known_missing: bool = False
    ) -> T:
        """The thing `find` finds, else what `create` makes — safe to retry as a whole.

        A create that failed on the way (5xx, dropped connection) may still have happened, so
        each retry looks again before creating. A create refused with 400 because someone else
        made the thing in the meantime is settled by looking once more. `known_missing` skips
        the first look when the caller has just looked.
        """
        tries = 0

        def once() -> T:
            nonlocal tries
            tries += 1
            found = None if known_missing and tries == 1 else find()
            if found is not None:
                return found
            try:
                return create()
            except FatalError as error:
                if error.status == 400:
                    again = find()
                    if again is not None:
                        return again
                raise

        return retry.call(self.edge.policy, once, self.edge.sleep, self.stats.count_retry)

    # --- what the client's `request` does instead -------------------------------------------------

    def _send(
        self,
        method: str,
        url: str,
        query_params: Sequence[tuple[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        body: Any = None,
    ) -> requests.Response:
        where = url + ("?" + urlencode(list(query_params)) if query_params else "")
        data = json.dumps(body) if method in _WITH_BODY else None
        self.stats.count_request()
        with self._slots:
            try:
                response = self.session.request(
                    method,
                    url,
                    params=query_params,
                    data=data,
                    headers=headers,
                    auth=self._auth,
                    timeout=self.edge.timeout,
                )
            except _TRANSIENT as error:
                self.stats.count_answer(None)
                raise self._scrubbed(
                    RetriableError(
                        SERVICE, method, safe_path(where), None, describe_exception(error)
                    )
                ) from None
            except requests.RequestException as error:
                self.stats.count_answer(None)
                raise self._scrubbed(
                    FatalError(SERVICE, method, safe_path(where), None, describe_exception(error))
                ) from None
        self.stats.count_answer(response.status_code)
        problem = classify(
            SERVICE, method, where, response.status_code, response.content, response.headers
        )
        if problem is not None:
            raise self._scrubbed(problem)
        return response

    def _scrubbed(self, error: ConnectorError) -> ConnectorError:
        """The error without the key, should an exception's text or an answer ever quote it."""
        key = self._key
        if key not in error.detail and key not in error.path:
            return error
        return type(error)(
            error.service,
            error.method,
            error.path.replace(key, "***"),
            error.status,
            error.detail.replace(key, "***"),
            error.retry_after,
        )


def _unwrapped(error: ApiClientError) -> ConnectorError:
    """The shared error our `_send` raised, which the client wrapped in ApiClientError."""
    inner = error.text
    if isinstance(inner, ConnectorError):
        return inner
    # Not raised by `_send` (which classifies every answer first): the client failed itself.
    detail = describe_exception(inner) if isinstance(inner, BaseException) else str(inner)
    return FatalError(SERVICE, "call", "(mailchimp-marketing)", error.status_code, detail)


def _bodiless_or_broken(response: requests.Response) -> None:
    """None for an empty success (204); a retriable error for a body the client could not read."""
    if not response.content:
        return None
    method = response.request.method if response.request is not None else "?"
    raise RetriableError(
        SERVICE,
        method or "?",
        safe_path(response.url),
        response.status_code,
        "the response body is not valid JSON (cut off on the way?)",
    )
