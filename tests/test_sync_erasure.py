"""`[mailchimp] deleted_users` against the sandbox: customers deleted in Zendesk after a first
sync are erased from the audience ("erase"), archived ("archive") or only untagged ("leave");
a dry run shows it and writes nothing, `--only` leaves it to a whole run, and a second sync
makes no write request."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from jobs.demo import write_config
from jobs.state import StateStore
from jobs.state import tables as t
from jobs.sync import EXIT_OK, EXIT_PARTIAL
from sandbox.server import SandboxServer
from tests.sandbox_helpers import control, state
from tests.test_sync import TIME_SCALE, demo_sandbox, next_seq, sync, writes_since

DELETED = 12  # few enough that "leave" stays under the blast-radius guard
AUDIENCE = "Retail Customers"
CONFIGURED = "Retail customers"
FINISHED = (EXIT_OK, EXIT_PARTIAL)  # partial: the sandbox seeds addresses Mailchimp refuses


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    with demo_sandbox(monkeypatch) as server:
        yield server


def config_with(sandbox: SandboxServer, folder: Path, deleted_users: str) -> Path:
    path = write_config(folder, sandbox.url)
    text = path.read_text(encoding="utf-8")
    changed = text.replace('deleted_users = "leave"', f'deleted_users = "{deleted_users}"', 1)
    assert changed != text or deleted_users == "leave", "the example config sets deleted_users"
    path.write_text(changed, encoding="utf-8")
    return path


def retail(sandbox: SandboxServer) -> dict[str, Any]:
    found: dict[str, Any] = next(
        a for a in state(sandbox, "mailchimp")["lists"] if a["name"] == AUDIENCE
    )
    return found


def members(sandbox: SandboxServer) -> dict[str, dict[str, Any]]:
    return {m["email_address"].lower(): m for m in retail(sandbox)["members"]}


def delete_customers(sandbox: SandboxServer) -> set[str]:
    """Delete customers in Zendesk; the addresses of those the audience holds (not archived)."""
    changes = control(
        sandbox, "POST", "mutate", {"count": DELETED, "kinds": ["zendesk_user_deleted"]}
    )["changes"]
    deleted = {change["email"].lower() for change in changes if change.get("email")}
    held = {email for email, m in members(sandbox).items() if m["status"] != "archived"}
    time.sleep(60 / TIME_SCALE + 0.5)  # Zendesk's exports hold back the last minute
    return deleted & held


def first_sync(config: Path, now: int) -> None:
    code, first = sync(config, now=now)
    assert code in FINISHED, first["error"]


def plan_of(document: dict[str, Any]) -> dict[str, Any]:
    (found,) = document["mailchimp"]
    assert found["audience"] == CONFIGURED
    return dict(found)


def deletion_warnings(document: dict[str, Any]) -> list[str]:
    return [w["message"] for w in document["warnings"] if w["kind"] == "deleted_users"]


def test_erase_deletes_the_deleted_customers_for_good_once(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = config_with(sandbox, tmp_path, "erase")
    now = int(time.time())
    first_sync(config, now)
    gone = delete_customers(sandbox)
    assert gone, "some deleted customers are in the audience"

    before = next_seq(sandbox)
    code, dry = sync(config, now=now + 120, dry_run=True)
    assert code == EXIT_OK, dry["error"]
    assert writes_since(sandbox, before) == []
    assert plan_of(dry)["erasures"] == len(gone)
    assert deletion_warnings(dry) == [
        f"{len(gone)} customers deleted in Zendesk will be erased (permanently) from "
        f"Mailchimp audience {CONFIGURED!r}"
    ]
    assert gone <= set(members(sandbox))

    code, real = sync(config, now=now + 120)
    assert code in FINISHED, real["error"]
    assert plan_of(real) == plan_of(dry)
    after = retail(sandbox)
    assert gone <= set(after["forgotten"])
    assert not gone & {m["email_address"].lower() for m in after["members"]}

    before = next_seq(sandbox)
    code, second = sync(config, now=now + 180)
    assert code in FINISHED, second["error"]
    assert writes_since(sandbox, before) == []
    assert plan_of(second)["erasures"] == 0 and deletion_warnings(second) == []


def test_an_erased_address_wanted_again_is_refused_once_and_reported(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = config_with(sandbox, tmp_path, "erase")
    now = int(time.time())
    first_sync(config, now)
    gone = delete_customers(sandbox)
    code, erased = sync(config, now=now + 120)
    assert code in FINISHED, erased["error"]
    again = sorted(gone)[0]
    want_again(config, plan_of(erased)["audience_id"], again)

    code, refused = sync(config, now=now + 180)
    assert code == EXIT_PARTIAL, refused["error"]
    assert plan_of(refused)["adds"] == 1
    (result,) = (r for r in refused["results"] if r["destination"].startswith("mailchimp:"))
    assert (result["done"], result["permanent"]) == (0, 1)
    assert again in retail(sandbox)["forgotten"]
    assert run_errors(config, refused["run_id"]) == [
        (f"{plan_of(refused)['audience_id']}/{again}", True)
    ]

    before = next_seq(sandbox)
    code, quiet = sync(config, now=now + 240)
    assert code == EXIT_OK, quiet["error"]
    assert plan_of(quiet)["rejected"] == 1 and plan_of(quiet)["adds"] == 0
    assert writes_since(sandbox, before) == []


def run_errors(config: Path, run_id: int) -> list[tuple[str, bool]]:
    """The run's errors as (record, permanent), each checked to be Mailchimp's refusal."""
    store = StateStore.open("sqlite:///deskbridge-state.db", base_dir=config.parent)
    try:
        errors = store.run_errors(run_id)
    finally:
        store.close()
    assert all("permanently deleted and cannot be re-imported" in e.message for e in errors), errors
    return [(e.record, e.permanent) for e in errors]


def want_again(config: Path, audience_id: str, email: str) -> None:
    """As if a list wanted the address again (Zendesk gives no deleted user back): a wanted row
    of a user no run evaluates."""
    store = StateStore.open("sqlite:///deskbridge-state.db", base_dir=config.parent)
    try:
        with store.engine.begin() as connection:
            connection.execute(
                insert(t.mailchimp_wanted).values(
                    audience=audience_id,
                    email=email,
                    user_id=10**12,
                    tags='["VIP"]',
                    merge="{}",
                    status_if_new="pending",
                )
            )
    finally:
        store.close()


def test_archive_archives_them_and_only_waits_for_a_whole_run(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = config_with(sandbox, tmp_path, "archive")
    now = int(time.time())
    first_sync(config, now)
    gone = delete_customers(sandbox)
    assert gone

    before = next_seq(sandbox)
    code, only = sync(config, now=now + 120, only="VIP customers")
    assert code in FINISHED, only["error"]
    assert not [w for w in writes_since(sandbox, before) if w.startswith("mailchimp DELETE")]
    assert all(members(sandbox)[email]["status"] != "archived" for email in gone)
    assert "by the next sync without --only" in deletion_warnings(only)[0]

    code, real = sync(config, now=now + 180)
    assert code in FINISHED, real["error"]
    assert plan_of(real)["archives"] >= len(gone) and plan_of(real)["erasures"] == 0
    after = members(sandbox)
    assert all(after[email]["status"] == "archived" for email in gone)
    assert not gone & set(retail(sandbox)["forgotten"])

    before = next_seq(sandbox)
    code, second = sync(config, now=now + 240)
    assert code in FINISHED, second["error"]
    assert writes_since(sandbox, before) == []


def test_leave_only_untags_them(sandbox: SandboxServer, tmp_path: Path) -> None:
    config = config_with(sandbox, tmp_path, "leave")
    now = int(time.time())
    first_sync(config, now)
    gone = delete_customers(sandbox)
    assert gone
    before = members(sandbox)

    code, real = sync(config, now=now + 120)
    assert code in FINISHED, real["error"]
    assert plan_of(real)["erasures"] == 0 and deletion_warnings(real) == []
    after = members(sandbox)
    assert all(after[email]["status"] == before[email]["status"] for email in gone)
    assert not gone & set(retail(sandbox)["forgotten"])
    lost = sum(len(set(before[e]["tags"]) - set(after[e]["tags"])) for e in gone)
    assert lost > 0, "the deleted customers left their lists' tags"
    assert all(set(after[e]["tags"]) <= set(before[e]["tags"]) for e in gone)
