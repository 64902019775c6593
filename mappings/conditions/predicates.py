"""The fast path: one plain closure per condition, built once, over (profile, now in µs).

Nothing here looks at the spec at evaluation time: the path, the operator and the normalised value
are bound into the closure. Every read tolerates missing, None and ill-typed data by reading None
(or an empty list), and every operator on None is False — except `not_present`, and
`not_includes`, which is true of an empty list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mappings.conditions.fields import FieldType
from mappings.conditions.operators import N_DAYS, Value
from mappings.conditions.values import DAY_US, as_number, as_text_list, as_time

Getter = Callable[[Any], object]
Test = Callable[[Any, int], bool]
Flip = Callable[[Any, int], int | None]  # (profile, now) -> when the outcome next changes, µs


def getter(path: tuple[str, ...]) -> Getter:
    """A reader of `path` in a profile; anything but a dict along the way reads as None."""
    if len(path) == 1:
        (a,) = path

        def get1(p: Any) -> object:
            return p.get(a) if isinstance(p, dict) else None

        return get1
    if len(path) == 2:
        a, b = path

        def get2(p: Any) -> object:
            d = p.get(a) if isinstance(p, dict) else None
            return d.get(b) if isinstance(d, dict) else None

        return get2

    def get_n(p: Any) -> object:
        for key in path:
            if not isinstance(p, dict):
                return None
            p = p.get(key)
        return p

    return get_n


def build(kind: FieldType, operator: str, want: Value, get: Getter) -> Test:
    """The closure for one condition of an (effective) value type."""
    if operator == "present":
        present = _present(kind, get)
        return lambda p, n: present(p)
    if operator == "not_present":
        present = _present(kind, get)
        return lambda p, n: not present(p)
    if kind is FieldType.TEXT:
        return _text(operator, want, get)
    if kind is FieldType.NUMBER:
        return _ordered(operator, want, lambda p: as_number(get(p)))
    if kind is FieldType.BOOLEAN:
        return _boolean(operator, want, get)
    if kind is FieldType.TIME:
        if isinstance(want, int) and not isinstance(want, bool) and operator in N_DAYS:
            return _n_days(operator, want * DAY_US, get)
        return _ordered(operator, want, lambda p: as_time(get(p)))
    return _includes(operator, want, get)


def _present(kind: FieldType, get: Getter) -> Callable[[Any], bool]:
    if kind is FieldType.TEXT:
        return lambda p: _nonempty_text(get(p))
    if kind is FieldType.NUMBER:
        return lambda p: as_number(get(p)) is not None
    if kind is FieldType.BOOLEAN:
        return lambda p: isinstance(get(p), bool)
    if kind is FieldType.TIME:
        return lambda p: as_time(get(p)) is not None
    if kind is FieldType.LIST:
        return lambda p: bool(as_text_list(get(p)))
    return lambda p: _any_present(get(p))


def _nonempty_text(v: object) -> bool:
    return isinstance(v, str) and v != ""


def _any_present(v: object) -> bool:
    """An untyped value is present unless None, empty text, an empty list or an empty object."""
    if v is None:
        return False
    if isinstance(v, (str, list, dict)):  # a tuple: faster than a union
        return len(v) > 0
    return True


def _text(operator: str, want: Value, get: Getter) -> Test:
    if operator == "is":

        def text_is(p: Any, n: int) -> bool:
            v = get(p)
            return isinstance(v, str) and v.casefold() == want

        return text_is
    if operator == "includes_string":
        return lambda p, n: isinstance(v := get(p), str) and want in v.casefold()  # type: ignore[operator]
    if operator == "not_includes_string":
        return lambda p, n: isinstance(v := get(p), str) and want not in v.casefold()  # type: ignore[operator]

    def text_is_not(p: Any, n: int) -> bool:
        v = get(p)
        return isinstance(v, str) and v.casefold() != want

    return text_is_not


def _boolean(operator: str, want: Value, get: Getter) -> Test:
    if operator == "is":
        return lambda p, n: get(p) is want
    return lambda p, n: isinstance(v := get(p), bool) and v is not want


def _ordered(operator: str, want: Value, read: Callable[[Any], int | float | None]) -> Test:
    """Numbers and times: read None never matches."""
    w: Any = want
    if operator == "is":
        return lambda p, n: (v := read(p)) is not None and v == w
    if operator == "is_not":
        return lambda p, n: (v := read(p)) is not None and v != w
    if operator == "less_than":
        return lambda p, n: (v := read(p)) is not None and v < w
    if operator == "greater_than":
        return lambda p, n: (v := read(p)) is not None and v > w
    if operator == "less_than_or_equal":
        return lambda p, n: (v := read(p)) is not None and v <= w
    return lambda p, n: (v := read(p)) is not None and v >= w


def _n_days(operator: str, span: int, get: Getter) -> Test:
    """Windows against now: previous = [now - span, now], next = [now, now + span],
    more_than_n_days_ago = strictly before now - span."""
    if operator == "within_previous_n_days":
        return lambda p, n: (t := as_time(get(p))) is not None and n - span <= t <= n
    if operator == "within_next_n_days":
        return lambda p, n: (t := as_time(get(p))) is not None and n <= t <= n + span
    return lambda p, n: (t := as_time(get(p))) is not None and t < n - span


def n_days_flip(operator: str, span: int, get: Getter) -> Flip:
    """When `_n_days`'s test next changes its outcome after now (µs), for a profile; None when it
    never will: no readable time, or every edge of the window passed.

    Its window is a range of now: previous holds for n in [t, t + span], next for
    [t - span, t], more_than for n > t + span; the outcome changes at each range's ends.
    """
    if operator == "within_previous_n_days":

        def previous(p: Any, n: int) -> int | None:
            t = as_time(get(p))
            if t is None:
                return None
            return t if t > n else t + span + 1 if t + span >= n else None

        return previous
    if operator == "within_next_n_days":

        def next_(p: Any, n: int) -> int | None:
            t = as_time(get(p))
            if t is None:
                return None
            return t - span if t - span > n else t + 1 if t >= n else None

        return next_
    if operator == "more_than_n_days_ago":

        def more_than(p: Any, n: int) -> int | None:
            t = as_time(get(p))
            return t + span + 1 if t is not None and t + span >= n else None

        return more_than
    raise ValueError(f"{operator!r} is not a relative-date operator; expected one of {N_DAYS}")


def _includes_any(value: object, wanted: frozenset[str]) -> bool:
    """Whether a list holds (case-folded) any of `wanted`; a non-list holds nothing."""
    if not isinstance(value, list):
        return False
    for item in value:  # noqa: SIM110 - a loop is faster than any() over a generator
        if isinstance(item, str) and item.casefold() in wanted:
            return True
    return False


def _includes(operator: str, want: Value, get: Getter) -> Test:
    wanted: frozenset[str] = want if isinstance(want, frozenset) else frozenset()
    if operator == "includes":
        return lambda p, n: _includes_any(get(p), wanted)
    return lambda p, n: not _includes_any(get(p), wanted)
