"""Reading profile values as the type a condition expects; anything ill-typed reads as None.

Decisions (documented for admins in the package docstring):

- Text is compared case-insensitively (`str.casefold` on both sides), which is what emails need and
  matches Zendesk tags (always lower-case). Empty text counts as not present.
- Numbers: int and float (never bool); a numeric string such as "1200.50" reads as a number
  (Zendesk decimal fields and spreadsheets imports both produce them); NaN and infinities do not.
- Times: ISO-8601 strings (`...Z`, `+02:00`, plain `YYYY-MM-DD` = midnight UTC; no offset = UTC)
  or Unix seconds (int/float). A time is held as integer microseconds since the epoch, so edges
  compare exactly. String parses are cached.
- Lists: a list of text; non-text items are ignored; a missing or non-list value is an empty list.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
DAY_US = 86_400 * 1_000_000
# Unix seconds beyond this (about year 5138) are treated as garbage rather than as a time.
MAX_UNIX_SECONDS = 1e11

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def as_number(value: object) -> int | float | None:
    """An int/float (not bool), or a numeric string read as a float; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def as_time(value: object) -> int | None:
    """Microseconds since the epoch for an ISO-8601 string or Unix seconds; else None.

    Type checks use tuples and `type(...) is`, not `int | float`, which builds a union per call.
    """
    if isinstance(value, str):
        return _parse_time(value)
    if type(value) is int:
        return value * 1_000_000 if -MAX_UNIX_SECONDS <= value <= MAX_UNIX_SECONDS else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value) or abs(value) > MAX_UNIX_SECONDS:
        return None
    return round(value * 1_000_000)


@lru_cache(maxsize=65_536)
def _parse_time(text: str) -> int | None:
    try:
        moment = datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // MICROSECOND


def now_us(now: datetime) -> int:
    """`now` (an aware datetime) in microseconds since the epoch."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime (UTC); conditions never guess a zone")
    return (now - EPOCH) // MICROSECOND


_NOTHING: frozenset[str] = frozenset()


def as_text_list(value: object) -> frozenset[str]:
    """The case-folded text items of a list; anything else is the empty set."""
    if not isinstance(value, list) or not value:
        return _NOTHING
    return frozenset([item.casefold() for item in value if isinstance(item, str)])
