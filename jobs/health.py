"""The health endpoints, on a small HTTP server in a daemon thread.

    server = HealthServer("127.0.0.1", 9180, checks, metrics)
    server.start()          # port 0 picks a free one: see `server.port`
    ...
    server.stop()

GET /healthz  200 or 503: is the process (and its scheduler) alive
GET /readyz   200 or 503: is the config valid, the state store reachable, the last runs not failed
GET /metrics  the Prometheus text of `metrics`

Anything but GET is refused with 405, any other path with 404. The answers hold only what the
checks return; a check that raises is answered with its exception's type, never its message
(which could quote a database URL with its password).
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from jobs.metrics import Metrics

STOP_POLL_SECONDS = 0.05  # how often the serving thread looks whether `stop` was asked


class HealthChecks(Protocol):
    def alive(self) -> tuple[bool, str]:
        """Whether the process and its scheduler are alive, and a word on it."""
        ...

    def ready(self) -> tuple[bool, dict[str, str]]:
        """Whether the service can do its work, with each check's finding by name."""
        ...


class HealthServer:
    """A real HTTP server (werkzeug) answering in a daemon thread until `stop`."""

    def __init__(self, host: str, port: int, checks: HealthChecks, metrics: Metrics) -> None:
        if not 0 <= port <= 65535:
            raise ValueError(f"the health port must be from 0 to 65535, got {port}")
        self.host = host
        self.requested_port = port
        self.checks = checks
        self.metrics = metrics
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("the health server is already started")
        # Bound here, not by werkzeug: on a port in use werkzeug prints and calls sys.exit.
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        try:
            listening = socket.create_server((self.host, self.requested_port), family=family)
        except OSError as error:
            raise OSError(
                f"cannot serve health endpoints on {self.host}:{self.requested_port}: "
                f"{error.strerror or error}"
            ) from None
        with listening:  # werkzeug works on a duplicate of its descriptor
            server = make_server(
                self.host,
                self.requested_port,
                self._app,
                threaded=True,  # requests are answered in daemon threads
                request_handler=_QuietHandler,
                fd=listening.fileno(),
            )
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": STOP_POLL_SECONDS},
            name="health-server",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread

    @property
    def port(self) -> int:
        """The port it listens on (the one picked when started on port 0)."""
        if self._server is None:
            raise RuntimeError("the health server is not started")
        return int(self._server.port)

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.shutdown()
        thread.join()
        server.server_close()
        self._server = self._thread = None

    # --- answering ------------------------------------------------------------------------------

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        response = self._answer(request.method, request.path)
        return response(environ, start_response)

    def _answer(self, method: str, path: str) -> Response:
        route = self._routes().get(path)
        if route is None:
            return _json(404, {"error": f"no such path: {path}; try /healthz, /readyz, /metrics"})
        if method != "GET":
            answer = _json(405, {"error": f"{method} is not allowed; use GET"})
            answer.headers["Allow"] = "GET"
            return answer
        try:
            return route()
        except Exception as error:
            failure = f"check raised {type(error).__name__}"
            return _json(503, {"status": "failing", "error": failure})

    def _routes(self) -> dict[str, Callable[[], Response]]:
        return {"/healthz": self._healthz, "/readyz": self._readyz, "/metrics": self._metrics}

    def _healthz(self) -> Response:
        alive, detail = self.checks.alive()
        status = "ok" if alive else "failing"
        return _json(200 if alive else 503, {"status": status, "detail": detail})

    def _readyz(self) -> Response:
        ready, checks = self.checks.ready()
        status = "ready" if ready else "not ready"
        return _json(200 if ready else 503, {"status": status, "checks": dict(checks)})

    def _metrics(self) -> Response:
        body, content_type = self.metrics.render()
        return Response(body, status=200, headers={"Content-Type": content_type})


def _json(status: int, body: dict[str, object]) -> Response:
    return Response(json.dumps(body) + "\n", status=status, mimetype="application/json")


class _QuietHandler(WSGIRequestHandler):
    """No access log: werkzeug's would print plain text lines among the service's JSON lines."""

    def log(self, type: str, message: str, *args: Any) -> None:
        return None
