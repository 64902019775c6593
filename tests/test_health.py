"""The health server: a real werkzeug server on a free port, asked over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from jobs.health import HealthServer
from jobs.metrics import Metrics

SECRET = "postgres://deskbridge:hunter2-secret@db/state"


@dataclass
class Checks:
    is_alive: bool = True
    is_ready: bool = True
    findings: dict[str, str] = field(default_factory=lambda: {"config": "valid", "store": "ok"})
    broken: bool = False

    def alive(self) -> tuple[bool, str]:
        if self.broken:
            raise RuntimeError(f"cannot reach {SECRET}")
        return self.is_alive, "scheduler running" if self.is_alive else "scheduler stopped"

    def ready(self) -> tuple[bool, dict[str, str]]:
        if self.broken:
            raise ConnectionError(f"cannot reach {SECRET}")
        return self.is_ready, self.findings


@pytest.fixture
def checks() -> Checks:
    return Checks()


@pytest.fixture
def server(checks: Checks) -> Iterator[HealthServer]:
    server = HealthServer("127.0.0.1", 0, checks, Metrics())
    server.start()
    yield server
    server.stop()


def get(server: HealthServer, path: str, method: str = "GET") -> requests.Response:
    return requests.request(method, f"http://127.0.0.1:{server.port}{path}", timeout=10)


def test_port_zero_picks_a_free_port(server: HealthServer) -> None:
    assert server.port > 0


def test_healthz_is_200_while_alive_and_503_when_not(server: HealthServer, checks: Checks) -> None:
    answer = get(server, "/healthz")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json() == {"status": "ok", "detail": "scheduler running"}
    checks.is_alive = False
    answer = get(server, "/healthz")
    assert answer.status_code == 503
    assert answer.json() == {"status": "failing", "detail": "scheduler stopped"}


def test_readyz_shows_each_check_and_fails_when_one_does(
    server: HealthServer, checks: Checks
) -> None:
    answer = get(server, "/readyz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ready", "checks": {"config": "valid", "store": "ok"}}
    checks.is_ready = False
    checks.findings = {"config": "valid", "runs": "the last 3 runs failed"}
    answer = get(server, "/readyz")
    assert answer.status_code == 503
    assert answer.json() == {
        "status": "not ready",
        "checks": {"config": "valid", "runs": "the last 3 runs failed"},
    }


def test_metrics_answers_prometheus_text(server: HealthServer) -> None:
    answer = get(server, "/metrics")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain")
    names = {family.name for family in text_string_to_metric_families(answer.text)}
    assert "deskbridge_runs" in names and "deskbridge_run_duration_seconds" in names


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
def test_anything_but_get_is_refused_with_405(server: HealthServer, method: str) -> None:
    for path in ("/healthz", "/readyz", "/metrics"):
        answer = get(server, path, method)
        assert answer.status_code == 405, (method, path)
        assert answer.headers["Allow"] == "GET"


@pytest.mark.parametrize("path", ["/", "/health", "/healthz/", "/metrics/x", "/readyz.json"])
def test_an_unknown_path_is_404(server: HealthServer, path: str) -> None:
    answer = get(server, path)
    assert answer.status_code == 404
    assert "/healthz" in answer.json()["error"]


def test_a_check_that_raises_is_503_without_its_message(
    server: HealthServer, checks: Checks
) -> None:
    checks.broken = True
    for path, error in (("/healthz", "RuntimeError"), ("/readyz", "ConnectionError")):
        answer = get(server, path)
        assert answer.status_code == 503
        assert answer.json() == {"status": "failing", "error": f"check raised {error}"}
        assert "hunter2" not in answer.text


def test_after_stop_nothing_answers(checks: Checks) -> None:
    server = HealthServer("127.0.0.1", 0, checks, Metrics())
    server.start()
    port = server.port
    assert get(server, "/healthz").status_code == 200
    server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.port
    server.stop()  # a second stop is harmless


def test_a_port_in_use_is_a_clear_error(server: HealthServer, checks: Checks) -> None:
    second = HealthServer("127.0.0.1", server.port, checks, Metrics())
    with pytest.raises(OSError, match=f"cannot serve health endpoints on 127.0.0.1:{server.port}"):
        second.start()


def test_a_port_out_of_range_is_refused(checks: Checks) -> None:
    with pytest.raises(ValueError, match="from 0 to 65535, got 70000"):
        HealthServer("127.0.0.1", 70000, checks, Metrics())
