"""docs/ and README.md: links that lead somewhere, and pages that name what the code has."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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
