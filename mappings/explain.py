"""Why a customer is (or is not) in each list, and what each rule wants for them.

`explain_profile(mappings, profile, now)` walks every enabled rule in order (each on the profile as
the rules before it left it, as a sync does) and every list (on the profile as the rules leave it),
and reports for each whether it matched, every condition with the value seen, the actions a fired
rule wants, conflicts, and the group a customer falls in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mappings.actions import value_repr
from mappings.conditions import Explanation, explain
from mappings.engine import Evaluation, Mappings
from mappings.rules import apply_claims


@dataclass(frozen=True)
class Verdict:
    """One rule or list for one profile."""

    kind: str  # "rule" | "list"
    name: str
    matched: bool
    conditions: Explanation
    notes: tuple[str, ...] = ()

    def text(self) -> str:
        mark = "MATCH" if self.matched else "no match"
        lines = [f"{self.kind} {self.name!r}: {mark}"]
        lines += [f"  {note}" for note in self.notes]
        lines.append(self.conditions.text(indent=1))
        return "\n".join(lines)


@dataclass(frozen=True)
class ProfileExplanation:
    verdicts: tuple[Verdict, ...]
    evaluation: Evaluation

    def verdict(self, kind: str, name: str) -> Verdict | None:
        return next((v for v in self.verdicts if v.kind == kind and v.name == name), None)

    def text(self) -> str:
        lines = [verdict.text() for verdict in self.verdicts]
        lines += [f"conflict: {c}" for c in self.evaluation.desired.conflicts]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()


def explain_profile(mappings: Mappings, profile: Any, now: datetime) -> ProfileExplanation:
    """Every rule and list for `profile` at `now`, with the conditions and the values seen."""
    evaluation = mappings.evaluate(profile, now)
    verdicts: list[Verdict] = []
    seen = profile
    for rule in mappings.rules:
        why = explain(rule.conditions, seen, now)
        matched = why.passed
        notes: tuple[str, ...] = ()
        if matched:
            claims = [claim for action in rule.actions for claim in action.claims]
            notes = tuple(f"wants {target} = {value_repr(value)}" for target, value in claims)
            seen = apply_claims(seen, claims, mappings.checkbox_tags)
        verdicts.append(Verdict("rule", rule.name, matched, why, notes))
    final = evaluation.profile
    for lst in mappings.lists:
        why = explain(lst.conditions, final, now)
        matched = why.passed
        notes = ()
        if lst.group_by is not None:
            places = lst.memberships(final) if matched else ()
            if matched and not places:
                notes = (f"no value for group_by {lst.group_by.address}, so in no group",)
            elif places:
                notes = tuple(f"in {m.name!r}" for m in places)
            matched = matched and bool(places)
        verdicts.append(Verdict("list", lst.name, matched, why, notes))
    return ProfileExplanation(tuple(verdicts), evaluation)
