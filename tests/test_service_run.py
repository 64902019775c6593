"""`deskbridge run` as a real process against the sandbox: it runs its jobs, answers /healthz and
/readyz, keeps its last valid config on SIGHUP, stops gracefully on SIGTERM (the run in flight
stored as "stopped", the next sync finishing its work), and exits at once on a second signal.

The service's slots are at least a minute; DESKBRIDGE_TEST_TIME_SCALE=30 makes a minute two
seconds (the sandbox runs on the same clock).
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from jobs import commands
from jobs.demo import SECRETS, write_config
from jobs.metrics import Metrics
from jobs.progress import Progress, Stage, StopRequested
from jobs.stopping import SHORT_WAIT_SECONDS, stoppable_sleep
from jobs.sync import EXIT_OK, SyncOptions, exit_code
from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer
from tests.sandbox_helpers import fast_sandbox
from tests.sync_state_helpers import TIME_SCALE, differences, final_state

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
USERS = 250
SEED = 11
SCHEDULE = """[schedule]
stop_timeout = "{stop_timeout}"

[[schedule.jobs]]
name = "{name}"
every = "1m"

"""
_LOGFMT = re.compile(r'(\w[\w:.-]*)=("(?:[^"\\]|\\.)*"|\S+)')

Json = dict[str, Any]


# --- a service process and its log ----------------------------------------------------------


def parse_line(line: str) -> Json:
    """A JSON log line, or a `key=value` one (as on a terminal, or before JSON logs)."""
    try:
        found: Json = json.loads(line)
        return found
    except json.JSONDecodeError:
        pairs = _LOGFMT.findall(line)
        return {k: json.loads(v) if v.startswith('"') else v for k, v in pairs}


@dataclass
class Service:
    process: subprocess.Popen[str]
    health_port: int
    lines: list[str] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)
    ended: bool = False  # the whole log is read: the process has exited

    def read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()
        with self.changed:
            self.ended = True
            self.changed.notify_all()

    def read_to_the_end(self, timeout: float = 10.0) -> None:
        with self.changed:
            self.changed.wait_for(lambda: self.ended, timeout)

    def events(self, name: str, **fields: Any) -> list[Json]:
        with self.changed:
            parsed = [parse_line(line) for line in self.lines]
        return [
            e
            for e in parsed
            if e.get("event") == name and all(str(e.get(k)) == str(v) for k, v in fields.items())
        ]

    def wait_for(self, name: str, count: int = 1, timeout: float = 60.0, **fields: Any) -> Json:
        """The `count`-th event called `name` (with these fields), once it is logged."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(found := self.events(name, **fields)) < count:
                left = deadline - time.monotonic()
                if left <= 0 or self.ended:
                    raise AssertionError(
                        f"no {name} event #{count} {fields} within {timeout} s; the log:\n"
                        + self.log()
                    )
                self.changed.wait(min(left, 0.5))
        return found[count - 1]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60.0) -> tuple[int, float]:
        """Send `sig`; the exit code and how long the process took to exit."""
        sent = time.monotonic()
        self.process.send_signal(sig)
        code = self.process.wait(timeout)
        took = time.monotonic() - sent
        self.read_to_the_end()
        return code, took

    def log(self) -> str:
        with self.changed:
            return "\n".join(self.lines[-80:])

    def get(self, path: str) -> requests.Response:
        return requests.get(f"http://127.0.0.1:{self.health_port}{path}", timeout=10)


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def service_config(
    folder: Path,
    sandbox_url: str,
    *,
    name: str = "incremental",
    stop_timeout: str = "30s",
    health_port: int = 9180,
    state_url: str | None = None,
) -> Path:
    """The example config on the sandbox, with one job every (scaled) minute."""
    path = write_config(folder, sandbox_url)
    text = path.read_text(encoding="utf-8")
    start, end = text.index("[schedule]"), text.index("# --- health and metrics")
    schedule = SCHEDULE.format(name=name, stop_timeout=stop_timeout)
    text = text[:start] + schedule + text[end:]
    text = text.replace("port = 9180", f"port = {health_port}")
    if state_url is not None:
        text = re.sub(r'^url = "sqlite:[^"]*"$', f'url = "{state_url}"', text, flags=re.M)
    path.write_text(text, encoding="utf-8")
    return path


def service_env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        **SECRETS,
        "PYTHONPATH": str(ROOT),
        "DESKBRIDGE_TEST_TIME_SCALE": str(TIME_SCALE),
        **extra,
    }


@contextmanager
def running(config: Path, env: dict[str, str], health_port: int = 0) -> Iterator[Service]:
    """`deskbridge run` in a child process, its log read as it comes; killed if still running."""
    process = subprocess.Popen(
        [sys.executable, "-m", "jobs.cli", "run", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=config.parent,
    )
    service = Service(process, health_port)
    reader = threading.Thread(target=service.read, daemon=True)
    reader.start()
    try:
        yield service
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        reader.join(10)
        assert process.stdout is not None
        process.stdout.close()


# --- the sandbox, and what an undisturbed sync leaves in it ---------------------------------


@dataclass
class World:
    sandbox: SandboxServer
    folders: pytest.TempPathFactory

    def reset(self) -> None:
        requests.post(f"{self.sandbox.url}/_sandbox/reset", timeout=60).raise_for_status()

    def latency(self, seconds: float) -> None:
        answer = requests.post(
            f"{self.sandbox.url}/_sandbox/limits", json={"latency": seconds}, timeout=30
        )
        answer.raise_for_status()

    def config(self, **settings: Any) -> Path:
        return service_config(self.folders.mktemp("service"), self.sandbox.url, **settings)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with fast_sandbox(USERS, SEED) as sandbox:
        yield World(sandbox, tmp_path_factory)


def sync(config: Path) -> int:
    out = io.StringIO()
    return commands.sync(
        str(config), SyncOptions(), as_json=True, out=out, window_seconds=60 / TIME_SCALE
    )


@pytest.fixture(scope="module")
def undisturbed(world: World) -> dict[str, Any]:
    """What one undisturbed sync of the seeded sandbox leaves in it."""
    world.reset()
    assert sync(world.config()) == EXIT_OK
    state = final_state(world.sandbox.url)
    world.reset()
    return state


@pytest.fixture
def fresh(world: World) -> Iterator[World]:
    world.reset()
    world.latency(0.0)
    yield world
    world.latency(0.0)


def stored_runs(config: Path) -> list[tuple[int, str, int, int | None]]:
    """(id, status, started_at, finished_at) of every run in the config's SQLite store."""
    with closing(sqlite3.connect(config.parent / "deskbridge-state.db")) as db:
        return list(db.execute("SELECT id, status, started_at, finished_at FROM runs ORDER BY id"))


def no_secret_in(text: str) -> None:
    for name, value in SECRETS.items():
        assert value not in text, f"the log shows the secret {name}"


# --- the tests ---------------------------------------------------------------------------------


def test_the_service_runs_its_job_answers_health_and_keeps_its_config_on_a_bad_sighup(
    fresh: World,
) -> None:
    port = free_port()
    config = fresh.config(health_port=port)
    with running(config, service_env(), port) as service:
        first = service.wait_for("run_finished", job="incremental")
        assert first["status"] == "succeeded", service.log()
        changed = {e["list"]: e for e in service.events("list_changed", run=first["run"])}
        assert changed["VIP customers"]["joined"] == changed["VIP customers"]["members"] > 0
        applied = {e["destination"] for e in service.events("destination_applied")}
        assert {"zendesk:users", "mailchimp:Retail customers"} <= applied, applied
        assert service.get("/healthz").json() == {"status": "ok", "detail": "the scheduler runs"}
        ready = service.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"config": "ok", "store": "ok", "runs": "ok"}
        metrics = service.get("/metrics").text
        assert 'deskbridge_runs_total{job="incremental",status="succeeded"}' in metrics

        good = config.read_text(encoding="utf-8")
        config.write_text(good.replace('every = "1m"', 'every = "soon"'), encoding="utf-8")
        service.process.send_signal(signal.SIGHUP)
        refused = service.wait_for("config_refused", why="SIGHUP")
        assert "schedule.jobs[0].every" in refused["problems"]
        runs_before = len(service.events("run_finished"))
        kept = service.wait_for("run_finished", count=runs_before + 1, job="incremental")
        assert kept["status"] == "succeeded"  # the last valid config goes on running
        not_ready = service.get("/readyz")
        assert not_ready.status_code == 503
        assert not_ready.json()["checks"]["config"].startswith("refused: 1 problem")

        config.write_text(good.replace('name = "incremental"', 'name = "renamed"'), "utf-8")
        service.process.send_signal(signal.SIGHUP)
        service.wait_for("config_reloaded", why="SIGHUP")
        service.wait_for("job_scheduled", job="renamed")
        service.wait_for("run_finished", job="renamed")
        assert service.get("/readyz").status_code == 200

        code, took = service.stop()
    assert code == 0, service.log()
    assert took < 10
    service.wait_for("stopped", signal="SIGTERM")
    no_secret_in(service.log())
    runs = stored_runs(config)
    assert all(status == "succeeded" for _, status, _, _ in runs), runs
    assert len(runs) == len(service.events("run_finished"))


def test_sigterm_during_a_run_stores_it_as_stopped_and_the_next_sync_finishes_the_work(
    undisturbed: dict[str, Any], fresh: World
) -> None:
    config = fresh.config(stop_timeout="20s")
    fresh.latency(0.1)  # a run of about six seconds
    with running(config, service_env()) as service:
        service.wait_for("run_started")
        time.sleep(0.3)
        code, took = service.stop()
    assert code == 0, service.log()
    assert took < 20
    stopped = service.wait_for("run_finished")
    assert stopped["status"] == "stopped", service.log()
    assert stopped["error"].startswith("stop requested")
    assert [status for _, status, _, _ in stored_runs(config)] == ["stopped"]
    no_secret_in(service.log())

    fresh.latency(0.0)
    assert sync(config) == EXIT_OK
    assert [status for _, status, _, _ in stored_runs(config)] == ["stopped", "succeeded"]
    assert differences(undisturbed, final_state(fresh.sandbox.url)) == []


def test_sigterm_during_a_one_shot_sync_stops_it_after_its_batch(
    undisturbed: dict[str, Any], fresh: World
) -> None:
    config = fresh.config()
    fresh.latency(0.1)  # a run of about six seconds
    process = subprocess.Popen(
        [sys.executable, "-m", "jobs.cli", "sync", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=service_env(),
        cwd=config.parent,
    )
    assert process.stdout is not None
    for line in process.stdout:  # the first stage's line: the run is under way
        if '"event": "stage"' in line:
            break
    process.send_signal(signal.SIGTERM)
    output = line + process.stdout.read()
    process.stdout.close()
    assert process.wait(30) == 128 + signal.SIGTERM, output
    assert "status: stopped" in output, output
    assert [status for _, status, _, _ in stored_runs(config)] == ["stopped"]

    fresh.latency(0.0)
    assert sync(config) == EXIT_OK
    assert differences(undisturbed, final_state(fresh.sandbox.url)) == []


def test_a_second_signal_exits_at_once(fresh: World) -> None:
    config = fresh.config(stop_timeout="60s")
    fresh.latency(0.5)  # a run far longer than the test waits
    with running(config, service_env()) as service:
        service.wait_for("run_started")
        service.process.send_signal(signal.SIGTERM)
        service.wait_for("stopping")
        code, took = service.stop(signal.SIGINT)
    assert code == 128 + signal.SIGINT
    assert took < 5
    assert service.events("stop_forced", signal="SIGINT")


def test_a_run_that_does_not_stop_within_stop_timeout_is_left_with_exit_1(fresh: World) -> None:
    config = fresh.config(stop_timeout="1s")
    fresh.latency(1.0)  # every request a second: the pull alone outlasts the timeout
    with running(config, service_env()) as service:
        service.wait_for("run_started")
        code, took = service.stop()
    assert code == 1, service.log()
    assert 1 <= took < 10
    timed_out = service.wait_for("stop_timed_out")
    assert "did not stop within 1 s" in timed_out["message"]


def test_a_one_shot_sync_serves_health_on_the_port_it_is_given(fresh: World) -> None:
    port = free_port()
    config = fresh.config()
    fresh.latency(0.05)  # a sync of a few seconds, to ask while it runs
    command = ["sync", "--json", "--config", str(config), "--health-port", str(port)]
    process = subprocess.Popen(
        [sys.executable, "-m", "jobs.cli", *command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=service_env(),
        cwd=config.parent,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "the sync ended before its health port answered"
            assert time.monotonic() < deadline
            try:
                alive = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        assert alive.json() == {"status": "ok", "detail": "a one-shot sync runs"}
        ready = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
        assert ready.json()["checks"] == {"config": "ok", "store": "ok"}
        metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        assert metrics.status_code == 200
        assert process.wait(60) == EXIT_OK
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    with pytest.raises(requests.ConnectionError):  # the port is closed with the sync
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)


@pytest.mark.parametrize("port", ["-1", "65536", "http"])
def test_a_health_port_out_of_range_is_a_usage_error(
    port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from jobs.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["sync", "--health-port", port])
    assert exit_.value.code == 2
    assert f"expected a port from 0 to 65535, got {port!r}" in capsys.readouterr().err


class StageWatch(Progress):
    """A quiet progress that knows which stage runs, to ask for a stop in that one once it has
    done some of its work."""

    running: Stage | None = None

    @contextmanager
    def stage(self, name: str, total: int | None = None) -> Iterator[Stage]:
        with super().stage(name, total) as stage:
            self.running = stage
            yield stage

    def under_way(self, name: str) -> bool:
        return self.running is not None and self.running.name == name and self.running.done > 0


STORED_BEFORE_THE_STOP = {
    "write back to Zendesk": "zendesk",
    "push to Mailchimp": "mailchimp",
    "send survey invitations": "surveymonkey",
}


@pytest.mark.parametrize(
    "stage",
    [
        "pull from Zendesk",
        "read Mailchimp audiences",
        "evaluate profiles",
        "write back to Zendesk",
        "push to Mailchimp",
        "send survey invitations",
    ],
)
def test_a_stop_asked_during_a_stage_ends_the_run_after_a_stored_page(
    undisturbed: dict[str, Any], fresh: World, stage: str
) -> None:
    config = fresh.config()
    progress = StageWatch(None, should_stop=lambda: progress.under_way(stage))
    session = commands.open_session(str(config), window_seconds=60 / TIME_SCALE)
    try:
        report = commands.run_session(session, SyncOptions(), progress, Metrics(), "test")
    finally:
        session.close()
    assert report.status == "stopped"
    assert report.error is not None and f"'{stage}'" in report.error, report.error
    if stage in STORED_BEFORE_THE_STOP:  # the batch in flight was sent and its outcome kept
        done = {r.destination.split(":")[0]: r.done for r in report.results}
        assert done.get(STORED_BEFORE_THE_STOP[stage], 0) > 0, report.results
    assert exit_code(report) == EXIT_OK
    assert sync(config) == EXIT_OK
    assert [status for _, status, _, _ in stored_runs(config)] == ["stopped", "succeeded"]
    assert differences(undisturbed, final_state(fresh.sandbox.url)) == []


def test_a_long_wait_ends_when_a_stop_is_asked_and_a_short_one_runs_out() -> None:
    stopping = threading.Event()
    sleep = stoppable_sleep(stopping)
    threading.Timer(0.2, stopping.set).start()
    began = time.monotonic()
    with pytest.raises(StopRequested, match="during a wait of 100 s"):
        sleep(100)
    assert time.monotonic() - began < 5
    began = time.monotonic()
    sleep(0.3)  # a bulk job's poll: it runs out, so the batch it belongs to finishes
    assert 0.3 <= time.monotonic() - began < SHORT_WAIT_SECONDS


def test_sigterm_while_a_run_waits_out_a_rate_limit_stops_it_at_once(
    tmp_path: Path,
) -> None:
    # Real time, six Zendesk requests a minute: the run soon waits the best part of a minute.
    limited = SandboxConfig(users=40, seed=SEED, zendesk_rpm=6, time_scale=1.0)
    with SandboxServer(limited) as sandbox:
        config = service_config(tmp_path, sandbox.url, stop_timeout="20s")
        with running(config, service_env()) as service:
            deadline = time.monotonic() + 60
            while not _zendesk_refused(sandbox.url):
                assert time.monotonic() < deadline, service.log()
                time.sleep(0.2)
            time.sleep(0.5)
            code, took = service.stop()
    assert code == EXIT_OK, service.log()
    assert took < 10, service.log()
    finished = service.wait_for("run_finished")
    assert finished["status"] == "stopped", service.log()
    assert "during a wait of" in finished["error"]
    assert [status for _, status, _, _ in stored_runs(config)] == ["stopped"]


def _zendesk_refused(url: str) -> bool:
    log = requests.get(f"{url}/_sandbox/requests", timeout=10).json()
    entries = log["requests"] if isinstance(log, dict) else log
    return any(e["service"] == "zendesk" and e["status"] == 429 for e in entries)
