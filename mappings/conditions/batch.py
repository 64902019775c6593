"""Many condition sets evaluated together: one generated function, each field read once.

The lists and rules of a run share most fields (product line, tags, dates); evaluating them one
by one reads and converts those fields once per set. `Batch` reads them once per profile.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mappings.conditions.codegen import Many, Pair, generate_many, generate_pair
from mappings.conditions.compile import Compiled
from mappings.conditions.values import now_us


@dataclass(frozen=True)
class Batch:
    """Compiled sets in a fixed order; outcomes come back as a tuple in that order."""

    sets: tuple[Compiled, ...]
    test: Many

    def matches(self, profile: Any, now: datetime) -> tuple[bool, ...]:
        """Each set's outcome for `profile` at `now`."""
        return self.test(profile, now_us(now))

    def predicate(self, now: datetime) -> Callable[[Any], tuple[bool, ...]]:
        """`profile -> outcomes` with `now` bound once for a run."""
        test, moment = self.test, now_us(now)
        return lambda profile: test(profile, moment)


def batch(sets: Sequence[Compiled]) -> Batch:
    """Fuse compiled condition sets into one evaluator."""
    frozen = tuple(sets)
    tests = [c.root.test for c in frozen]

    def slow(profile: Any, moment: int) -> tuple[bool, ...]:
        return tuple(test(profile, moment) for test in tests)

    return Batch(frozen, generate_many([c.root for c in frozen], slow))


@dataclass(frozen=True)
class PairBatch:
    """Two groups of compiled sets (rules, lists) fused: outcomes come back as two tuples."""

    first: tuple[Compiled, ...]
    second: tuple[Compiled, ...]
    test: Pair


def batch_pair(first: Sequence[Compiled], second: Sequence[Compiled]) -> PairBatch:
    """Fuse two groups of compiled sets into one evaluator returning (outcomes, outcomes)."""
    a, b = tuple(first), tuple(second)
    tests_a, tests_b = [c.root.test for c in a], [c.root.test for c in b]

    def slow(profile: Any, moment: int) -> tuple[tuple[bool, ...], tuple[bool, ...]]:
        return (
            tuple(test(profile, moment) for test in tests_a),
            tuple(test(profile, moment) for test in tests_b),
        )

    return PairBatch(a, b, generate_pair([c.root for c in a], [c.root for c in b], slow))
