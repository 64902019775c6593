"""`deskbridge sync` against the sandbox: dry run, idempotence, the guard, --only, the lock."""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from jobs import commands
from jobs.demo import SECRETS, write_config
from jobs.state import StateStore
from jobs.sync import EXIT_LOCKED, EXIT_OK, EXIT_PARTIAL, SyncOptions
from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer
from tests.sandbox_helpers import control, state

USERS = 400
TIME_SCALE = 30.0  # Zendesk's exports hold back the last minute: here, two real seconds
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PLAN_SECTIONS = ("lists", "zendesk", "mailchimp", "surveys", "csv")


@contextmanager
def demo_sandbox(monkeypatch: pytest.MonkeyPatch, seed: int = 11) -> Iterator[SandboxServer]:
    """A sandbox of its own (USERS customers, time-scaled), the demo's secrets in the
    environment: the sync tests mutate what they sync against."""
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    config = SandboxConfig(users=USERS, seed=seed, rate_limits="off", time_scale=TIME_SCALE)
    with SandboxServer(config) as server:
        yield server


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    with demo_sandbox(monkeypatch) as server:
        yield server


@pytest.fixture
def config(sandbox: SandboxServer, tmp_path: Path) -> Path:
    return write_config(tmp_path, sandbox.url)


def sync(config: Path, **options: Any) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    code = commands.sync(str(config), SyncOptions(**options), as_json=True, out=out)
    return code, json.loads(out.getvalue())


def writes_since(sandbox: SandboxServer, seq: int) -> list[str]:
    log = requests.get(f"{sandbox.url}/_sandbox/requests", params={"since": seq}, timeout=30)
    return [
        f"{entry['service']} {entry['method']} {entry['path']}"
        for entry in log.json()["requests"]
        if entry["method"] in WRITES
    ]


def next_seq(sandbox: SandboxServer) -> int:
    log = requests.get(f"{sandbox.url}/_sandbox/requests", params={"since": 10**9}, timeout=30)
    return int(log.json()["next_seq"])


def plan_of(document: dict[str, Any]) -> dict[str, Any]:
    return {section: document[section] for section in PLAN_SECTIONS}


def test_a_dry_run_writes_nothing_and_the_sync_after_it_has_the_same_plan(
    sandbox: SandboxServer, config: Path
) -> None:
    now = int(time.time())
    before = next_seq(sandbox)
    code, dry = sync(config, dry_run=True, now=now)
    assert code == EXIT_OK, dry["error"]
    assert writes_since(sandbox, before) == []
    assert not (config.parent / "exports").exists(), "a dry run writes no file"
    assert dry["dry_run"] is True and dry["writes"] > 0

    code, real = sync(config, now=now)
    assert code in (EXIT_OK, EXIT_PARTIAL), real["error"]
    assert plan_of(real) == plan_of(dry)
    written = writes_since(sandbox, before)
    assert written, "the real sync writes"

    # Each destination counts the requests it made (its writes, and the reads and polls
    # around them), within the service's total for the run.
    calls = {r["destination"]: r["calls"] for r in real["results"]}
    user_puts = written.count("zendesk PUT /api/v2/users/update_many.json")
    assert calls["zendesk:users"] > user_puts > 0
    mailchimp_writes = sum(1 for w in written if w.startswith("mailchimp "))
    assert calls["mailchimp:Retail customers"] >= mailchimp_writes > 0
    for service in ("zendesk", "mailchimp", "surveymonkey"):
        spent = sum(n for d, n in calls.items() if d.startswith(f"{service}:"))
        assert 0 < spent <= real["calls"][service], service
    assert all(n == 0 for d, n in calls.items() if d.startswith("csv:"))


def test_a_second_sync_with_no_change_makes_no_write_request(
    sandbox: SandboxServer, config: Path
) -> None:
    now = int(time.time())
    code, first = sync(config, now=now)
    assert code in (EXIT_OK, EXIT_PARTIAL), first["error"]
    assert first["zendesk"]["user_updates"] > 0 and first["mailchimp"][0]["adds"] > 0

    # At once: the export may not show the written users yet; the store knows what it wrote.
    before = next_seq(sandbox)
    code, second = sync(config, now=now + 60)
    assert code == EXIT_OK, second["error"]
    assert writes_since(sandbox, before) == []
    assert second["writes"] == 0

    # A Zendesk minute later the users written back come round in the pull: still no write.
    time.sleep(60 / TIME_SCALE + 0.5)
    before = next_seq(sandbox)
    code, third = sync(config, now=now + 120)
    assert code == EXIT_OK, third["error"]
    # Together the two pulls brought back every user written (whichever saw them first).
    pulled_back = second["pulled"]["users_pulled"] + third["pulled"]["users_pulled"]
    assert pulled_back >= first["zendesk"]["user_updates"]
    assert writes_since(sandbox, before) == []


def test_a_day_of_changes_is_synced_and_then_nothing_more(
    sandbox: SandboxServer, config: Path
) -> None:
    now = int(time.time())
    assert sync(config, now=now)[0] in (EXIT_OK, EXIT_PARTIAL)
    control(sandbox, "POST", "mutate", {"count": 80})
    time.sleep(60 / TIME_SCALE + 0.5)  # Zendesk's exports hold back the last minute
    code, incremental = sync(config, now=now + 120)
    assert code in (EXIT_OK, EXIT_PARTIAL), incremental["error"]
    assert incremental["pulled"]["users_pulled"] + incremental["pulled"]["tickets_pulled"] > 0
    before = next_seq(sandbox)
    code, quiet = sync(config, now=now + 180)
    assert code == EXIT_OK, quiet["error"]
    assert writes_since(sandbox, before) == []


def test_the_guard_holds_back_a_mass_removal_until_forced(
    sandbox: SandboxServer, config: Path
) -> None:
    now = int(time.time())
    assert sync(config, now=now)[0] in (EXIT_OK, EXIT_PARTIAL)
    vip = config.parent / "mappings" / "recipes" / "vip.toml"
    text = vip.read_text()
    broken = re.sub(r'value = "vip"', 'value = "no-such-tag"', text, count=1)
    assert broken != text
    vip.write_text(broken)
    tagged = _members_tagged(sandbox, "VIP")
    assert tagged

    code, held = sync(config, now=now + 60)
    assert code == EXIT_PARTIAL
    warnings = [w for w in held["warnings"] if w["kind"] == "blast_radius"]
    assert warnings and "VIP customers" in warnings[0]["message"]
    assert "--force" in warnings[0]["message"]
    assert _members_tagged(sandbox, "VIP") == tagged

    code, forced = sync(config, now=now + 120, force=True)
    assert code in (EXIT_OK, EXIT_PARTIAL), forced["error"]
    assert _members_tagged(sandbox, "VIP") < tagged


def test_only_one_list_touches_only_its_own_tags(sandbox: SandboxServer, config: Path) -> None:
    now = int(time.time())
    before = next_seq(sandbox)
    code, only = sync(config, now=now, only="VIP customers")
    assert code in (EXIT_OK, EXIT_PARTIAL), only["error"]
    assert [lst["list"] for lst in only["lists"]] == ["VIP customers"]
    written = writes_since(sandbox, before)
    assert written and not any(w.startswith("zendesk") for w in written)
    assert not any(w.startswith("surveymonkey") for w in written)
    assert _members_tagged(sandbox, "VIP")
    assert not _members_tagged(sandbox, "Product Line A")


def test_a_second_sync_while_one_runs_is_refused_with_its_own_exit_code(
    sandbox: SandboxServer, config: Path
) -> None:
    store = StateStore.open("sqlite:///deskbridge-state.db", base_dir=config.parent)
    try:
        with store.sync_lock():
            out = io.StringIO()
            code = commands.sync(str(config), SyncOptions(), out=out)
    finally:
        store.close()
    assert code == EXIT_LOCKED
    assert "another deskbridge sync holds the state store" in out.getvalue()


def _members_tagged(sandbox: SandboxServer, tag: str) -> set[str]:
    """The addresses wearing `tag` in the Retail Customers audience, as the sandbox has it."""
    audience = next(
        a for a in state(sandbox, "mailchimp")["lists"] if a["name"] == "Retail Customers"
    )
    segment = next((s for s in audience["segments"] if s["name"] == tag), None)
    return {email.lower() for email in segment["member_emails"]} if segment else set()
