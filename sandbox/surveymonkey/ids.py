"""Record ids as SurveyMonkey shows them: numeric strings that grow, with gaps between them.

Each kind of record has its own sequence, drawn from the seed, so the same seed gives the same ids
in the same order of creation.
"""

from __future__ import annotations

from sandbox.seeded import unit

DIGITS = {
    "survey": 9,
    "page": 9,
    "question": 9,
    "choice": 10,
    "collector": 9,
    "message": 8,
    "contact": 10,
}


class IdSequence:
    def __init__(self, seed: int, kind: str) -> None:
        digits = DIGITS[kind]
        self._seed = seed
        self._kind = f"surveymonkey-id-{kind}"
        low = 10 ** (digits - 1)
        self._next = low + int(unit(seed, self._kind, 0) * low * 4)
        self._drawn = 0

    def take(self) -> str:
        value = self._next
        self._drawn += 1
        self._next += 1 + int(unit(self._seed, self._kind, self._drawn) * 400)
        return str(value)


class Ids:
    """One sequence per kind of record."""

    def __init__(self, seed: int) -> None:
        self._sequences = {kind: IdSequence(seed, kind) for kind in DIGITS}

    def take(self, kind: str) -> str:
        return self._sequences[kind].take()
