"""A sync killed anywhere, or served by flaky services, ends where an undisturbed one does.

One undisturbed sync on the freshly seeded sandbox gives the expected final state. Each crash
scenario resets the sandbox, starts the sync in a subprocess with a fresh state folder, kills it
with SIGKILL at a chosen point — once the sandbox has answered request number k, or a little
after the pull's last request (inside the evaluation) — and syncs again to completion. The final
state must equal the expected one; no survey invitation may be sent twice and no unsubscribed or
cleaned Mailchimp member may be made subscribed.

The kill points are request numbers of the undisturbed run (59 requests with these settings):

    1-8    pull: user fields, groups, audiences, users and tickets exports, ratings, members
    9-12   Zendesk write-back: users update_many, its job, tickets update_many, its job
    13-45  Mailchimp: merge fields, the add and the update batch, tags as static segments
    46-59  SurveyMonkey: per survey the survey, its collector and message (made), recipients, send
"""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from jobs import commands
from jobs.demo import SECRETS, write_config
from jobs.sync import EXIT_OK, EXIT_PARTIAL, SyncOptions
from sandbox.server import SandboxServer
from tests.sandbox_helpers import fast_sandbox
from tests.sync_state_helpers import (
    CHILD,
    TIME_SCALE,
    Json,
    State,
    consent_overridden,
    differences,
    final_state,
    invited_twice,
    member_statuses,
    messages_sent_more_than_once,
    request_log,
    service_state,
)

pytestmark = pytest.mark.slow

USERS = 250
SEED = 11
KILL_LATENCY = 0.01  # real seconds per API request while a kill is due: it lands on time
NOW = int(time.time())  # one clock for every run, so every run wants the same
ROOT = Path(__file__).resolve().parent.parent
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Kill once the sandbox has answered this many requests (the k-th is applied, its answer may
# not have reached the sync yet).
KILL_AT = {
    "pull": (1, 4, 6, 7),
    "zendesk": (9, 10, 11, 12),
    "mailchimp": (14, 18, 19, 27, 41, 44),
    "surveymonkey": (48, 50, 51, 52, 58),
}
# Kill this long after the pull's last answer: the sync is evaluating and planning.
EVALUATION_DELAYS = (0.005, 0.03, 0.06)
TRIES = 3  # a kill that overshoots its request (the next one was quicker) is tried again
FAULTS = "all:500=0.04,all:502=0.03,all:503=0.03,all:429=0.05,all:drop=0.02"
MAX_RUNS_WITH_FAULTS = 5


@dataclass
class Baseline:
    state: State
    requests: int
    pull_end: int  # requests answered before the first write
    seeded_statuses: dict[str, str]


@dataclass
class World:
    sandbox: SandboxServer
    folders: pytest.TempPathFactory
    env: dict[str, str]
    spares: list[subprocess.Popen[bytes]] = field(default_factory=list)
    start: int = 0

    @property
    def url(self) -> str:
        return self.sandbox.url

    def reset(self) -> Path:
        """The seeded sandbox, an empty request log, no faults; a fresh state folder. The log's
        numbering goes on: `self.start` is the first number of this scenario's requests."""
        requests.post(f"{self.url}/_sandbox/reset", timeout=60).raise_for_status()
        with requests.Session() as poll:
            self.start = next_seq(poll, self.url)
        return write_config(self.folders.mktemp("crash"), self.url)

    def latency(self, seconds: float) -> None:
        answer = requests.post(f"{self.url}/_sandbox/limits", json={"latency": seconds}, timeout=30)
        answer.raise_for_status()

    def log(self) -> list[Json]:
        return request_log(self.url, self.start)

    def spare(self) -> subprocess.Popen[bytes]:
        """A child with its imports done, waiting for its order (and a new one started)."""
        while len(self.spares) < 2:
            self.spares.append(
                subprocess.Popen(
                    [sys.executable, "-c", CHILD],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env=self.env,
                    cwd=ROOT,
                )
            )
        return self.spares.pop(0)


def sync(config: Path) -> int:
    out = io.StringIO()
    code = commands.sync(
        str(config), SyncOptions(now=NOW), as_json=True, out=out, window_seconds=60 / TIME_SCALE
    )
    assert code in (EXIT_OK, EXIT_PARTIAL), out.getvalue()
    return code


def sync_to_completion(config: Path) -> int:
    """Sync until a run succeeds; the number of runs it took."""
    for runs in range(1, MAX_RUNS_WITH_FAULTS + 1):
        if sync(config) == EXIT_OK:
            return runs
    raise AssertionError(f"no sync succeeded in {MAX_RUNS_WITH_FAULTS} runs")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    env = {**os.environ, **SECRETS, "PYTHONPATH": str(ROOT)}
    with fast_sandbox(USERS, SEED) as sandbox:
        found = World(sandbox, tmp_path_factory, env)
        try:
            yield found
        finally:
            for child in found.spares:
                assert child.stdin is not None
                child.stdin.close()
                child.kill()
                child.wait()


@pytest.fixture(scope="module")
def baseline(world: World) -> Baseline:
    config = world.reset()
    seeded = member_statuses(service_state(world.url, "mailchimp"))
    sync_to_completion(config)
    log = world.log()
    first_write = next(e["seq"] for e in log if e["method"] in WRITES)
    found = Baseline(final_state(world.url), len(log), first_write - world.start, seeded)
    assert_promises_kept(world, found, "the undisturbed sync")
    assert found.requests >= max(k for ks in KILL_AT.values() for k in ks), (
        f"the undisturbed sync made {found.requests} requests, fewer than the kill points "
        f"assume: update KILL_AT"
    )
    return found


def assert_promises_kept(world: World, baseline: Baseline, scenario: str) -> None:
    surveymonkey = service_state(world.url, "surveymonkey")
    broken = (
        invited_twice(surveymonkey)
        + messages_sent_more_than_once(world.log(), surveymonkey)
        + consent_overridden(baseline.seeded_statuses, service_state(world.url, "mailchimp"))
    )
    assert not broken, f"{scenario}: " + "; ".join(broken)


def assert_ends_as_undisturbed(world: World, baseline: Baseline, scenario: str) -> None:
    found = differences(baseline.state, final_state(world.url))
    assert not found, f"{scenario}: the final state differs:\n  " + "\n  ".join(found)
    assert_promises_kept(world, baseline, scenario)


def next_seq(poll: requests.Session, url: str) -> int:
    answer = poll.get(f"{url}/_sandbox/requests", params={"since": 10**9}, timeout=30)
    return int(answer.json()["next_seq"])


def kill_at(world: World, answered: int, delay: float = 0.0) -> tuple[Path, str]:
    """A reset sandbox and a fresh state folder where a sync was killed after `answered`
    requests (tried again if it overshot), and where exactly it died."""
    for _ in range(TRIES):
        config = world.reset()
        reached, where = start_and_kill(world, config, answered, delay)
        if reached == answered:
            break
    return config, where


def start_and_kill(
    world: World, config: Path, answered: int, delay: float = 0.0
) -> tuple[int, str]:
    """Start a sync in a child, SIGKILL it once `answered` requests are answered (and `delay`
    more seconds); say where it died."""
    child = world.spare()
    assert child.stdin is not None
    world.latency(KILL_LATENCY)
    child.stdin.write(json.dumps({"config": str(config), "now": NOW}).encode() + b"\n")
    child.stdin.close()
    with requests.Session() as poll:
        while (seen := next_seq(poll, world.url) - world.start) < answered:
            if child.poll() is not None:
                pytest.fail(f"the sync ended (exit {child.returncode}) after {seen} requests")
            time.sleep(0.0002)
        if delay:
            time.sleep(delay)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        reached = next_seq(poll, world.url) - world.start
    world.latency(0.0)
    return (
        reached,
        f"killed after {reached} requests answered; the store had {store_counts(config)}",
    )


COUNTS = {
    "profiles": "SELECT count(*) FROM profiles",
    "dirty profiles": "SELECT count(*) FROM dirty_profiles",
    "memberships": "SELECT count(*) FROM memberships",
    "outbox rows": "SELECT count(*) FROM outbox",
}


def store_counts(config: Path) -> str:
    """How far the killed sync got, as its state store shows it."""
    path = config.parent / "deskbridge-state.db"
    if not path.exists():
        return "no state file"
    with closing(sqlite3.connect(path)) as db:
        counts = {table: db.execute(query).fetchone()[0] for table, query in COUNTS.items()}
    return ", ".join(f"{n} {table}" for table, n in counts.items())


KILL_POINTS = [
    pytest.param(stage, k, id=f"{stage}-after-request-{k}")
    for stage, points in KILL_AT.items()
    for k in points
]


@pytest.mark.parametrize(("stage", "answered"), KILL_POINTS)
def test_a_sync_killed_at_a_request_ends_as_an_undisturbed_one(
    world: World, baseline: Baseline, stage: str, answered: int
) -> None:
    config, where = kill_at(world, answered)
    print(f"{stage}-after-request-{answered}: {where}")
    sync_to_completion(config)
    assert_ends_as_undisturbed(world, baseline, f"{stage}, kill at request {answered} ({where})")


@pytest.mark.parametrize("delay", EVALUATION_DELAYS, ids=lambda d: f"evaluate+{d * 1000:g}ms")
def test_a_sync_killed_while_evaluating_ends_as_an_undisturbed_one(
    world: World, baseline: Baseline, delay: float
) -> None:
    config, where = kill_at(world, baseline.pull_end, delay)
    print(f"evaluate+{delay * 1000:g}ms: {where}")
    sync_to_completion(config)
    assert_ends_as_undisturbed(
        world, baseline, f"evaluation, kill {delay * 1000:g} ms after the pull ({where})"
    )


def test_a_sync_through_flaky_services_ends_as_an_undisturbed_one(
    world: World, baseline: Baseline
) -> None:
    config = world.reset()
    requests.post(
        f"{world.url}/_sandbox/faults", json={"spec": FAULTS}, timeout=30
    ).raise_for_status()
    runs = sync_to_completion(config)
    faults = [e for e in world.log() if e["fault"]]
    print(f"{runs} run(s), {len(faults)} faults in {len(world.log())} requests")
    assert faults, "the sandbox injected no fault"
    requests.delete(f"{world.url}/_sandbox/faults", timeout=30).raise_for_status()
    assert_ends_as_undisturbed(world, baseline, f"with faults {FAULTS} ({len(faults)} injected)")
