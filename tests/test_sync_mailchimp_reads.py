"""Reading Mailchimp back after a big push: split around it, and no change of consent missed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
from sqlalchemy import select

from jobs import mailchimp_pull
from jobs.demo import write_config
from jobs.mailchimp_pull import PushWindow, reads
from jobs.state import StateStore
from jobs.state import tables as t
from jobs.sync import EXIT_OK, EXIT_PARTIAL
from sandbox.server import SandboxServer
from tests.sandbox_helpers import control, state
from tests.test_sync import demo_sandbox, next_seq, sync

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@dataclass
class Asked:
    since: datetime | None
    before: datetime | None
    status: str | None


class RecordingSource:
    """Stands in for the connector: records what each walk would ask for."""

    def __init__(self) -> None:
        self.asked: list[Asked] = []

    def members(
        self,
        list_id: str,
        since_last_changed: datetime | None = None,
        *,
        before_last_changed: datetime | None = None,
        status: str | None = None,
    ) -> Any:
        self.asked.append(Asked(since_last_changed, before_last_changed, status))
        return object()


def asked(since: datetime | None, pushed: PushWindow | None) -> list[Asked]:
    source = RecordingSource()
    reads(source, "a1", since, pushed)
    return source.asked


def test_without_a_push_window_one_read_since_the_cursor() -> None:
    assert asked(T0, None) == [Asked(T0, None, None)]


def test_the_first_read_is_whole_whatever_was_pushed() -> None:
    window = PushWindow(T0, T0 + timedelta(minutes=10), 90_000)
    assert asked(None, window) == [Asked(None, None, None)]


def test_a_push_window_is_read_for_changes_of_consent_only_and_around_it_whole() -> None:
    start, end = T0 + timedelta(minutes=5), T0 + timedelta(minutes=30)
    assert asked(T0, PushWindow(start, end, 90_000)) == [
        Asked(T0, start, None),
        Asked(start, end, "unsubscribed"),
        Asked(start, end, "cleaned"),
        Asked(end, None, None),
    ]


def test_a_window_that_began_before_the_cursor_is_read_from_the_cursor() -> None:
    start, end = T0 - timedelta(minutes=5), T0 + timedelta(minutes=30)
    assert asked(T0, PushWindow(start, end, 90_000)) == [
        Asked(T0, end, "unsubscribed"),
        Asked(T0, end, "cleaned"),
        Asked(end, None, None),
    ]


def test_a_window_already_behind_the_cursor_is_ignored() -> None:
    window = PushWindow(T0 - timedelta(hours=2), T0 - timedelta(hours=1), 90_000)
    assert asked(T0, window) == [Asked(T0, None, None)]


# --- against the sandbox -----------------------------------------------------------------------


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    with demo_sandbox(monkeypatch, seed=23) as server:
        yield server


def member_reads(sandbox: SandboxServer, since: int) -> list[dict[str, list[str]]]:
    log = requests.get(f"{sandbox.url}/_sandbox/requests", params={"since": since}, timeout=30)
    return [
        parse_qs(entry["query"])
        for entry in log.json()["requests"]
        if entry["service"] == "mailchimp"
        and entry["method"] == "GET"
        and entry["path"].endswith("/members")
    ]


def test_after_a_big_push_the_ledger_still_agrees_with_mailchimp_on_every_status(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mailchimp_pull, "SPLIT_FROM", 1)  # the sandbox's push is small
    config = write_config(tmp_path, sandbox.url)
    now = int(time.time())
    code, first = sync(config, now=now)
    assert code in (EXIT_OK, EXIT_PARTIAL), first["error"]
    pushed = sum(a["adds"] + a["updates"] for a in first["mailchimp"])
    assert pushed > 0
    # Others unsubscribe and bounce members while (as far as the clocks can tell) the push runs.
    control(
        sandbox,
        "POST",
        "mutate",
        {"count": 12, "kinds": ["mailchimp_unsubscribe", "mailchimp_cleaned"]},
    )
    before = next_seq(sandbox)
    code, second = sync(config, now=now + 60)
    assert code in (EXIT_OK, EXIT_PARTIAL), second["error"]

    reads_made = member_reads(sandbox, before)
    statuses = sorted(q.get("status", [""])[0] for q in reads_made)
    assert statuses == ["", "", "cleaned", "unsubscribed"], reads_made  # before, inside, after
    assert second["pulled"]["consent_changes"] >= 10
    assert sum(v for k, v in second["pulled"].items() if k.startswith("mailchimp_members")) < (
        pushed
    ), "the push is not read back whole"

    audience = state(sandbox, "mailchimp")["lists"][0]
    truth = {m["email_address"].lower(): m["status"] for m in audience["members"]}
    store = StateStore.open(f"sqlite:///{tmp_path / 'deskbridge-state.db'}")
    try:
        m = t.mailchimp_members.c
        with store.engine.connect() as connection:
            query = select(m.email, m.status).where(m.audience == audience["id"])
            ledger = {email: status for email, status in connection.execute(query)}
    finally:
        store.close()
    withheld = {e for e, s in truth.items() if s in ("unsubscribed", "cleaned")}
    assert withheld, "the mutation withheld consent from somebody"
    wrong = {e: (ledger.get(e), truth[e]) for e in withheld if ledger.get(e) != truth[e]}
    assert not wrong, f"consent changes the ledger missed: {wrong}"
    assert {e: s for e, s in ledger.items() if e in truth} == {
        e: truth[e] for e in ledger if e in truth
    }
