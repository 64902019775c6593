"""Relative dates re-check only the customers whose outcome can have changed, and nobody else.

One module-scoped sandbox (the recipes' 600 customers and seed, as in tests/test_sync_recipes.py)
is synced at noon on its anchor day, then again and again later with nothing changed in Zendesk:
an hour later; at the second the oldest new customer is exactly 30 days old, and the second
after; days later; and at that same moment as a `--full` dry run, which evaluates everyone.

Before each run the test reads from the store who is due (`profiles.recheck_at` at or before the
run's now); the run's plan says how many it evaluated and its scope log says why. Who is new comes
from the sandbox's own data (tests/sync_helpers.py), not from deskbridge.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, select

from jobs import commands
from jobs.demo import SECRETS, write_config
from jobs.state import tables as t
from jobs.sync import EXIT_OK, EXIT_PARTIAL, SyncOptions
from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer
from tests import sync_helpers as h
from tests.sandbox_helpers import state

USERS = 600
SEED = 23
NOON = 12 * 3600
TIME_SCALE = 60.0  # a sandbox minute lasts a second: the export's withheld minute is short
NEW_CUSTOMERS = "New customers (last 30 days)"
PULLED = ("users_pulled", "tickets_pulled", "ratings_pulled", "consent_changes")
DUE = re.compile(r"(\d+) customers? due for a time-based re-check")

pytestmark = pytest.mark.slow

Membership = tuple[str, str, int]


@dataclass
class Run:
    now: int
    code: int
    report: dict[str, Any]
    log: str  # the run's progress lines (JSON, one object a line)
    due: set[int]  # read from the store before the run
    memberships: set[Membership]  # read from the store after the run
    data: dict[int, str]  # each stored profile's user part, after the run

    @property
    def evaluated(self) -> int:
        return int(self.report["evaluated"])

    @property
    def pulled(self) -> int:
        """Records whose pull or Mailchimp status marks their customer for evaluation."""
        return sum(self.report["pulled"].get(key, 0) for key in PULLED)

    def due_in_log(self) -> int | None:
        for line in self.log.splitlines():
            entry = json.loads(line)
            found = DUE.fullmatch(entry.get("reason", "")) if entry["event"] == "scope" else None
            if found:
                return int(found.group(1))
        return None

    def changes(self, list_name: str) -> tuple[int, int]:
        """(joined, left) of a list, over its groups."""
        counts = [c for c in self.report["lists"] if c["list"] == list_name]
        return sum(c["joined"] for c in counts), sum(c["left"] for c in counts)


@dataclass
class Story:
    first: Run
    hour_later: Run
    on_the_edge: Run
    past_the_edge: Run
    days_later: Run
    full: Run
    leaver: int  # the oldest new customer still new an hour after the first run


class Syncer:
    def __init__(self, sandbox: SandboxServer, folder: Path) -> None:
        self.config = write_config(folder, sandbox.url)
        self.engine = create_engine(f"sqlite:///{folder / 'deskbridge-state.db'}")

    def __call__(self, now: int, **options: Any) -> Run:
        due = self._due(now)
        out, log = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(log):
            code = commands.sync(
                str(self.config),
                SyncOptions(now=now, **options),
                as_json=True,
                out=out,
                window_seconds=60 / TIME_SCALE,
            )
        memberships, data = self._stored()
        return Run(now, code, json.loads(out.getvalue()), log.getvalue(), due, memberships, data)

    def _due(self, now: int) -> set[int]:
        with self.engine.connect() as connection:
            if not connection.dialect.has_table(connection, "profiles"):
                return set()
            p = t.profiles.c
            return set(connection.execute(select(p.user_id).where(p.recheck_at <= now)).scalars())

    def _stored(self) -> tuple[set[Membership], dict[int, str]]:
        m, p = t.memberships.c, t.profiles.c
        with self.engine.connect() as connection:
            rows = connection.execute(select(m.list_name, m.group_name, m.user_id))
            memberships = {(row.list_name, row.group_name, row.user_id) for row in rows}
            data = {row.user_id: row.data for row in connection.execute(select(p.user_id, p.data))}
        return memberships, data


def _settle() -> None:
    """Wait out the export's withheld minute, so the users written back come round now."""
    time.sleep(1.5 * 60 / TIME_SCALE)


def _oldest_new_customer(zendesk: dict[str, Any], now: int, after: int) -> tuple[int, int]:
    """(id, created_at) of the customer created longest before `now`, within 30 days of it,
    who is still within them at `after`."""
    created = {
        c.id: at
        for c in h.customers(zendesk)
        if (at := h.unix(c.user["created_at"])) is not None and after - 30 * h.DAY < at <= now
    }
    leaver = min(created, key=lambda i: created[i])
    return leaver, created[leaver]


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    config = SandboxConfig(users=USERS, seed=SEED, rate_limits="off", time_scale=TIME_SCALE)
    with pytest.MonkeyPatch.context() as patch, SandboxServer(config) as sandbox:
        for name, value in SECRETS.items():
            patch.setenv(name, value)
        anchor = requests.get(f"{sandbox.url}/_sandbox/", timeout=30).json()["seeding"]["anchor"]
        now = anchor + NOON
        zendesk = state(sandbox, "zendesk")
        sync = Syncer(sandbox, tmp_path_factory.mktemp("recheck"))
        first = sync(now)
        for _ in range(2):  # the users the first run wrote back come round
            _settle()
            sync(now)
        hour_later = sync(now + 3600)
        leaver, created = _oldest_new_customer(zendesk, now, now + 3600)
        edge = created + 30 * h.DAY  # still new: the window holds both its edges
        on_the_edge = sync(edge)
        past_the_edge = sync(edge + 1)
        later = max(now + 10 * h.DAY, edge + h.DAY)
        days_later = sync(later)
        full = sync(later, full=True, dry_run=True)
        yield Story(first, hour_later, on_the_edge, past_the_edge, days_later, full, leaver)
        sync.engine.dispose()


def test_every_run_completes_and_the_first_evaluates_everyone(story: Story) -> None:
    """Partial is as good as it gets: the sandbox holds addresses the services must refuse."""
    runs = [story.first, story.hour_later, story.on_the_edge, story.past_the_edge]
    for run in [*runs, story.days_later, story.full]:
        assert run.code in (EXIT_OK, EXIT_PARTIAL) and run.report["error"] is None, run.report
    assert story.first.evaluated == USERS


def test_an_hour_later_nobody_is_due_and_only_what_the_pull_marked_is_evaluated(
    story: Story,
) -> None:
    run = story.hour_later
    assert run.due == set()
    assert run.due_in_log() is None
    assert run.evaluated <= run.pulled < USERS // 10, run.report["pulled"]


def test_days_later_exactly_the_customers_due_are_evaluated_besides_what_the_pull_marked(
    story: Story,
) -> None:
    run = story.days_later
    assert len(run.due) > 5  # the check below has something to count
    assert run.due_in_log() == len(run.due)
    assert len(run.due) <= run.evaluated <= len(run.due) + run.pulled
    assert run.evaluated < USERS // 4


def test_days_later_the_memberships_are_those_a_full_evaluation_gives(story: Story) -> None:
    incremental, full = story.days_later, story.full
    moved = {name: incremental.changes(name) for name in (NEW_CUSTOMERS, "Gold renewals")}
    assert any(joined or left for joined, left in moved.values()), moved  # time did move lists
    assert full.evaluated == USERS
    assert full.report["lists"] == [
        {**counts, "joined": 0, "left": 0} for counts in incremental.report["lists"]
    ]
    assert full.memberships == incremental.memberships  # the dry run rolled back nothing else


def test_a_new_customer_leaves_the_list_the_second_they_are_30_days_old(story: Story) -> None:
    new = (NEW_CUSTOMERS, "", story.leaver)
    edge, past = story.on_the_edge, story.past_the_edge
    assert new in story.first.memberships
    assert story.leaver not in edge.due and new in edge.memberships
    assert story.leaver in past.due and new not in past.memberships
    assert past.due_in_log() == len(past.due)
    assert past.changes(NEW_CUSTOMERS) == (0, len(past.due & {story.leaver}))
    assert past.evaluated <= len(past.due) + past.pulled < USERS // 10


def test_the_customer_who_left_did_not_change_in_zendesk(story: Story) -> None:
    assert story.past_the_edge.data[story.leaver] == story.first.data[story.leaver]
