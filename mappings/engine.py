"""The compiled mappings: evaluate rules and lists over profiles, fast, with `now` passed in.

    evaluate = mappings.evaluator(now)      # bind now once per run
    result = evaluate(profile)              # Evaluation(desired, memberships, profile)
    mappings.next_change(result, now)       # µs when time alone may next change it, or None

A profile is the single customer view, a dict:

    {"user": {...built-ins...}, "user_fields": {...}, "tags": [...],
     "tickets": {"count", "open_count", "last_created_at", "channels"},
     "satisfaction": {"last_score", "bad_count", "last_bad_at", "last_comment_present"},
     "mailchimp": {"status": {"<audience>": "subscribed" | ...}}}

Times may be ISO-8601 text or Unix seconds (the faster). Lists are evaluated on the profile as the
rules will leave it, so one run converges: a customer the bad-rating rule flags is in the
"bad rating submitted" list in the same run.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import compress
from typing import Any, NamedTuple

from mappings.actions import USER_FIELDS
from mappings.conditions.batch import PairBatch, batch_pair
from mappings.conditions.compile import earliest_flip
from mappings.conditions.predicates import Flip
from mappings.conditions.values import now_us
from mappings.config import Config
from mappings.lists import CompiledList, Membership
from mappings.rule_runner import RuleRunner
from mappings.rules import CompiledRule, Desired, ProfileChange
from mappings.schema import ZendeskSchema


class Evaluation(NamedTuple):
    """One profile's outcome: what the rules want, and where it belongs (ungrouped lists first,
    each in config order) once the rules' values are applied (`profile`)."""

    desired: Desired
    memberships: tuple[Membership, ...]
    original: Any
    change: ProfileChange

    @property
    def profile(self) -> Any:
        """The profile as the rules leave it, which the lists saw (built on each access)."""
        return self.change.apply(self.original) if self.change else self.original

    def list_names(self) -> list[str]:
        return [m.name for m in self.memberships]


@dataclass
class Mappings:
    """Rules (enabled ones, in order) and lists, compiled against a config and schema."""

    config: Config
    schema: ZendeskSchema | None
    rules: tuple[CompiledRule, ...]
    lists: tuple[CompiledList, ...]
    checkbox_tags: Mapping[str, str] = field(default_factory=dict)
    _order: tuple[CompiledList, ...] = field(init=False, repr=False)
    _batch: PairBatch = field(init=False, repr=False)
    _runner: RuleRunner = field(init=False, repr=False)
    _rule_flips: tuple[Flip, ...] = field(init=False, repr=False)
    _list_flips: tuple[Flip, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Ungrouped lists first: their memberships are then one `compress` over a constant tuple.
        self._order = tuple(
            sorted(self.lists, key=lambda lst: lst.group_by is not None)  # a stable sort
        )
        reads = [
            lst.conditions.reads() | ({lst.group_by.path} if lst.group_by else set())
            for lst in self._order
        ]
        self._runner = RuleRunner(self.rules, self.checkbox_tags, reads)
        rules = [rule.conditions for rule in self.rules]
        self._rule_flips = tuple(flip for c in rules for flip in c.relative_flips)
        self._list_flips = tuple(
            flip for lst in self.lists for flip in lst.conditions.relative_flips
        )
        # One function for rules and lists: each field is read once for both.
        self._batch = batch_pair(rules, [lst.conditions for lst in self._order])

    def next_change(self, evaluation: Evaluation, now: datetime) -> int | None:
        """The earliest moment (µs since the epoch) after `now` at which a relative-date
        condition of a rule or a list can change its outcome for the evaluated profile; None
        when none will. Before it, evaluating the same profile again gives the same outcome.

        Each condition is read on what it is evaluated on: a list's on the profile as the
        rules leave it; a rule's on the profile as given or — on the sequential path, where a
        rule sees what earlier ones set — with a value they agreed on (the profile as the rules
        leave it) or one they disagreed on (a conflict's).
        """
        moment = now_us(now)
        original = evaluation.original
        found = earliest_flip(self._rule_flips, original, moment)
        seen = evaluation.profile if evaluation.change else original
        if seen is not original:
            found = _earliest(found, earliest_flip(self._rule_flips, seen, moment))
        found = _earliest(found, earliest_flip(self._list_flips, seen, moment))
        for conflict in evaluation.desired.conflicts:
            if self._rule_flips and conflict.target.startswith(USER_FIELDS):
                key = conflict.target[len(USER_FIELDS) :]
                for _, value in conflict.claims:
                    claimed = ProfileChange({key: value}, (), frozenset()).apply(original)
                    found = _earliest(found, earliest_flip(self._rule_flips, claimed, moment))
        return found

    def list_named(self, name: str) -> CompiledList | None:
        return next((lst for lst in self.lists if lst.name == name), None)

    def evaluator(self, now: datetime) -> Callable[[Any], Evaluation]:
        """`profile -> Evaluation` at `now` (an aware datetime), for every profile of a run."""
        moment = now_us(now)
        test, plans, run_rules = self._batch.test, self._runner.plans, self._runner.run
        ungrouped = tuple(Membership(lst.name) for lst in self._order if lst.group_by is None)
        grouped = [(i, lst) for i, lst in enumerate(self._order) if lst.group_by is not None]
        recheckers = [lst.conditions.fast for lst in self._order]

        def evaluate(profile: Any) -> Evaluation:
            fired, outcomes = test(profile, moment)
            listed: Sequence[bool] = outcomes
            plan = plans.get(fired)
            desired, change, recheck = plan or run_rules(fired, profile, moment)
            seen = profile
            if recheck:  # the rules changed what these lists read (or group by)
                seen = change.apply(profile)
                rechecked = list(listed)
                for i in recheck:
                    rechecked[i] = recheckers[i](seen, moment)
                listed = rechecked
            memberships = tuple(compress(ungrouped, listed))
            for i, lst in grouped:
                if listed[i]:
                    memberships += lst.memberships(seen)
            return Evaluation(desired, memberships, profile, change)

        return evaluate

    def evaluate_many(self, profiles: Iterable[Any], now: datetime) -> list[Evaluation]:
        """Evaluations of a chunk of profiles (a page of a run), in order.

        The cyclic garbage collector is paused meanwhile: evaluation makes no reference cycles,
        only short-lived containers, whose count would trigger collections that rescan every
        live profile of the chunk again and again (a third of the time, measured).
        """
        evaluate = self.evaluator(now)
        paused = gc.isenabled()
        gc.disable()
        try:
            return [evaluate(profile) for profile in profiles]
        finally:
            if paused:
                gc.enable()

    def evaluate(self, profile: Any, now: datetime) -> Evaluation:
        return self.evaluator(now)(profile)


def _earliest(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)
