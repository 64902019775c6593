"""Two `deskbridge run` processes sharing one PostgreSQL state store never sync at the same time
(the store's advisory lock, held for the run); when the one running is killed with SIGKILL,
PostgreSQL frees its lock and the other runs at its next slot."""

from __future__ import annotations

import itertools
import signal
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from sqlalchemy import URL, create_engine, make_url, text

from tests.test_service_run import (
    Service,
    World,
    no_secret_in,
    running,
    service_env,
    world,  # noqa: F401 (the sandbox fixture, shared with the single-instance tests)
)

pytestmark = pytest.mark.slow

PASSWORD_VARIABLE = "DESKBRIDGE_TEST_STATE_PASSWORD"


@pytest.fixture
def shared(
    world: World,  # noqa: F811
    postgres_url: str,
) -> Iterator[tuple[World, Any, dict[str, str]]]:
    """A config on the reset sandbox whose state store is the fresh PostgreSQL database."""
    url = make_url(postgres_url)
    env = service_env(DESKBRIDGE_HEALTH__ENABLED="false")
    without_password = URL.create(
        url.drivername, url.username, None, url.host, url.port, url.database, url.query
    )
    config = world.config(state_url=without_password.render_as_string(hide_password=False))
    if url.password is not None:
        env[PASSWORD_VARIABLE] = str(url.password)
        text_ = config.read_text(encoding="utf-8")
        text_ = text_.replace("[state]\n", f'[state]\npassword = "env:{PASSWORD_VARIABLE}"\n', 1)
        config.write_text(text_, encoding="utf-8")
    world.reset()
    world.latency(0.05)  # runs of a few seconds: longer than the two-second slots
    yield world, config, env
    world.latency(0.0)


def runs_of(postgres_url: str) -> list[tuple[int, str, int, int | None]]:
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, status, started_at, finished_at FROM runs ORDER BY started_at, id")
            )
            return [(r.id, r.status, r.started_at, r.finished_at) for r in rows]
    finally:
        engine.dispose()


def in_a_run(service: Service) -> bool:
    """Its last run has started (it holds the store) and not finished."""
    started = service.events("run_started")
    return bool(started) and len(service.events("run_finished")) < len(started)


def test_two_instances_never_sync_at_once_and_the_survivor_takes_over(
    shared: tuple[World, Any, dict[str, str]], postgres_url: str
) -> None:
    _, config, env = shared
    with ExitStack() as stack:
        first = stack.enter_context(running(config, env))
        first.wait_for("service_started")
        time.sleep(1.0)  # half a slot: the two instances' slots alternate
        second = stack.enter_context(running(config, env))
        both = (first, second)

        deadline = time.monotonic() + 90
        while not (skipped(both) >= 2 and finished(both) >= 2 and any(map(in_a_run, both))):
            assert time.monotonic() < deadline, first.log() + "\n---\n" + second.log()
            time.sleep(0.05)
        victim = next(s for s in both if in_a_run(s))
        survivor = second if victim is first else first
        killed_run = int(victim.events("run_started")[-1]["run"])
        victim.process.send_signal(signal.SIGKILL)
        victim.process.wait(10)
        killed_at = int(time.time())

        before = len(survivor.events("run_started"))
        taken = survivor.wait_for("run_started", count=before + 1, timeout=60)
        done = survivor.wait_for("run_finished", run=taken["run"], timeout=60)
        assert done["status"] == "succeeded", survivor.log()
        survivor.stop()
    for service in both:
        no_secret_in(service.log())

    runs = runs_of(postgres_url)
    assert [r for r in runs if r[1] == "running"] == [
        next(r for r in runs if r[0] == killed_run)
    ], "only the killed run is left unfinished"
    intervals = sorted(
        (started, finished if finished is not None else killed_at, run_id)
        for run_id, _, started, finished in runs
    )
    for (_, end, one), (start, _, other) in itertools.pairwise(intervals):
        assert start >= end, f"runs {one} and {other} overlap: {runs}"
    after_kill = [run for run in runs if run[0] != killed_run and run[2] >= killed_at]
    assert after_kill, f"no run after the kill: {runs}"


def skipped(services: tuple[Service, ...]) -> int:
    return sum(len(s.events("run_skipped", why="another instance runs it")) for s in services)


def finished(services: tuple[Service, ...]) -> int:
    return sum(len(s.events("run_finished")) for s in services)
