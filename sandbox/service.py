"""What every emulated service provides, and the world they share.

A service owns one URL prefix (`/api/v2`, `/3.0`, `/v3`), its credentials, its rate limits, its
error format and its data. The app (`sandbox.app`) runs the shared parts of each request — faults,
latency, the request log — and hands the rest to the service.
"""

from __future__ import annotations

import json
import random
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandbox.clock import Clock
from sandbox.config import SandboxConfig
from sandbox.population import Population

Json = dict[str, Any]


class World:
    """The state every service shares: configuration, clock, customer base, and one lock.

    Handlers run under `lock`, so a service's data is only ever touched by one request at a time.
    """

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.clock = Clock(config.time_scale)
        self.lock = threading.RLock()
        self.population = Population(config.seeding())

    @property
    def seed(self) -> int:
        return self.population.seeding.seed

    @property
    def anchor(self) -> int:
        return self.population.seeding.anchor


def json_response(
    body: Any,
    status: int = 200,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json; charset=utf-8",
) -> Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(text, status=status, headers=headers, content_type=content_type)


class Rejection(Exception):
    """Raised by a handler to answer with the service's own error body."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


class Service(ABC):
    name: ClassVar[str]
    prefix: ClassVar[str]
    rules: ClassVar[list[Rule]]
    # Weights of the realistic changes this service can make on /_sandbox/mutate.
    mutation_kinds: ClassVar[dict[str, float]] = {}

    def __init__(self, world: World) -> None:
        self.world = world
        # Rules are declared once per class; each server's map needs its own unbound copies.
        rules = [rule.empty() for rule in self.rules]
        self._map = Map(rules, strict_slashes=False, merge_slashes=False)
        self.configure_limits()

    # --- the parts of a request every service answers in its own way -------------------------

    @abstractmethod
    def authenticate(self, request: Request) -> Response | None:
        """None when the credentials are the ones the sandbox documents, else the 401 to send."""

    def admit(self, request: Request) -> tuple[Response | None, dict[str, str]]:
        """Apply rate limits: a 429 to send instead (or None) and the headers for the response."""
        return None, {}

    def configure_limits(self) -> None:
        """(Re)build rate limiters from `world.config`: at start and on /_sandbox/limits."""

    def enter(self) -> Response | None:
        """Take a connection slot, or answer why not (Mailchimp's 10 simultaneous connections)."""
        return None

    def leave(self) -> None:
        """Give the connection slot back."""

    @abstractmethod
    def error_response(self, status: int, title: str, detail: str) -> Response:
        """An error in the service's own format."""

    def fault_response(self, status: int) -> Response:
        titles = {
            429: "Too Many Requests",
            500: "Internal Server Error",
            502: "Bad Gateway",
            503: "Service Unavailable",
        }
        title = titles.get(status, "Error")
        response = self.error_response(status, title, f"{title} (injected by the sandbox)")
        if status in (429, 503):
            response.headers["Retry-After"] = "1"
        return response

    # --- routing -------------------------------------------------------------------------------

    def dispatch(self, request: Request) -> Response:
        adapter = self._map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except MethodNotAllowed:
            return self.error_response(
                405, "Method Not Allowed", f"{request.method} is not allowed"
            )
        except NotFound:
            return self.error_response(404, "Resource Not Found", f"{request.path} does not exist")
        handler: Callable[..., Response] = getattr(self, f"on_{endpoint}")
        try:
            return handler(request, **args)
        except Rejection as rejection:
            return rejection.response

    def json_body(self, request: Request) -> Any:
        """The request's JSON body, or the service's 400 that says why it is not one."""
        try:
            return json.loads(request.get_data(as_text=True) or "null")
        except json.JSONDecodeError as error:
            raise Rejection(
                self.error_response(400, "Invalid JSON", f"the request body is not JSON: {error}")
            ) from None

    # --- the control API's view ----------------------------------------------------------------

    @abstractmethod
    def reset(self) -> None:
        """Forget every change: back to the data seeded from the world's population."""

    @abstractmethod
    def state(self) -> Json:
        """The whole current data of the service, as JSON."""

    def mutate(self, kind: str, rng: random.Random) -> Json | None:
        """Make one realistic change of `kind`; describe it, or None if none could be made."""
        raise NotImplementedError(kind)
