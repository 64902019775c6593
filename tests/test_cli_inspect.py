"""`deskbridge lists`, `explain`, `export` and `validate`'s live check, against a synced sandbox."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from jobs import commands
from jobs.cli import main
from jobs.demo import SECRETS, write_config
from jobs.sync import EXIT_OK, EXIT_PARTIAL, SyncOptions
from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer

CLOSED_PORT = "http://127.0.0.1:9"


class Synced:
    """A sandbox, a config pointed at it and a store after one sync."""

    def __init__(self, sandbox: SandboxServer, config: Path) -> None:
        self.sandbox = sandbox
        self.config = config
        self.folder = config.parent

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.folder / "deskbridge-state.db") as connection:
            return connection.execute(query, params).fetchall()

    def members(self, list_name: str) -> list[tuple[Any, ...]]:
        """(user id, email, group) of a list's members, in user id order."""
        return self.sql(
            "SELECT m.user_id, p.email, m.group_name FROM memberships m "
            "JOIN profiles p ON p.user_id = m.user_id WHERE m.list_name = ? "
            "ORDER BY m.user_id, m.group_name",
            list_name,
        )

    def run(self, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
        capsys.readouterr()
        code = main([*argv, "--config", str(self.config)])
        return code, capsys.readouterr().out


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synced]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in SECRETS.items():
            patch.setenv(name, value)
        patch.delenv("DESKBRIDGE_CONFIG", raising=False)
        config = SandboxConfig(users=300, rate_limits="off")
        with SandboxServer(config) as sandbox:
            path = write_config(tmp_path_factory.mktemp("synced"), sandbox.url)
            code = commands.sync(str(path), SyncOptions(), out=io.StringIO())
            assert code in (EXIT_OK, EXIT_PARTIAL)
            yield Synced(sandbox, path)


@pytest.fixture
def unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    """The config's Zendesk connection pointed at a closed port (the store stays the same)."""
    monkeypatch.setenv("DESKBRIDGE_ZENDESK__BASE_URL", CLOSED_PORT)


def counted_lines(out: str) -> dict[str, int]:
    """`<list>: N members` lines, by list."""
    return {
        found.group(1): int(found.group(2))
        for found in re.finditer(r"^(\S.*?): (\d+) members?\b", out, flags=re.M)
    }


# --- lists ---------------------------------------------------------------------------------


def test_lists_counts_every_list_as_the_store_holds_it(
    synced: Synced, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = synced.run(capsys, "lists")
    assert code == 0
    expected = dict(
        synced.sql("SELECT list_name, count(DISTINCT user_id) FROM memberships GROUP BY list_name")
    )
    counted = counted_lines(out)
    assert counted["VIP customers"] == expected["VIP customers"] > 0
    for name, count in expected.items():
        assert counted[name] == count, name
    configured = {name for (name,) in synced.sql("SELECT list_name FROM list_versions")}
    assert set(counted) == configured  # lists with no member are shown with 0
    assert counted["Gold renewals"] == expected.get("Gold renewals", 0)


def test_lists_says_when_the_memberships_were_evaluated(
    synced: Synced, capsys: pytest.CaptureFixture[str]
) -> None:
    [(value,)] = synced.sql("SELECT value FROM cursors WHERE name = 'evaluation.now'")
    moment = datetime.fromtimestamp(int(value), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    code, out = synced.run(capsys, "lists")
    assert code == 0
    assert out.splitlines()[0] == f"memberships as of the last sync, evaluated at {moment}"


def test_an_ungrouped_list_counts_its_rows(
    synced: Synced, capsys: pytest.CaptureFixture[str]
) -> None:
    [(rows,)] = synced.sql("SELECT count(*) FROM memberships WHERE list_name = 'Product Line A'")
    code, out = synced.run(capsys, "lists", "Product Line A")
    assert code == 0
    assert counted_lines(out) == {"Product Line A": rows}
    assert "  Mailchimp: audience 'Retail customers', tag 'Product Line A'" in out.splitlines()


def test_a_grouped_list_shows_each_group_with_its_count(
    synced: Synced, capsys: pytest.CaptureFixture[str]
) -> None:
    groups = synced.sql(
        "SELECT group_name, count(*) FROM memberships WHERE list_name = 'Phone owners' "
        "GROUP BY group_name"
    )
    assert len(groups) > 1
    code, out = synced.run(capsys, "lists", "Phone owners")
    assert code == 0
    shown = dict(re.findall(r"^  Phone owners: (.+) — (\d+)$", out, flags=re.M))
    assert {group: int(n) for group, n in shown.items()} == dict(groups)
    assert f"in {len(groups)} groups by user_fields.phone_model" in out
    assert "  Mailchimp: audience 'Retail customers', tag 'Phone owners: <group>'" in out


def test_a_list_shows_its_destinations(synced: Synced, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = synced.run(capsys, "lists", "Gold renewals")
    assert code == 0
    lines = out.splitlines()
    assert "  SurveyMonkey: survey 'Customer Satisfaction Survey'" in lines
    assert f"  CSV: {synced.folder / 'exports' / 'gold-renewals.csv'}" in lines
    code, out = synced.run(capsys, "lists", "iOS 17")
    assert "  no destinations" in out.splitlines()


def test_members_are_printed_sorted_by_email_with_name_and_group(
    synced: Synced, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = synced.run(capsys, "lists", "Phone owners", "--members")
    assert code == 0
    rows = [line.split() for line in out.splitlines() if line.startswith("    ")]
    assert rows[0] == ["email", "name", "group", "since"]
    members = synced.members("Phone owners")
    shown = [row[0] for row in rows[1:]]
    assert len(shown) == len(members)
    emails = [email for email in shown if email != "(no"]
    assert shown == [*emails, *["(no"] * (len(shown) - len(emails))]  # no email: last
    assert emails == sorted(emails, key=str.lower)
    assert sorted(emails) == sorted(email for _, email, _ in members if email)
    assert len(emails) < len(shown)
    first_id, first_email, first_group = min((m for m in members if m[1]), key=lambda m: m[1])
    [(name,)] = synced.sql(
        "SELECT json_extract(data, '$.user.name') FROM profiles WHERE user_id = ?", first_id
    )
    line = next(line for line in out.splitlines() if line.strip().startswith(first_email))
    assert name in line and first_group in line


def test_an_unknown_list_exits_2_naming_the_lists(
    synced: Synced, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = synced.run(capsys, "lists", "VIP customer")
    assert code == 2
    assert out.startswith("no list is called 'VIP customer'; the lists: ")
    assert "'VIP customers'" in out


def test_before_any_sync_the_lists_say_so(
    synced: Synced, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = Synced(synced.sandbox, write_config(tmp_path, CLOSED_PORT))
    code, out = fresh.run(capsys, "lists", "VIP customers")
    assert code == 0
    assert out.splitlines()[:3] == [
        "no sync has evaluated the lists yet (run `deskbridge sync`)",
        "",
        "VIP customers: not evaluated yet",
    ]


# --- explain -------------------------------------------------------------------------------


def test_explain_shows_the_verdicts_and_the_stored_lists(
    synced: Synced, capsys: pytest.CaptureFixture[str]
) -> None:
    user_id, email, _ = next(m for m in synced.members("VIP customers") if m[1])
    stored = [
        f"{name}: {group}" if group else name
        for name, group in synced.sql(
            "SELECT list_name, group_name FROM memberships WHERE user_id = ? "
            "ORDER BY list_name, group_name",
            user_id,
        )
    ]
    code, out = synced.run(capsys, "explain", f"  {email.upper()} ")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"{email} — Zendesk user {user_id} (active), evaluated at ")
    assert "list 'VIP customers': MATCH" in lines
    assert any(line.startswith("rule 'Prioritise VIP customers'") for line in lines)
    shown = lines[lines.index(next(x for x in lines if x.startswith("in the store"))) + 1 :]
    assert [re.sub(r" \(since .*\)$", "", line.strip()) for line in shown] == stored


def test_explain_agrees_with_the_store_on_every_list(
    synced: Synced, capsys: pytest.CaptureFixture[str]
) -> None:
    user_id, email, _ = next(m for m in synced.members("Phone owners") if m[1])
    code, out = synced.run(capsys, "explain", email)
    assert code == 0
    matched = set(re.findall(r"^list '(.+)': MATCH$", out, flags=re.M))
    stored = {
        name
        for (name,) in synced.sql(
            "SELECT DISTINCT list_name FROM memberships WHERE user_id = ?", user_id
        )
    }
    assert matched == stored
    [(group,)] = synced.sql(
        "SELECT group_name FROM memberships WHERE user_id = ? AND list_name = 'Phone owners'",
        user_id,
    )
    assert f"  in 'Phone owners: {group}'" in out.splitlines()


def test_explain_of_an_unknown_email_exits_1(
    synced: Synced, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = synced.run(capsys, "explain", "nobody@nowhere.example")
    assert code == 1
    assert out.strip() == (
        "no customer with the email 'nobody@nowhere.example' is in the state store "
        "(it holds what the last sync pulled from Zendesk)"
    )


# --- export --------------------------------------------------------------------------------


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.reader(stream))


def test_export_writes_the_lists_own_columns(
    synced: Synced, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "vip.csv"
    code, out = synced.run(capsys, "export", "VIP customers", "--csv", "--out", str(target))
    members = synced.members("VIP customers")
    assert code == 0
    assert out.strip() == f"wrote {len(members)} rows of 'VIP customers' to {target}"
    rows = read_csv(target)
    assert rows[0] == ["user.email", "user.name", "Service level", "Average annual spend"]
    assert [row[0] for row in rows[1:]] == [email for _, email, _ in members]
    # the live schema names dropdown options as the sync's own file does
    levels = {row[2] for row in rows[1:]} - {""}
    assert levels and levels <= {"Bronze", "Silver", "Gold", "Platinum"}
    assert target.read_bytes() == (synced.folder / "exports" / "vip-customers.csv").read_bytes()


def test_export_of_a_list_without_csv_writes_email_and_name_here(
    synced: Synced,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = synced.run(capsys, "export", "New customers (last 30 days)", "--csv")
    assert code == 0
    target = tmp_path / "new-customers-last-30-days.csv"
    assert out.strip().endswith(f"to {target}")
    members = synced.members("New customers (last 30 days)")
    expected = {
        user_id: (email or "", name or "")
        for user_id, email, name in synced.sql(
            "SELECT user_id, email, json_extract(data, '$.user.name') FROM profiles"
        )
    }
    assert read_csv(target) == [
        ["user.email", "user.name"],
        *[list(expected[user_id]) for user_id, _, _ in members],
    ]


def test_export_by_default_rewrites_the_lists_csv_path(
    synced: Synced, capsys: pytest.CaptureFixture[str]
) -> None:
    own = synced.folder / "exports" / "vip-customers.csv"
    before = own.read_bytes()
    own.unlink()
    code, out = synced.run(capsys, "export", "VIP customers", "--csv")
    assert code == 0
    assert out.strip().endswith(f"to {own}")
    assert own.read_bytes() == before


def test_export_without_the_account_writes_tags_and_says_so(
    synced: Synced, tmp_path: Path, unreachable: None, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "vip.csv"
    code, out = synced.run(capsys, "export", "VIP customers", "--csv", "--out", str(target))
    assert code == 0
    assert out.startswith("the live Zendesk schema could not be read (")
    levels = {row[2] for row in read_csv(target)[1:]} - {""}
    assert levels and levels <= {"bronze", "silver", "gold", "platinum"}


def test_export_with_a_schema_file_needs_no_account(
    synced: Synced, tmp_path: Path, unreachable: None, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = write_schema(synced, tmp_path)
    target = tmp_path / "vip.csv"
    code, out = synced.run(
        capsys, "export", "VIP customers", "--csv", "--out", str(target), "--schema", str(schema)
    )
    assert code == 0
    assert out.startswith("wrote ")
    assert target.read_bytes() == (synced.folder / "exports" / "vip-customers.csv").read_bytes()


def test_the_next_sync_rewrites_its_own_file_after_an_export_that_differs(
    synced: Synced, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    own = synced.folder / "exports" / "vip-customers.csv"
    synced_text = own.read_text(encoding="utf-8")
    monkeypatch.setenv("DESKBRIDGE_ZENDESK__BASE_URL", CLOSED_PORT)
    code, _ = synced.run(capsys, "export", "VIP customers", "--csv")
    assert code == 0
    assert own.read_text(encoding="utf-8") != synced_text  # tags, not option names
    monkeypatch.delenv("DESKBRIDGE_ZENDESK__BASE_URL")
    code = commands.sync(str(synced.config), SyncOptions(), out=io.StringIO())
    assert code in (EXIT_OK, EXIT_PARTIAL)
    assert own.read_text(encoding="utf-8") == synced_text


def test_export_of_an_unknown_list_exits_2(
    synced: Synced, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = synced.run(capsys, "export", "Nope", "--csv", "--out", str(tmp_path / "x.csv"))
    assert code == 2
    assert "no list is called 'Nope'" in out
    assert not (tmp_path / "x.csv").exists()


def test_export_needs_the_csv_flag(synced: Synced, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["export", "VIP customers", "--config", str(synced.config)])
    assert exited.value.code == 2
    assert "--csv" in capsys.readouterr().err


# --- validate ------------------------------------------------------------------------------


def zendesk_requests(synced: Synced) -> list[dict[str, Any]]:
    log = requests.get(f"{synced.sandbox.url}/_sandbox/requests", timeout=30).json()
    entries = log["requests"] if isinstance(log, dict) else log
    return [entry for entry in entries if entry["service"] == "zendesk"]


def test_validate_checks_against_the_live_schema(
    synced: Synced, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = synced.run(capsys, "validate")
    assert code == 0
    assert out.splitlines() == [
        "checked against the live Zendesk schema of sandbox",
        f"{synced.config}: valid — 3 rules, 11 lists, 44 tests",
    ]


def test_the_live_check_finds_what_the_offline_check_cannot(
    synced: Synced, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, synced.sandbox.url)
    config.write_text(
        config.read_text(encoding="utf-8")
        + '\n[[lists]]\nname = "Typo"\n'
        + 'conditions.all = [{ field = "user_fields.phone_modle", operator = "present" }]\n',
        encoding="utf-8",
    )
    other = Synced(synced.sandbox, config)
    code, out = other.run(capsys, "validate", "--schema", str(write_schema(synced, tmp_path)))
    assert code == 2
    assert "unknown user field 'phone_modle'" in out
    code, out = other.run(capsys, "validate")
    assert code == 2
    assert out.splitlines()[0] == "checked against the live Zendesk schema of sandbox"
    assert "unknown user field 'phone_modle'" in out


def write_schema(synced: Synced, folder: Path) -> Path:
    answer = requests.get(
        f"{synced.sandbox.url}/api/v2/user_fields.json",
        auth=("admin@example.com/token", "sandbox-token"),
        timeout=30,
    )
    path = folder / "user_fields.json"
    path.write_text(answer.text, encoding="utf-8")
    return path


def test_validate_falls_back_offline_when_zendesk_is_unreachable(
    synced: Synced, unreachable: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = synced.run(capsys, "validate")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"{synced.config}: warning: checked without the Zendesk")
    [note] = [line for line in lines if "could not be read" in line]
    assert note.startswith("the live Zendesk schema of sandbox could not be read (")
    assert note.endswith("); checked offline only")
    assert lines[-1] == f"{synced.config}: valid — 3 rules, 11 lists, 44 tests"


def test_validate_with_a_schema_file_does_not_ask_zendesk(
    synced: Synced, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = write_schema(synced, tmp_path)
    requests.delete(f"{synced.sandbox.url}/_sandbox/requests", timeout=30)
    code, out = synced.run(capsys, "validate", "--schema", str(schema))
    assert code == 0
    assert "live" not in out
    assert zendesk_requests(synced) == []
    code, _ = synced.run(capsys, "validate")
    assert [entry["path"] for entry in zendesk_requests(synced)] == [
        "/api/v2/user_fields.json",
        "/api/v2/groups.json",
    ]
