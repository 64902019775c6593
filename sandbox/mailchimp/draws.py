"""Cheap deterministic draws for the start-up pass over the whole population.

`sandbox.seeded.unit` hashes the seed and the kind on every call; at a million people that is
most of the cost of a pass. `Draws` hashes them once; the pass then cuts a member's several draws
out of the bits of one key instead of mixing once per draw.
"""

from __future__ import annotations

from sandbox.seeded import kind_code, mix64

_TWO_64 = 2.0**64


class Draws:
    """`Draws(seed, kind).unit(i) == sandbox.seeded.unit(seed, kind, i)`."""

    def __init__(self, seed: int, kind: str) -> None:
        self.base = mix64(mix64(seed) ^ kind_code(kind))

    def key(self, index: int) -> int:
        """64 well-mixed bits for record `index`: `mix64(key)` is draw 0 of `unit`."""
        return mix64(self.base ^ index)

    def unit(self, index: int) -> float:
        return mix64(self.key(index)) / _TWO_64
