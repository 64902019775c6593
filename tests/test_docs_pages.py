"""docs/ and README.md: links that lead somewhere, and pages that name what the code has."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

import pytest

from jobs.cli import build_parser
from jobs.render import plan_document
from jobs.runreport import (
    CsvPlan,
    DestinationResult,
    ListCounts,
    MailchimpPlan,
    Plan,
    RunReport,
    SurveyPlan,
    Warning,
)
from jobs.sync import EXIT_FAILED, EXIT_INVALID, EXIT_LOCKED, EXIT_OK, EXIT_PARTIAL
from mappings.conditions import BUILTINS
from mappings.conditions.operators import APPLIES_TO

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#+ (.+)$", re.M)


def anchors(page: Path) -> set[str]:
    """GitHub's anchors of a page's headings."""
    found = set()
    for heading in _HEADING.findall(page.read_text(encoding="utf-8")):
        text = re.sub(r"[^\w\- ]", "", heading.lower().replace("`", ""))
        found.add(text.replace(" ", "-"))
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_leads_to_a_file_and_heading(page: Path) -> None:
    broken = []
    for target in _LINK.findall(page.read_text(encoding="utf-8")):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        heading_missing = bool(anchor) and linked.suffix == ".md" and linked.exists()
        if not linked.exists() or (heading_missing and anchor not in anchors(linked)):
            broken.append(target)
    assert broken == [], f"{page.name}: broken links {broken}"


def test_the_index_lists_every_page_of_docs() -> None:
    index = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    for page in (ROOT / "docs").glob("*.md"):
        if page.name != "README.md":
            assert f"]({page.name})" in index, f"docs/README.md does not link {page.name}"


def test_the_conditions_page_names_every_operator_and_field() -> None:
    page = (ROOT / "docs" / "conditions.md").read_text(encoding="utf-8")
    missing = [f"`{name}`" for name in [*APPLIES_TO, *BUILTINS] if f"`{name}`" not in page]
    assert missing == []


def test_the_exit_codes_page_gives_every_code_of_a_sync() -> None:
    page = (ROOT / "docs" / "exit-codes.md").read_text(encoding="utf-8")
    for code in (EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_PARTIAL, EXIT_LOCKED):
        assert f"| {code} |" in page and f"- **{code}**" in page


def test_the_consent_page_covers_every_consent_setting() -> None:
    page = (ROOT / "docs" / "consent.md").read_text(encoding="utf-8")
    for setting in ("status_if_new", "unsubscribed_field", "deleted_users", "on_leave"):
        assert f"`{setting}`" in page
    for value in ("pending", "subscribed", "transactional", "leave", "archive", "erase", "untag"):
        assert f'`"{value}"`' in page
    assert "[surveymonkey.fatigue]" in page and "[OptOutLink]" in page


def test_the_logs_page_names_every_event_the_code_logs() -> None:
    logged = set()
    for source in (ROOT / "jobs").glob("*.py"):
        logged |= set(_LOGGED.findall(source.read_text(encoding="utf-8")))
    logged |= {"stage", "stop_forced"}  # written without `log(...)`: see jobs/progress, service
    page = (ROOT / "docs" / "logs.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(\w+)`(?:, `(\w+)`)? \|", page, re.M))
    documented_names = {name for pair in documented for name in pair if name}
    assert logged == documented_names


_LOGGED = re.compile(r"\.log\(\s*\"(\w+)\"")


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _flags(parser: argparse.ArgumentParser) -> set[str]:
    return {flag for action in parser._actions for flag in action.option_strings}


_COMMAND_LINE = re.compile(r"\bdeskbridge ((?:[a-z]+ )*[a-z]+)((?: +[^`\n#]*)?)")


def test_every_command_and_flag_the_pages_give_exists() -> None:
    """`deskbridge CMD --flag` in README.md or docs/: the command and each flag are real."""
    commands = _subcommands(build_parser())
    wrong = []
    for page in PAGES:
        for words, rest in _COMMAND_LINE.findall(page.read_text(encoding="utf-8")):
            name, *more = words.split()
            if name not in commands:
                continue  # prose ("deskbridge keeps ..."), not a command line
            parser = commands[name]
            inner = _subcommands(parser)
            if more and more[0] in inner:
                parser = inner[more[0]]
            for flag in re.findall(r"(?<![\w-])--[a-z][a-z-]*", rest):
                if flag not in _flags(parser):
                    wrong.append(f"{page.name}: deskbridge {name} {flag}")
    assert wrong == []


def _a_full_report() -> RunReport:
    """A report with one of everything the JSON document can hold."""
    plan = Plan(dry_run=False, now=1_795_392_000, full=False, only=None, pulled={"pages": 1})
    plan.lists = [ListCounts("Phones", "iPhone 15", 3, 1, 0)]
    plan.mailchimp = [MailchimpPlan("Retail customers", "a1b2c3", tag_adds={"VIP": 1})]
    plan.surveys = [SurveyPlan("After-sales survey", ["Bad rating"])]
    plan.csv = [CsvPlan("VIPs", "/tmp/vips.csv", 12, True)]
    plan.warnings = [Warning("consent", "kept", None)]
    report = RunReport(7, plan, [DestinationResult("zendesk:users", done=1)])
    report.calls, report.seconds = {"zendesk": 2}, {"plan": 0.5}
    return report


MAPS = ("pulled", "calls", "seconds", "tag_adds", "tag_removals")  # their keys are data


def _keys(document: Any) -> set[str]:
    found: set[str] = set()
    items = document if isinstance(document, list) else [document]
    for item in items:
        if isinstance(item, dict):
            for key, value in item.items():
                found.add(key)
                if key not in MAPS:
                    found |= _keys(value)
        elif isinstance(item, list):
            found |= _keys(item)
    return found


def test_the_plan_json_page_gives_every_key_of_the_document() -> None:
    page = (ROOT / "docs" / "plan-json.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(\w+)` \|", page, re.M))
    assert _keys(plan_document(_a_full_report(), EXIT_OK)) == documented


def test_the_plan_json_page_gives_every_warning_kind_the_sync_makes() -> None:
    page = (ROOT / "docs" / "plan-json.md").read_text(encoding="utf-8")
    kinds = set(re.findall(r'Warning\(\s*"(\w+)"', (ROOT / "jobs" / "sync.py").read_text()))
    row = next(line for line in page.splitlines() if line.startswith("| `kind` |"))
    assert kinds and kinds == set(re.findall(r"`(\w+)`", row)) - {"kind"}
