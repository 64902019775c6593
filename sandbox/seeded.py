"""Deterministic randomness addressed by (seed, kind, index).

The customer base is generated on demand: record `i` of a kind is always drawn from the same
stream, whatever was asked before it, so a million users need not be held in memory.
"""

from __future__ import annotations

import random
import zlib
from typing import Any

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def mix64(value: int) -> int:
    """splitmix64's finaliser: a fast, well-spread 64-bit hash of an integer."""
    value = (value + _GOLDEN) & _MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


def kind_code(kind: str) -> int:
    return zlib.crc32(kind.encode())


def record_key(seed: int, kind: str, index: int) -> int:
    return mix64(mix64(mix64(seed) ^ kind_code(kind)) ^ index)


def unit(seed: int, kind: str, index: int, draw: int = 0) -> float:
    """A uniform float in [0, 1) for one draw of one record; cheap enough for start-up scans."""
    return mix64(record_key(seed, kind, index) ^ draw) / 2.0**64


class HashRandom(random.Random):
    """`random.Random`'s methods over splitmix64 of a counter.

    Creating one costs a few integer operations, where seeding a Mersenne Twister costs several
    microseconds: it matters when every seeded record gets its own generator.
    """

    def __init__(self, key: int) -> None:
        self.seed(key)

    def seed(self, a: Any = None, version: int = 2) -> None:
        self._state = int(a or 0) & _MASK
        self.gauss_next = None

    def _next64(self) -> int:
        self._state = (self._state + _GOLDEN) & _MASK
        value = self._state
        value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
        return value ^ (value >> 31)

    def random(self) -> float:
        return (self._next64() >> 11) * (1.0 / 9007199254740992.0)

    def _randbelow(self, n: int) -> int:
        # Lemire's multiply-shift: one draw, no rejection loop; the bias is below 2**-40 here.
        return (self._next64() * n) >> 64

    def getrandbits(self, k: int) -> int:
        if k <= 64:
            return self._next64() >> (64 - k) if k else 0
        words = (k + 63) // 64
        value = 0
        for _ in range(words):
            value = (value << 64) | self._next64()
        return value >> (words * 64 - k)


def rng(seed: int, kind: str, index: int) -> random.Random:
    """A full random generator for one record's details."""
    return HashRandom(record_key(seed, kind, index))
