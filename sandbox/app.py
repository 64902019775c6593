"""The WSGI application: one port, three services, a control API, faults and a request log."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from sandbox.config import SandboxConfig
from sandbox.faults import FaultInjector
from sandbox.requestlog import RequestLog
from sandbox.service import Service, World, json_response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

CONTROL_PREFIX = "/_sandbox"


class SandboxApp:
    def __init__(self, config: SandboxConfig) -> None:
        # Imported here so that a service module may import this one's helpers without a cycle.
        from sandbox.control import Control
        from sandbox.registry import build_services

        self.world = World(config)
        self.faults = FaultInjector(config.seed, config.faults)
        self.log = RequestLog()
        self.services: list[Service] = build_services(self.world)
        self.control = Control(self)

    def service_for(self, path: str) -> Service | None:
        for service in self.services:
            if path == service.prefix or path.startswith(service.prefix + "/"):
                return service
        return None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        if request.path == CONTROL_PREFIX or request.path.startswith(CONTROL_PREFIX + "/"):
            return self.control.handle(request)(environ, start_response)
        service = self.service_for(request.path)
        if service is None:
            response = json_response(
                {"error": "NotFound", "description": f"no emulated API serves {request.path}"}, 404
            )
            return response(environ, start_response)
        started = time.perf_counter()
        answer, fault = self._answer(service, request)
        self.log.record(
            {
                "service": service.name,
                "method": request.method,
                "path": request.path,
                "query": request.query_string.decode("latin-1"),
                "status": answer.status_code if answer is not None else 0,
                "fault": fault,
                "time": time.time(),
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            }
        )
        if answer is None:
            return _drop_connection(environ, start_response)
        return answer(environ, start_response)

    def _answer(self, service: Service, request: Request) -> tuple[Response | None, str | None]:
        """The response to send (None to drop the connection) and the fault injected, if any."""
        turned_away = service.enter()
        if turned_away is not None:
            return turned_away, "connections"
        try:
            if self.world.config.latency:
                time.sleep(self.world.config.latency)
            fault = self.faults.decide(service.name)
            if fault == "drop":
                return None, fault
            if fault in ("500", "502", "503", "429"):
                return service.fault_response(int(fault)), fault
            if fault == "slow":
                time.sleep(self.faults.plan.slow_seconds)
            refused = service.authenticate(request)
            if refused is not None:
                return refused, fault
            with self.world.lock:
                throttled, headers = service.admit(request)
                response = throttled or service.dispatch(request)
            response.headers.update(headers)
            if fault == "malformed":
                _break_body(response)
            return response, fault
        finally:
            service.leave()


def _break_body(response: Response) -> None:
    """Cut the body off half-way, as a proxy that gave up mid-stream would."""
    data = response.get_data()
    response.set_data(data[: len(data) // 2] if len(data) > 1 else b'{"')


def _drop_connection(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """Close the socket without answering; the server then sees a dropped connection."""
    sock: Any = environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    start_response("500 Connection Dropped", [("Content-Length", "0"), ("Connection", "close")])
    return [b""]
