"""The plan and run report, as the `--json` document and as the terminal view; the run history."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from jobs.render import FORMAT, console_for, plan_document, print_report, print_runs, run_counts
from jobs.runreport import (
    CsvPlan,
    DestinationResult,
    ListCounts,
    MailchimpPlan,
    Plan,
    RunReport,
    SurveyPlan,
    Warning,
    ZendeskPlan,
)
from jobs.state.store import RunError, RunRecord

NOW = 1_795_000_000  # 2026-11-18T11:06:40Z


def small_report(*, dry_run: bool = False) -> RunReport:
    plan = Plan(
        dry_run=dry_run,
        now=NOW,
        full=False,
        only=None,
        profiles=120,
        evaluated=30,
        lists=[
            ListCounts("VIPs", None, 12, 2, 1),
            ListCounts("Phone owners", None, 40, 3, 0),
            ListCounts("Phone owners", "iPhone 15", 25, 3, 0),
            ListCounts("Phone owners", "Pixel 8", 0, 0, 0),
            ListCounts("Bad rating", None, 0, 0, 0),
        ],
        zendesk=ZendeskPlan(user_updates=7, ticket_updates=4, conflicts=1),
        mailchimp=[
            MailchimpPlan(
                audience="Retail customers",
                audience_id="a1b2c3",
                adds=5,
                updates=2,
                tag_adds={"VIPs": 2, "Phone owners: iPhone 15": 3},
                tag_removals={"VIPs": 1},
                consent_kept=4,
                withheld_removals=9,
            )
        ],
        surveys=[
            SurveyPlan("After-sales survey", ["Bad rating"], invitations=6, fatigue_skipped=2)
        ],
        csv=[
            CsvPlan("VIPs", "out/vips.csv", 12, True),
            CsvPlan("Phone owners", "out/phones.csv", 40, False),
        ],
        warnings=[Warning("blast_radius", "would remove 9 of 10 members [held]", "VIPs")],
        pulled={"users_pulled": 30, "tickets_pulled": 11},
    )
    return RunReport(
        run_id=None if dry_run else 42,
        plan=plan,
        results=[]
        if dry_run
        else [
            DestinationResult("zendesk", done=11, calls=2),
            DestinationResult(
                "mailchimp:Retail customers", done=12, failed=1, permanent=1, calls=3
            ),
        ],
        status="succeeded" if dry_run else "partial",
        seconds={"pull": 1.23456, "plan": 0.5},
        calls={"zendesk": 4, "mailchimp": 3},
    )


def rendered(report: RunReport) -> str:
    console = Console(record=True, width=120)
    print_report(report, console)
    return console.export_text()


def test_plan_document_of_a_small_run_is_exactly_the_documented_shape() -> None:
    document = plan_document(small_report(), exit_code=3)
    assert document == {
        "format": "deskbridge.sync/1",
        "run_id": 42,
        "dry_run": False,
        "now": "2026-11-18T11:06:40Z",
        "full": False,
        "only": None,
        "status": "partial",
        "error": None,
        "exit_code": 3,
        "pulled": {"tickets_pulled": 11, "users_pulled": 30},
        "profiles": 120,
        "evaluated": 30,
        "writes": 7 + 4 + 5 + 2 + 5 + 1 + 6 + 1,
        "failed_records": 2,
        "lists": [
            {"name": "VIPs", "list": "VIPs", "group": None, "members": 12, "joined": 2, "left": 1},
            {
                "name": "Phone owners",
                "list": "Phone owners",
                "group": None,
                "members": 40,
                "joined": 3,
                "left": 0,
            },
            {
                "name": "Phone owners: iPhone 15",
                "list": "Phone owners",
                "group": "iPhone 15",
                "members": 25,
                "joined": 3,
                "left": 0,
            },
            {
                "name": "Phone owners: Pixel 8",
                "list": "Phone owners",
                "group": "Pixel 8",
                "members": 0,
                "joined": 0,
                "left": 0,
            },
            {
                "name": "Bad rating",
                "list": "Bad rating",
                "group": None,
                "members": 0,
                "joined": 0,
                "left": 0,
            },
        ],
        "zendesk": {
            "user_updates": 7,
            "ticket_updates": 4,
            "retried": 0,
            "conflicts": 1,
            "unsubscribed_marked": 0,
        },
        "mailchimp": [
            {
                "audience": "Retail customers",
                "audience_id": "a1b2c3",
                "adds": 5,
                "updates": 2,
                "tag_adds": {"Phone owners: iPhone 15": 3, "VIPs": 2},
                "tag_removals": {"VIPs": 1},
                "archives": 0,
                "erasures": 0,
                "consent_kept": 4,
                "withheld_removals": 9,
                "unsubscribes_seen": 0,
                "rejected": 0,
            }
        ],
        "surveys": [
            {
                "survey": "After-sales survey",
                "lists": ["Bad rating"],
                "invitations": 6,
                "fatigue_skipped": 2,
                "resumed": 0,
            }
        ],
        "csv": [
            {"list": "VIPs", "path": "out/vips.csv", "rows": 12, "changed": True},
            {"list": "Phone owners", "path": "out/phones.csv", "rows": 40, "changed": False},
        ],
        "warnings": [
            {
                "kind": "blast_radius",
                "message": "would remove 9 of 10 members [held]",
                "list": "VIPs",
            }
        ],
        "results": [
            {
                "destination": "zendesk",
                "done": 11,
                "failed": 0,
                "permanent": 0,
                "calls": 2,
                "note": "",
            },
            {
                "destination": "mailchimp:Retail customers",
                "done": 12,
                "failed": 1,
                "permanent": 1,
                "calls": 3,
                "note": "",
            },
        ],
        "calls": {"mailchimp": 3, "zendesk": 4},
        "seconds": {"pull": 1.235, "plan": 0.5},
    }


def test_plan_document_keeps_none_values_and_survives_json() -> None:
    document = plan_document(small_report(dry_run=True), 0)
    assert document["run_id"] is None and "run_id" in document
    assert document["only"] is None and document["error"] is None
    assert document["results"] == []
    text = json.dumps(document, sort_keys=True)
    assert json.loads(text) == document
    assert document["format"] == FORMAT


def test_plan_document_of_an_empty_plan_still_has_every_key() -> None:
    empty = RunReport(run_id=None, plan=Plan(dry_run=True, now=0, full=True, only="VIPs"))
    document = plan_document(empty, 1)
    assert set(document) == set(plan_document(small_report(), 0))
    assert document["now"] == "1970-01-01T00:00:00Z"
    assert document["only"] == "VIPs"
    assert document["zendesk"]["user_updates"] == 0
    assert json.loads(json.dumps(document)) == document


def test_plan_document_sorts_tags_whatever_order_they_came_in() -> None:
    report = small_report()
    report.plan.mailchimp[0].tag_adds = {"b": 1, "a": 2, "c": 3}
    tags = plan_document(report, 0)["mailchimp"][0]["tag_adds"]
    assert list(tags) == ["a", "b", "c"]


def test_dry_run_says_nothing_was_written_and_shows_the_figures() -> None:
    text = rendered(small_report(dry_run=True))
    assert "dry run: nothing was written" in text
    assert "2026-11-18T11:06:40Z" in text
    assert "would update 7 users and 4 tickets" in text
    assert "none written (dry run)" in text
    assert "to write" in text  # the CSV file that would change
    assert "applied" not in text  # no results table for a dry run


def test_report_lists_only_lists_with_members_or_changes_groups_indented() -> None:
    lines = rendered(small_report()).splitlines()
    phone = next(i for i, line in enumerate(lines) if line.strip().startswith("Phone owners"))
    assert lines[phone + 1].startswith("   iPhone 15")  # indented under its list
    assert "+3" in lines[phone + 1]
    assert not any("Pixel 8" in line for line in lines)  # no members, no change
    assert not any(line.strip().startswith("Bad rating ") for line in lines)


def test_report_after_apply_shows_results_warnings_and_status() -> None:
    text = rendered(small_report())
    assert "dry run" not in text
    assert "run 42" in text
    assert "Retail customers" in text
    assert "+Phone owners: iPhone 15 (3), +VIPs (2), -VIPs (1)" in text
    assert "warning: blast_radius (VIPs): would remove 9 of 10 members [held]" in text
    assert "mailchimp:Retail customers" in text
    assert "status: partial" in text
    assert "2 records failed" in text
    assert "unchanged" in text and "written" in text
    assert "After-sales survey" in text
    assert "calls mailchimp 3, zendesk 4" in text
    assert "pulled 11 tickets, 30 users" in text
    assert "1 with conflicting rules left unchanged" in text


def test_report_of_a_failed_run_names_the_error() -> None:
    report = small_report()
    report.status, report.error = "failed", "Mailchimp refused the API key"
    assert "status: failed" in rendered(report)
    assert "Mailchimp refused the API key" in rendered(report)


def test_run_counts_are_what_the_history_shows() -> None:
    counts = run_counts(small_report())
    assert counts["users_pulled"] == 30
    assert counts["done"] == 23 and counts["failed"] == 1 and counts["permanent"] == 1
    assert counts["warnings"] == 1


def run(run_id: int, status: str, **flags: bool) -> RunRecord:
    counts = {"writes": 3, "failed": 1 if status != "succeeded" else 0, "note": "x"}
    return RunRecord(
        run_id,
        NOW + run_id * 100,
        NOW + run_id * 100 + 75,
        status,
        flags.get("dry_run", False),
        flags.get("full", False),
        counts,
    )


def test_runs_history_shows_each_run_and_truncates_errors() -> None:
    errors = {
        3: [
            RunError("mailchimp", f"user {i}", f"invalid email {i}", i % 2 == 0) for i in range(13)
        ],
        2: [RunError("zendesk", "user 9", "should not show: run succeeded", False)],
    }
    runs = [run(3, "partial"), run(2, "succeeded", dry_run=True, full=True)]
    runs.append(RunRecord(1, NOW, None, "running", False, False, {}))
    console = Console(record=True, width=120)
    print_runs(runs, errors, console)
    text = console.export_text()
    assert "2026-11-18T11:11:40Z" in text  # run 3 started
    assert "1m15s" in text
    assert "dry run, full" in text
    assert "writes 3, failed 1" in text
    assert "run 3 (partial): 13 errors" in text
    assert "invalid email 9 (retried next run)" in text
    assert "invalid email 10" not in text
    assert "... and 3 more" in text
    assert "should not show" not in text


def test_runs_history_without_runs() -> None:
    console = Console(record=True, width=120)
    print_runs([], {}, console)
    assert "no runs yet" in console.export_text()


def test_off_a_terminal_the_tables_keep_their_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    out = io.StringIO()
    print_report(small_report(dry_run=True), console_for(out))
    header = next(line for line in out.getvalue().splitlines() if "adds" in line)
    for column in ("audience", "updates", "archives", "erasures", "unsubscribed", "rejected"):
        assert column in header


def test_off_a_terminal_columns_still_sets_the_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    assert console_for(io.StringIO()).width == 100
