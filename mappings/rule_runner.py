"""Rules over a million profiles: the outcome of a pattern of fired rules is worked out once.

What rules want depends only on *which* rules fired — an action's value is fixed in the config —
so `Desired` (and its conflicts) is memoised per pattern of outcomes. The profile still has to be
changed per customer, with the claims no two rules disagree on.

That shortcut holds when no rule that fired changes something a later rule reads (a rule that
ticks a checkbox, and a later rule on that checkbox's tag). Such a pattern takes the sequential
path of `run_rules`, which re-evaluates later rules on the changed profile, as Zendesk triggers do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mappings.rules import (
    NO_CHANGE,
    NOTHING,
    CompiledRule,
    Desired,
    ProfileChange,
    agreed_claims,
    desired_of,
    run_rules,
)

MEMO_LIMIT = 4096  # patterns kept; more distinct patterns than this are worked out each time

Claim = tuple[str, object]
Path = tuple[str, ...]


# What the rules want, what that changes in the profile itself, and the lists (by position)
# that read what it changes.
Plan = tuple[Desired, ProfileChange, tuple[int, ...]]


class RuleRunner:
    """Runs compiled rules for one profile after another; see the module docstring."""

    def __init__(
        self,
        rules: Sequence[CompiledRule],
        checkbox_tags: Mapping[str, str],
        list_reads: Sequence[frozenset[Path]] = (),
    ) -> None:
        self.rules = tuple(rules)
        self.checkbox_tags = checkbox_tags
        self._list_reads = tuple(list_reads)
        self._every_list = tuple(range(len(self._list_reads)))
        reads = [rule.conditions.reads() for rule in self.rules]
        writes = [_paths_written(rule, checkbox_tags) for rule in self.rules]
        self._changes_a_later_rule = tuple(
            any(writes[i] & reads[j] for j in range(i + 1, len(self.rules)))
            for i in range(len(self.rules))
        )
        # None: a pattern that takes the sequential path.
        self.plans: dict[tuple[bool, ...], Plan | None] = {
            (False,) * len(self.rules): (NOTHING, NO_CHANGE, ())
        }

    def run(self, fired: tuple[bool, ...], profile: Any, moment: int) -> Plan:
        """`Desired`, what it changes in the profile, and the lists (by position in
        `list_reads`) whose outcome on the unchanged profile may no longer hold.

        `fired` is each rule's outcome on the unchanged profile, `moment` now in µs. A caller
        in a hurry looks in `plans` first and calls this only for a pattern not found there.
        """
        if fired in self.plans:
            plan = self.plans[fired]
        else:
            plan = self._plan(fired)
            if len(self.plans) < MEMO_LIMIT:
                self.plans[fired] = plan
        if plan is None:
            desired, change = run_rules(self.rules, fired, profile, moment, self.checkbox_tags)
            return desired, change, self._every_list if change else ()
        return plan

    def _plan(self, fired: tuple[bool, ...]) -> Plan | None:
        """The memoisable outcome of a pattern, or None when it needs the sequential path."""
        if any(f and changes for f, changes in zip(fired, self._changes_a_later_rule, strict=True)):
            return None
        claims: dict[str, list[tuple[str, object]]] = {}
        names = []
        for rule, outcome in zip(self.rules, fired, strict=True):
            if outcome:
                names.append(rule.name)
                for action in rule.actions:
                    for target, value in action.claims:
                        claims.setdefault(target, []).append((rule.name, value))
        change = ProfileChange.of(agreed_claims(claims), self.checkbox_tags)
        changed = change.keys()
        recheck = tuple(i for i, reads in enumerate(self._list_reads) if reads & changed)
        if not change:
            recheck = ()
        return desired_of(names, claims), change, recheck


def _paths_written(rule: CompiledRule, checkbox_tags: Mapping[str, str]) -> frozenset[Path]:
    """What a rule's actions change, as `ProfileChange.keys` names it."""
    claims = [claim for action in rule.actions for claim in action.claims]
    return ProfileChange.of(claims, checkbox_tags).keys()
