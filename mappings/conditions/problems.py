"""Problems found in a condition spec: where, what was expected, and a did-you-mean.

Every problem is collected before anything is raised, so an admin fixes a whole spec in one pass
(the Meltano way) instead of meeting errors one at a time.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a spec, at `location` (e.g. `all[2].operator`)."""

    location: str
    message: str
    suggestion: str | None = None

    def __str__(self) -> str:
        where = self.location or "conditions"
        hint = f" (did you mean {self.suggestion!r}?)" if self.suggestion else ""
        return f"{where}: {self.message}{hint}"


class ConditionsError(ValueError):
    """Raised by `compile_conditions` with every problem of the spec, one per line."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to `word`, if one is close enough to be a likely typo."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.75)
    return matches[0] if matches else None


def join_location(parent: str, child: str) -> str:
    """`all[2]` + `operator` -> `all[2].operator`; `[3]` is appended without a dot."""
    if not parent:
        return child
    return f"{parent}{child}" if child.startswith("[") else f"{parent}.{child}"
