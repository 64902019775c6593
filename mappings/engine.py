"""The compiled mappings: evaluate rules and lists over profiles, fast, with `now` passed in.

    evaluate = mappings.evaluator(now)      # bind now once per run
    result = evaluate(profile)              # Evaluation(desired, memberships, profile)

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

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import compress
from typing import Any, NamedTuple

from mappings.conditions import Batch, batch
from mappings.conditions.values import now_us
from mappings.config import Config
from mappings.lists import CompiledList, Membership
from mappings.rules import NOTHING, CompiledRule, Desired, run_rules
from mappings.schema import ZendeskSchema


class Evaluation(NamedTuple):
    """One profile's outcome: what the rules want, where it belongs, and the profile lists saw."""

    desired: Desired
    memberships: tuple[Membership, ...]
    profile: Any

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
    _rule_batch: Batch = field(init=False, repr=False)
    _list_batch: Batch = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rule_batch = batch([rule.conditions for rule in self.rules])
        self._list_batch = batch([lst.conditions for lst in self.lists])

    def list_named(self, name: str) -> CompiledList | None:
        return next((lst for lst in self.lists if lst.name == name), None)

    def evaluator(self, now: datetime) -> Callable[[Any], Evaluation]:
        """`profile -> Evaluation` at `now` (an aware datetime), for every profile of a run."""
        moment = now_us(now)
        rule_test, list_test = self._rule_batch.test, self._list_batch.test
        rules, lists, checkbox_tags = self.rules, self.lists, self.checkbox_tags

        def evaluate(profile: Any) -> Evaluation:
            fired = rule_test(profile, moment)
            if True in fired:
                desired, seen = run_rules(rules, fired, profile, moment, checkbox_tags)
            else:
                desired, seen = NOTHING, profile
            matched = compress(lists, list_test(seen, moment))
            memberships: tuple[Membership, ...] = ()
            for lst in matched:
                memberships += lst.memberships(seen)
            return Evaluation(desired, memberships, seen)

        return evaluate

    def evaluate(self, profile: Any, now: datetime) -> Evaluation:
        return self.evaluator(now)(profile)
