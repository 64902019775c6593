"""The control API under /_sandbox/: set up, break, change and inspect the emulated services.

Tests and benchmarks use it; it needs no credentials and is not counted in the request log.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from sandbox.config import SandboxConfig
from sandbox.faults import FaultSpecError, parse_fault_spec, plan_from_json
from sandbox.population import Population
from sandbox.seeded import rng
from sandbox.service import Json, World, json_response

if TYPE_CHECKING:
    from sandbox.app import SandboxApp

CREDENTIALS = {
    "zendesk": {"email": "admin@example.com", "api_token": "sandbox-token"},
    "mailchimp": {"api_key": "sandbox-us1"},
    "surveymonkey": {"access_token": "sandbox-token"},
}
LIMIT_KEYS = {
    "rate_limits",
    "zendesk_rpm",
    "zendesk_incremental_rpm",
    "mailchimp_connections",
    "surveymonkey_rpm",
    "surveymonkey_daily",
    "time_scale",
    "latency",
}


class ControlError(Exception):
    pass


class Control:
    def __init__(self, app: SandboxApp) -> None:
        self.app = app
        self._mutations = 0
        self._routes: dict[tuple[str, str], Callable[[Request], Response]] = {
            ("GET", ""): self.index,
            ("POST", "reset"): self.reset,
            ("POST", "seed"): self.seed,
            ("POST", "mutate"): self.mutate,
            ("GET", "faults"): self.get_faults,
            ("POST", "faults"): self.set_faults,
            ("DELETE", "faults"): self.clear_faults,
            ("GET", "requests"): self.requests,
            ("DELETE", "requests"): self.clear_requests,
            ("GET", "state"): self.state,
            ("GET", "limits"): self.get_limits,
            ("POST", "limits"): self.set_limits,
        }

    @property
    def world(self) -> World:
        return self.app.world

    def handle(self, request: Request) -> Response:
        action = request.path.removeprefix("/_sandbox").strip("/")
        route = self._routes.get((request.method, action))
        if route is None:
            known = sorted({f"{m} /_sandbox/{a}" for m, a in self._routes})
            return json_response(
                {"error": f"no control action {request.method} {request.path}", "actions": known},
                404,
            )
        try:
            return route(request)
        except (ControlError, FaultSpecError, ValueError) as error:
            return json_response({"error": str(error)}, 400)

    def _body(self, request: Request) -> Json:
        text = request.get_data(as_text=True)
        if not text:
            return {}
        try:
            body = json.loads(text)
        except json.JSONDecodeError as error:
            raise ControlError(f"the body is not JSON: {error}") from None
        if not isinstance(body, dict):
            raise ControlError("the body must be a JSON object")
        return body

    # --- actions -------------------------------------------------------------------------------

    def index(self, request: Request) -> Response:
        seeding = self.world.population.seeding
        return json_response(
            {
                "credentials": CREDENTIALS,
                "seeding": dataclasses.asdict(seeding),
                "limits": self._limits(),
                "services": {s.name: s.prefix for s in self.app.services},
                "actions": sorted({f"{m} /_sandbox/{a}".rstrip("/") for m, a in self._routes}),
            }
        )

    def reset(self, request: Request) -> Response:
        with self.world.lock:
            for service in self.app.services:
                service.reset()
            self.app.faults.clear()
            self.app.log.clear()
            self._mutations = 0
        return json_response({"reset": True, **dataclasses.asdict(self.world.population.seeding)})

    def seed(self, request: Request) -> Response:
        body = self._body(request)
        unknown = set(body) - {"users", "seed", "anchor"}
        if unknown:
            raise ControlError(f"unknown keys {sorted(unknown)}; expected users, seed, anchor")
        config = self.world.config
        with self.world.lock:
            config.users = _int(body.get("users", config.users), "users")
            config.seed = _int(body.get("seed", config.seed), "seed")
            if "anchor" in body:
                config.anchor = _int(body["anchor"], "anchor")
            self.world.population = Population(config.seeding())
            return self.reset(request)

    def mutate(self, request: Request) -> Response:
        body = self._body(request)
        count = _int(body.get("count", 1), "count")
        kinds_asked = body.get("kinds")
        weighted = [
            (service, kind, weight)
            for service in self.app.services
            for kind, weight in service.mutation_kinds.items()
            if kinds_asked is None or kind in kinds_asked
        ]
        if kinds_asked is not None:
            known = {k for s in self.app.services for k in s.mutation_kinds}
            unknown = set(kinds_asked) - known
            if unknown:
                raise ControlError(
                    f"unknown mutation kinds {sorted(unknown)}; known: {sorted(known)}"
                )
        if not weighted:
            raise ControlError("no service offers a mutation of those kinds")
        changes: list[Json] = []
        with self.world.lock:
            for _ in range(count):
                r = rng(self.world.seed, "mutation", self._mutations)
                self._mutations += 1
                service, kind, _w = r.choices(weighted, weights=[w for *_, w in weighted])[0]
                change = service.mutate(kind, r)
                if change is not None:
                    changes.append({"service": service.name, "kind": kind, **change})
        return json_response({"changes": changes, "count": len(changes)})

    def get_faults(self, request: Request) -> Response:
        return json_response(self.app.faults.as_json())

    def set_faults(self, request: Request) -> Response:
        """Body: {"spec": "zendesk:503=0.1"} or {"rates": {...}, "slow_seconds": 1} and/or
        {"queue": {"mailchimp": ["429", "drop"]}} for exact faults on the next requests."""
        body = self._body(request)
        queue = body.pop("queue", None)
        if "spec" in body:
            self.app.faults.configure(parse_fault_spec(str(body.pop("spec"))))
        elif body:
            self.app.faults.configure(plan_from_json(body))
        if queue is not None:
            if not isinstance(queue, dict):
                raise ControlError("queue must map a service to a list of fault kinds")
            for service, kinds in queue.items():
                self.app.faults.enqueue(str(service), [str(k) for k in kinds])
        return json_response(self.app.faults.as_json())

    def clear_faults(self, request: Request) -> Response:
        self.app.faults.clear()
        return json_response(self.app.faults.as_json())

    def requests(self, request: Request) -> Response:
        since = _int(request.args.get("since", 0), "since")
        return json_response(self.app.log.since(since, request.args.get("service")))

    def clear_requests(self, request: Request) -> Response:
        self.app.log.clear()
        return json_response({"cleared": True})

    def state(self, request: Request) -> Response:
        """The full data of every service (or of `?service=`), streamed: it can be large."""
        wanted = request.args.get("service")
        services = [s for s in self.app.services if wanted in (None, s.name)]
        if not services:
            raise ControlError(f"unknown service {wanted!r}")

        def chunks() -> Iterator[str]:
            yield "{"
            for n, service in enumerate(services):
                with self.world.lock:
                    data = json.dumps(service.state(), ensure_ascii=False)
                yield ("," if n else "") + json.dumps(service.name) + ":" + data
            yield "}"

        return Response(chunks(), content_type="application/json; charset=utf-8")

    def _limits(self) -> Json:
        config = self.world.config
        return {key: getattr(config, key) for key in sorted(LIMIT_KEYS)}

    def get_limits(self, request: Request) -> Response:
        return json_response(self._limits())

    def set_limits(self, request: Request) -> Response:
        body = self._body(request)
        unknown = set(body) - LIMIT_KEYS
        if unknown:
            raise ControlError(f"unknown limit keys {sorted(unknown)}; known: {sorted(LIMIT_KEYS)}")
        current = self._limits()
        current.update(body)
        checked = SandboxConfig(**current)  # validates every value together
        with self.world.lock:
            for key in LIMIT_KEYS:
                setattr(self.world.config, key, getattr(checked, key))
            self.world.clock.scale = checked.time_scale
            for service in self.app.services:
                service.configure_limits()
        return json_response(self._limits())


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ControlError(f"{name} must be an integer, got {value!r}")
    try:
        return int(value)
    except ValueError:
        raise ControlError(f"{name} must be an integer, got {value!r}") from None
