"""A sync's plan and outcome, for machines (`plan_document`, the `--json` output) and for people
(`print_report`, `print_runs`).

The JSON document is versioned (`"format": "deskbridge.sync/1"`) and documented key by key in
`docs/plan-json.md`: every key is always present (`null` where there is no value), lists keep the
order the sync gave them, and dicts are sorted by key. Nothing here reads a secret: it prints only
the records it is given.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from jobs.runreport import DestinationResult, ListCounts, MailchimpPlan, Plan, RunReport
from jobs.state.store import RunError, RunRecord

FORMAT = "deskbridge.sync/1"
FILE_WIDTH = 160  # off a terminal: a log or a file is not 80 columns wide, tables need room
ERRORS_SHOWN = 10  # per run in `print_runs`
MAILCHIMP_COLUMNS = (
    "adds updates tag+ tag- archives erasures consent_kept withheld unsubscribed rejected"
)
STATUS_STYLE = {
    "succeeded": "green",
    "partial": "yellow",
    "stopped": "yellow",
    "failed": "red",
    "running": "cyan",
}


def console_for(out: TextIO) -> Console:
    """A console on `out`; off a terminal, as wide as a log line may be (or $COLUMNS), so the
    plan's tables keep their headers instead of cutting them to fit 80 columns."""
    console = Console(file=out)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = FILE_WIDTH
    return console


def iso(seconds: int | float) -> str:
    """Unix seconds as ISO-8601 UTC with a `Z`, to the second."""
    moment = datetime.fromtimestamp(int(seconds), tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- for machines -----------------------------------------------------------------------------


def plan_document(report: RunReport, exit_code: int) -> dict[str, Any]:
    """The `--json` document of a run: plain JSON types only, every key always present."""
    plan = report.plan
    return {
        "format": FORMAT,
        "run_id": report.run_id,
        "dry_run": plan.dry_run,
        "now": iso(plan.now),
        "full": plan.full,
        "only": plan.only,
        "status": report.status,
        "error": report.error,
        "exit_code": exit_code,
        "pulled": _sorted(plan.pulled),
        "profiles": plan.profiles,
        "evaluated": plan.evaluated,
        "writes": plan.writes,
        "failed_records": report.failed_records,
        "lists": [_list(counts) for counts in plan.lists],
        "zendesk": {
            "user_updates": plan.zendesk.user_updates,
            "ticket_updates": plan.zendesk.ticket_updates,
            "retried": plan.zendesk.retried,
            "conflicts": plan.zendesk.conflicts,
            "unsubscribed_marked": plan.zendesk.unsubscribed_marked,
        },
        "mailchimp": [_audience(audience) for audience in plan.mailchimp],
        "surveys": [
            {
                "survey": survey.survey,
                "lists": list(survey.lists),
                "invitations": survey.invitations,
                "fatigue_skipped": survey.fatigue_skipped,
                "resumed": survey.resumed,
            }
            for survey in plan.surveys
        ],
        "csv": [
            {"list": c.list, "path": c.path, "rows": c.rows, "changed": c.changed} for c in plan.csv
        ],
        "warnings": [{"kind": w.kind, "message": w.message, "list": w.list} for w in plan.warnings],
        "results": [_result(result) for result in report.results],
        "calls": _sorted(report.calls),
        "seconds": {stage: round(float(s), 3) for stage, s in report.seconds.items()},
    }


def _sorted(counts: Mapping[str, int]) -> dict[str, int]:
    return {key: int(counts[key]) for key in sorted(counts)}


def _list(counts: ListCounts) -> dict[str, Any]:
    return {
        "name": counts.name,
        "list": counts.list,
        "group": counts.group,
        "members": counts.members,
        "joined": counts.joined,
        "left": counts.left,
    }


def _audience(audience: MailchimpPlan) -> dict[str, Any]:
    return {
        "audience": audience.audience,
        "audience_id": audience.audience_id,
        "adds": audience.adds,
        "updates": audience.updates,
        "tag_adds": _sorted(audience.tag_adds),
        "tag_removals": _sorted(audience.tag_removals),
        "archives": audience.archives,
        "erasures": audience.erasures,
        "consent_kept": audience.consent_kept,
        "withheld_removals": audience.withheld_removals,
        "unsubscribes_seen": audience.unsubscribes_seen,
        "rejected": audience.rejected,
    }


def _result(result: DestinationResult) -> dict[str, Any]:
    return {
        "destination": result.destination,
        "done": result.done,
        "failed": result.failed,
        "permanent": result.permanent,
        "calls": result.calls,
        "note": result.note,
    }


# --- for people -------------------------------------------------------------------------------


def print_report(report: RunReport, console: Console) -> None:
    """The human view of a run: what changed (or would), then how applying went."""
    plan = report.plan
    console.print(_header(report))
    if plan.pulled or plan.profiles or plan.evaluated:
        pulled = ", ".join(
            f"{n} {what.removesuffix('_pulled').replace('_', ' ')}"
            for what, n in _sorted(plan.pulled).items()
        )
        line = f"{plan.profiles} customers known, {plan.evaluated} evaluated"
        console.print(Text(line + (f"; pulled {pulled}" if pulled else "")))
    _print_lists(plan, console)
    _print_zendesk(plan, console)
    _print_mailchimp(plan, console)
    _print_surveys(plan, console)
    _print_csv(plan, console)
    for warning in plan.warnings:
        where = f" ({warning.list})" if warning.list else ""
        console.print(Text(f"warning: {warning.kind}{where}: {warning.message}", style="yellow"))
    if not plan.dry_run:
        _print_results(report.results, console)
    _print_costs(report, console)
    _print_status(report, console)


def _header(report: RunReport) -> Text:
    plan = report.plan
    header = Text("deskbridge sync", style="bold")
    if report.run_id is not None:
        header.append(f" run {report.run_id}")
    header.append(f" at {iso(plan.now)}")
    flags = [flag for flag, on in (("full", plan.full), (f"only {plan.only}", plan.only)) if on]
    if flags:
        header.append(f" ({', '.join(flags)})")
    if plan.dry_run:
        header.append(" — dry run: nothing was written", style="bold cyan")
    return header


def _print_lists(plan: Plan, console: Console) -> None:
    shown = [c for c in plan.lists if c.members or c.joined or c.left]
    if not shown:
        console.print("lists: no members and no changes")
        return
    table = Table(title="lists", title_justify="left", show_edge=False)
    table.add_column("list / group")
    for column in ("members", "joined", "left"):
        table.add_column(column, justify="right")
    names = list(dict.fromkeys(c.list for c in shown))  # lists in the order given
    for name in names:
        parent = next((c for c in shown if c.list == name and c.group is None), None)
        if parent is not None:
            table.add_row(Text(name), *_figures(parent))
        else:
            table.add_row(Text(name), "", "", "")
        for group in (c for c in shown if c.list == name and c.group is not None):
            table.add_row(Text(f"  {group.group}"), *_figures(group))
    console.print(table)


def _figures(counts: ListCounts) -> tuple[str, str, str]:
    return str(counts.members), _signed(counts.joined, "+"), _signed(counts.left, "-")


def _signed(n: int, sign: str) -> str:
    return f"{sign}{n}" if n else "0"


def _print_zendesk(plan: Plan, console: Console) -> None:
    z = plan.zendesk
    verb = "would update" if plan.dry_run else "updates"
    line = f"Zendesk: {verb} {z.user_updates} users and {z.ticket_updates} tickets"
    extras = [
        f"{n} {what}"
        for what, n in (
            ("retried", z.retried),
            ("with conflicting rules left unchanged", z.conflicts),
            ("marked unsubscribed", z.unsubscribed_marked),
        )
        if n
    ]
    console.print(Text(line + (f" ({', '.join(extras)})" if extras else "")))


def _print_mailchimp(plan: Plan, console: Console) -> None:
    if not plan.mailchimp:
        return
    table = Table(title="Mailchimp", title_justify="left", show_edge=False)
    table.add_column("audience")
    for column in MAILCHIMP_COLUMNS.split():
        table.add_column(column.replace("_", " "), justify="right")
    for a in plan.mailchimp:
        figures = (
            a.adds,
            a.updates,
            sum(a.tag_adds.values()),
            sum(a.tag_removals.values()),
            a.archives,
            a.erasures,
            a.consent_kept,
            a.withheld_removals,
            a.unsubscribes_seen,
            a.rejected,
        )
        table.add_row(Text(a.audience), *map(str, figures))
    console.print(table)
    for a in plan.mailchimp:
        changes = [f"+{tag} ({n})" for tag, n in _sorted(a.tag_adds).items() if n]
        changes += [f"-{tag} ({n})" for tag, n in _sorted(a.tag_removals).items() if n]
        if changes:
            console.print(Text(f"  {a.audience} tags: {', '.join(changes)}", style="dim"))


def _print_surveys(plan: Plan, console: Console) -> None:
    if not plan.surveys:
        return
    table = Table(title="SurveyMonkey", title_justify="left", show_edge=False)
    table.add_column("survey")
    table.add_column("lists")
    for column in ("invitations", "fatigue skipped", "resumed"):
        table.add_column(column, justify="right")
    for s in plan.surveys:
        table.add_row(
            Text(s.survey),
            Text(", ".join(s.lists)),
            str(s.invitations),
            str(s.fatigue_skipped),
            str(s.resumed),
        )
    console.print(table)


def _print_csv(plan: Plan, console: Console) -> None:
    if not plan.csv:
        return
    table = Table(title="CSV files", title_justify="left", show_edge=False)
    table.add_column("list")
    table.add_column("path")
    table.add_column("rows", justify="right")
    table.add_column("file")
    written = "to write" if plan.dry_run else "written"
    for c in plan.csv:
        state = written if c.changed else "unchanged"
        table.add_row(Text(c.list), Text(c.path), str(c.rows), state)
    console.print(table)


def _print_results(results: list[DestinationResult], console: Console) -> None:
    if not results:
        return
    table = Table(title="applied", title_justify="left", show_edge=False)
    table.add_column("destination")
    for column in ("done", "failed", "permanent", "calls"):
        table.add_column(column, justify="right")
    table.add_column("note")
    for r in results:
        failed = Text(str(r.failed), style="yellow" if r.failed else "")
        permanent = Text(str(r.permanent), style="red" if r.permanent else "")
        table.add_row(
            Text(r.destination), str(r.done), failed, permanent, str(r.calls), Text(r.note)
        )
    console.print(table)


def _print_costs(report: RunReport, console: Console) -> None:
    parts = []
    if report.calls:
        parts.append("calls " + ", ".join(f"{s} {n}" for s, n in _sorted(report.calls).items()))
    if report.seconds:
        parts.append("time " + ", ".join(f"{s} {t:.1f}s" for s, t in report.seconds.items()))
    if parts:
        console.print(Text("; ".join(parts), style="dim"))


def _print_status(report: RunReport, console: Console) -> None:
    plan = report.plan
    status = Text("status: ")
    status.append(report.status, style=STATUS_STYLE.get(report.status, ""))
    if plan.dry_run:
        status.append(f" — {plan.writes} changes planned, none written (dry run)")
    else:
        status.append(f" — {plan.writes} changes planned")
        if report.failed_records:
            status.append(f", {report.failed_records} records failed")
    if report.error:
        status.append(f": {report.error}", style="red")
    console.print(status)


# --- run history ------------------------------------------------------------------------------

RUN_COUNTS_FIRST = ("evaluated", "writes", "done", "failed", "permanent", "warnings")


def run_counts(report: RunReport) -> dict[str, int]:
    """The figures a run keeps in its history (`StateStore.finish_run`), shown by `print_runs`."""
    plan = report.plan
    return {
        **_sorted(plan.pulled),
        "profiles": plan.profiles,
        "evaluated": plan.evaluated,
        "writes": plan.writes,
        "done": sum(r.done for r in report.results),
        "failed": sum(r.failed for r in report.results),
        "permanent": sum(r.permanent for r in report.results),
        "warnings": len(plan.warnings),
    }


def print_runs(
    runs: list[RunRecord], errors: Mapping[int, list[RunError]], console: Console
) -> None:
    """`deskbridge runs`: one row per run, then the errors of failed and partial runs."""
    if not runs:
        console.print("no runs yet")
        return
    table = Table(show_edge=False)
    table.add_column("run", justify="right")
    table.add_column("started")
    table.add_column("took", justify="right")
    table.add_column("mode")
    table.add_column("status")
    table.add_column("counts")
    for run in runs:
        mode = ", ".join(flag for flag, on in (("dry run", run.dry_run), ("full", run.full)) if on)
        table.add_row(
            str(run.id),
            iso(run.started_at),
            _duration(run.started_at, run.finished_at),
            mode,
            Text(run.status, style=STATUS_STYLE.get(run.status, "")),
            Text(_run_counts(run.counts)),
        )
    console.print(table)
    for run in runs:
        shown = errors.get(run.id, [])
        if run.status not in ("failed", "partial") or not shown:
            continue
        console.print(Text(f"run {run.id} ({run.status}): {len(shown)} errors", style="bold"))
        for error in shown[:ERRORS_SHOWN]:
            kind = "permanent" if error.permanent else "retried next run"
            console.print(Text(f"  {error.stage}  {error.record}: {error.message} ({kind})"))
        if len(shown) > ERRORS_SHOWN:
            console.print(Text(f"  ... and {len(shown) - ERRORS_SHOWN} more", style="dim"))


def _duration(started: int, finished: int | None) -> str:
    if finished is None:
        return "-"
    seconds = max(0, finished - started)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def _run_counts(counts: Mapping[str, Any]) -> str:
    """Numbers first in a fixed order of the usual keys, then the rest by name; zeros left out."""
    keys = [k for k in RUN_COUNTS_FIRST if k in counts]
    keys += sorted(k for k in counts if k not in RUN_COUNTS_FIRST)
    return ", ".join(
        f"{key} {counts[key]}"
        for key in keys
        if isinstance(counts[key], int | float) and not isinstance(counts[key], bool)
        if counts[key]
    )
