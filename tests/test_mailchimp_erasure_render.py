"""Erasures in the plan's JSON document and in the human report: a count of their own, part of
the changes planned, and the deletion warning shown like the others."""

from __future__ import annotations

from rich.console import Console

from jobs.render import plan_document, print_report
from jobs.runreport import MailchimpPlan, Plan, RunReport, Warning

NOW = 1_795_000_000
WARNING = "3 customers deleted in Zendesk will be erased (permanently) from Mailchimp audience 'R'"


def report() -> RunReport:
    plan = Plan(dry_run=True, now=NOW, full=False, only=None)
    plan.mailchimp = [MailchimpPlan("Retail customers", "a1b2c3", archives=2, erasures=3)]
    plan.warnings = [Warning("deleted_users", WARNING)]
    return RunReport(None, plan)


def test_the_document_counts_erasures_apart_and_among_the_writes() -> None:
    document = plan_document(report(), 0)
    (audience,) = document["mailchimp"]
    assert (audience["archives"], audience["erasures"]) == (2, 3)
    assert document["writes"] == 5
    assert document["warnings"] == [{"kind": "deleted_users", "message": WARNING, "list": None}]


def test_the_report_shows_an_erasures_column_and_the_warning() -> None:
    console = Console(record=True, width=160)
    print_report(report(), console)
    lines = console.export_text().splitlines()
    header = next(line for line in lines if "archives" in line)
    row = next(line for line in lines if line.strip().startswith("Retail customers"))
    cells = dict(zip(cells_of(header, "┃"), cells_of(row, "│"), strict=True))
    assert (cells["archives"], cells["erasures"]) == ("2", "3")
    assert f"warning: deleted_users: {WARNING}" in lines
    assert any("5 changes planned, none written (dry run)" in line for line in lines)


def cells_of(line: str, separator: str) -> list[str]:
    return [cell.strip() for cell in line.split(separator)]
