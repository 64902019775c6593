"""`[[tests]]`: the admin's own checks of their rules and lists, runnable in their CI.

    [[tests]]
    name = "a Platinum customer's tickets go to VIP Support"
    now = 2026-11-23T00:00:00Z                       # optional; default: the time of the run
    profile = { user_fields = { service_level = "platinum" } }
    fires = ["Prioritise VIP customers"]
    actions = [{ field = "tickets.priority", value = "high" }]
    in_lists = ["VIP customers"]
    not_in_lists = ["New customers"]

A test passes when every expectation holds. A failure says what was expected, what happened, and
(for lists and rules) each condition with the value seen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from mappings.actions import USER_FIELDS, compile_action, value_repr
from mappings.config import Action, RuleTest
from mappings.engine import Mappings
from mappings.explain import ProfileExplanation, explain_profile
from mappings.toml_source import PathKey

Locate = Callable[[PathKey], str]


@dataclass(frozen=True)
class TestResult:
    name: str
    where: str
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class TestReport:
    results: tuple[TestResult, ...]

    @property
    def failed(self) -> tuple[TestResult, ...]:
        return tuple(r for r in self.results if not r.passed)

    @property
    def ok(self) -> bool:
        return not self.failed

    def text(self) -> str:
        lines = []
        for result in self.results:
            mark = "pass" if result.passed else "FAIL"
            lines.append(f"{mark} {result.name} ({result.where})")
            lines += [_indent(failure, "  - ") for failure in result.failures]
        total, failed = len(self.results), len(self.failed)
        lines.append(f"{total - failed} passed, {failed} failed")
        return "\n".join(lines)


def run_tests(mappings: Mappings, now: datetime, locate: Locate | None = None) -> TestReport:
    """Run every `[[tests]]` entry of the config; `now` is the default time of a test."""
    results = []
    for index, test in enumerate(mappings.config.tests):
        where = locate(("tests", index)) if locate else f"tests[{index}]"
        results.append(TestResult(test.name, where, tuple(_failures(mappings, test, now))))
    return TestReport(tuple(results))


def _failures(mappings: Mappings, test: RuleTest, default_now: datetime) -> list[str]:
    now = test.now or default_now
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    why = explain_profile(mappings, test.profile, now)
    evaluation = why.evaluation
    places = set(evaluation.list_names())
    failures: list[str] = []
    for name in test.in_lists:
        if name not in places:
            failures.append(f"expected in list {name!r}, but it is not\n{_list_why(why, name)}")
    for name in test.not_in_lists:
        if name in places:
            failures.append(f"expected not in list {name!r}, but it is\n{_list_why(why, name)}")
    fired = evaluation.desired.fired
    for name in test.fires:
        if name not in fired:
            failures.append(
                f"expected rule {name!r} to fire, but it did not\n{_rule_why(why, name)}"
            )
    for name in test.not_fires:
        if name in fired:
            failures.append(
                f"expected rule {name!r} not to fire, but it did\n{_rule_why(why, name)}"
            )
    wanted = evaluation.desired.claims()
    actions = evaluation.desired.actions()
    conflicts = "".join(f"\n{c}" for c in evaluation.desired.conflicts)
    for expected in test.actions:
        compiled = compile_action(
            Action(field=expected.field, value=expected.value), mappings.schema, (), []
        )
        claims = compiled.claims if compiled else ()
        if compiled and compiled.target.startswith(USER_FIELDS):
            claims = claims[:1]
        missing = [(t, v) for t, v in claims if t not in wanted or not _same(wanted[t], v)]
        if missing:
            got = actions.get(expected.field)
            seen = "nothing" if got is None else value_repr(got)
            failures.append(
                f"expected action {expected.field} = {value_repr(expected.value)}, "
                f"but the rules want {seen}{conflicts}"
            )
    for target in test.not_actions:
        if target in actions:
            failures.append(
                f"expected no {target} action, but the rules want {value_repr(actions[target])}"
            )
    return failures


def _same(a: object, b: object) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def _list_why(why: ProfileExplanation, name: str) -> str:
    base = name.split(": ", 1)[0]
    verdict = why.verdict("list", name) or why.verdict("list", base)
    return verdict.text() if verdict else ""


def _rule_why(why: ProfileExplanation, name: str) -> str:
    verdict = why.verdict("rule", name)
    return verdict.text() if verdict else f"rule {name!r} is disabled"


def _indent(text: str, first: str) -> str:
    lines = text.splitlines()
    pad = " " * len(first)
    return "\n".join([first + lines[0], *(pad + line for line in lines[1:])])
