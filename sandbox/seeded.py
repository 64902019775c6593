"""Deterministic randomness addressed by (seed, kind, index).

The customer base is generated on demand: record `i` of a kind is always drawn from the same
stream, whatever was asked before it, so a million users need not be held in memory.
"""

from __future__ import annotations

import random
import zlib

_MASK = (1 << 64) - 1


def mix64(value: int) -> int:
    """splitmix64's finaliser: a fast, well-spread 64-bit hash of an integer."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


def kind_code(kind: str) -> int:
    return zlib.crc32(kind.encode())


def unit(seed: int, kind: str, index: int, draw: int = 0) -> float:
    """A uniform float in [0, 1) for one draw of one record; cheap enough for start-up scans."""
    key = mix64(mix64(mix64(seed) ^ kind_code(kind)) ^ index) ^ draw
    return mix64(key) / 2.0**64


def rng(seed: int, kind: str, index: int) -> random.Random:
    """A full random generator for one record's details."""
    return random.Random(mix64(mix64(mix64(seed) ^ kind_code(kind)) ^ index))
