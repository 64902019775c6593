"""Generated code: condition sets as one flat Python function, each field read once.

The closures in `predicates` cost a few Python calls per condition (group, condition, read), and
evaluating 20 lists one after another reads the same profile fields 20 times. Here one or many
compiled trees become a single function: every distinct field is read (and converted — folded
text, number, time, set of folded text) once into a local, and each set is one `and`/`or`
expression over locals:

    def matches(p, n):
        if not _is(p, dict): return _slow(p, n)
        r0 = p.get(K0)
        s1 = _tl(r0)
        r2 = p.get(K2)
        d3 = r2 if _is(r2, dict) else _EMPTY
        r4 = d3.get(K4)
        f5 = r4.casefold() if _is(r4, str) else None
        return ((not W1.isdisjoint(s1)), (f5 is not None and f5 == W6))

Safety: the source holds only fixed templates and generated names (K0, W3, ...); every key and
value from the spec is bound as a variable, never written into the source. Semantics are those of
`predicates` (the property tests hold both to the reference evaluator); a profile that is not a
dict takes the closure path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import MappingProxyType
from typing import Any

from mappings.conditions.fields import FieldType
from mappings.conditions.values import (
    DAY_US,
    MAX_UNIX_SECONDS,
    as_number,
    as_text_list,
    as_time,
)

_COMPARE = {
    "is": "==",
    "is_not": "!=",
    "less_than": "<",
    "greater_than": ">",
    "less_than_or_equal": "<=",
    "greater_than_or_equal": ">=",
}
_SUBSTRING = {"includes_string": "in", "not_includes_string": "not in"}
# How a read value is converted once per profile: local-name prefix and template.
# Ints (and finite floats: `v - v == 0.0` is false for NaN and infinities) skip the call.
_CONVERT = {
    "f": "{r}.casefold() if _is({r}, str) else None",
    "x": "{r} if _ty({r}) is _int or (_ty({r}) is _float and {r} - {r} == 0.0) else _num({r})",
    "t": "{r} * 1000000 if _ty({r}) is _int and -_MAXS <= {r} <= _MAXS else _time({r})",
    "s": "_tl({r})",
}

Many = Callable[[Any, int], tuple[bool, ...]]
Pair = Callable[[Any, int], tuple[tuple[bool, ...], tuple[bool, ...]]]


class _Source:
    """The function being written: bound names, hoisted reads and conversions."""

    def __init__(self) -> None:
        self.names: dict[str, object] = {}
        self.lines: list[str] = []
        self.locals: dict[object, str] = {}

    def bind(self, prefix: str, value: object) -> str:
        name = f"{prefix}{len(self.names)}"
        self.names[name] = value
        return name

    def read(self, path: tuple[str, ...]) -> str:
        """A local holding the value at `path` (None when anything on the way is not a dict)."""
        if path in self.locals:
            return self.locals[path]
        if len(path) == 1:
            expression = f"p.get({self.bind('K', path[0])})"
        else:
            expression = f"{self.table(path[:-1])}.get({self.bind('K', path[-1])})"
        name = f"r{len(self.locals)}"
        self.lines.append(f"{name} = {expression}")
        self.locals[path] = name
        return name

    def table(self, path: tuple[str, ...]) -> str:
        """A local holding the table at `path`, or an empty one when it is not a table (so that
        each key below it is one `.get`, with the type checked once per profile)."""
        key = ("table", path)
        if key not in self.locals:
            raw = self.read(path)
            name = f"d{len(self.locals)}"
            self.lines.append(f"{name} = {raw} if _is({raw}, dict) else _EMPTY")
            self.locals[key] = name
        return self.locals[key]

    def converted(self, prefix: str, path: tuple[str, ...]) -> str:
        """A local holding the value at `path` converted as `prefix` says (see _CONVERT)."""
        key = (prefix, path)
        if key not in self.locals:
            raw = self.read(path)
            name = f"{prefix}{len(self.locals)}"
            self.lines.append(f"{name} = {_CONVERT[prefix].format(r=raw)}")
            self.locals[key] = name
        return self.locals[key]


def generate(root: Any, slow: Callable[[Any, int], bool]) -> Callable[[Any, int], bool]:
    """One function for one compiled `Group`, returning its outcome."""
    test: Callable[[Any, int], bool] = _build([root], slow, single=True)
    return test


def generate_many(roots: Sequence[Any], slow: Many) -> Many:
    """One function returning, for a profile, the outcome of each root (compiled `Group`s)."""
    many: Many = _build(roots, slow, single=False)
    return many


def generate_pair(first: Sequence[Any], second: Sequence[Any], slow: Pair) -> Pair:
    """One function returning two tuples of outcomes, for `first` and for `second` (rules and
    lists): each field read once for both, and no slicing afterwards."""
    pair: Pair = _build([*first, *second], slow, single=False, split=len(first))
    return pair


def _tuple(items: Sequence[str]) -> str:
    return "(" + "".join(item + ", " for item in items) + ")"


def _build(
    roots: Sequence[Any],
    slow: Callable[[Any, int], Any],
    *,
    single: bool,
    split: int | None = None,
) -> Any:
    source = _Source()
    outcomes = [_node(root, source) for root in roots]
    body = "".join(f"        {line}\n" for line in source.lines)
    if single:
        result = outcomes[0]
    elif split is None:
        result = _tuple(outcomes)
    else:
        result = f"({_tuple(outcomes[:split])}, {_tuple(outcomes[split:])})"
    code = (
        f"def _factory({', '.join(source.names)}):\n"
        "    def matches(p, n):\n"
        "        if not _is(p, dict):\n"
        "            return _slow(p, n)\n"
        f"{body}"
        f"        return {result}\n"
        "    return matches\n"
    )
    namespace: dict[str, Any] = {
        "_is": isinstance,
        "_EMPTY": MappingProxyType({}),
        "_ty": type,
        "_int": int,
        "_float": float,
        "_MAXS": MAX_UNIX_SECONDS,
        "_slow": slow,
        "_num": as_number,
        "_time": as_time,
        "_tl": as_text_list,
        "_SLD": (str, list, dict),
    }
    exec(compile(code, "<conditions>", "exec"), namespace)  # noqa: S102 - see the docstring
    return namespace["_factory"](*source.names.values())


def _node(node: Any, source: _Source) -> str:
    items = getattr(node, "items", None)
    if items is None:
        return _leaf(node, source)
    if not items:
        return "True"
    joiner = " and " if node.mode == "all" else " or "
    return "(" + joiner.join(_node(item, source) for item in items) + ")"


def _leaf(leaf: Any, source: _Source) -> str:
    kind: FieldType = leaf.kind
    operator: str = leaf.operator
    path: tuple[str, ...] = leaf.field.path
    if operator in ("present", "not_present"):
        present = _present(kind, path, source)
        return present if operator == "present" else f"(not {present})"
    w = source.bind("W", leaf.want)
    if kind is FieldType.TEXT:
        f = source.converted("f", path)
        if operator in _SUBSTRING:
            return f"({f} is not None and {w} {_SUBSTRING[operator]} {f})"
        return f"({f} is not None and {f} {_COMPARE[operator]} {w})"
    if kind is FieldType.BOOLEAN:
        r = source.read(path)
        if operator == "is":
            return f"({r} is {w})"
        return f"(_is({r}, bool) and {r} is not {w})"
    if kind is FieldType.NUMBER:
        x = source.converted("x", path)
        return f"({x} is not None and {x} {_COMPARE[operator]} {w})"
    if kind is FieldType.TIME:
        t = source.converted("t", path)
        if operator in _COMPARE:
            return f"({t} is not None and {t} {_COMPARE[operator]} {w})"
        span = source.bind("S", leaf.want * DAY_US)
        if operator == "within_previous_n_days":
            return f"({t} is not None and n - {span} <= {t} <= n)"
        if operator == "within_next_n_days":
            return f"({t} is not None and n <= {t} <= n + {span})"
        return f"({t} is not None and {t} < n - {span})"
    s = source.converted("s", path)
    includes = f"(not {w}.isdisjoint({s}))"
    return includes if operator == "includes" else f"(not {includes})"


def _present(kind: FieldType, path: tuple[str, ...], source: _Source) -> str:
    if kind is FieldType.TEXT:
        f = source.converted("f", path)
        return f"({f} is not None and {f} != '')"
    if kind is FieldType.NUMBER:
        return f"({source.converted('x', path)} is not None)"
    if kind is FieldType.TIME:
        return f"({source.converted('t', path)} is not None)"
    r = source.read(path)
    if kind is FieldType.BOOLEAN:
        return f"_is({r}, bool)"
    if kind is FieldType.LIST:
        return f"(len({source.converted('s', path)}) > 0)"
    return f"({r} is not None and (not _is({r}, _SLD) or len({r}) > 0))"
