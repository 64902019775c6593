"""`compile_conditions`: validate a condition spec, report every problem, build the predicate.

A spec is a group: `{"all": [...], "any": [...]}` (either key optional). It matches when every item
of `all` matches and, if `any` is non-empty, at least one item of `any` does — Zendesk's view
semantics. An item is a condition `{"field", "operator", "value"}` or, where a recipe needs it, a
nested group of the same shape (`{"any": [...]}` inside `all`, and vice versa).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from mappings.conditions.codegen import generate
from mappings.conditions.fields import Catalogue, Field, FieldType, resolve_field
from mappings.conditions.operators import (
    APPLIES_TO,
    N_DAYS,
    Value,
    effective_type,
    normalise_value,
    operators_for,
)
from mappings.conditions.predicates import Flip, Test, build, getter, n_days_flip
from mappings.conditions.problems import ConditionsError, Problem, did_you_mean, join_location
from mappings.conditions.values import DAY_US, now_us
from mappings.schema import describe_options

GROUP_KEYS = ("all", "any")
OPTION_OPERATORS = ("is", "is_not", "includes", "not_includes")
CONDITION_KEYS = ("field", "operator", "value")


@dataclass(frozen=True)
class Leaf:
    """One compiled condition: its place in the spec, what it says, and its closure."""

    location: str
    field: Field
    operator: str
    kind: FieldType  # the type evaluated as (an untyped custom field's is inferred)
    value: object  # as written in the spec, for explain
    want: Value
    read: Callable[[Any], object]
    test: Test


@dataclass(frozen=True)
class Group:
    """`all` or `any` over items; an empty group matches (an empty `any` is no constraint).

    A spec table (the root, or a nested `{"any": [...]}` item) is a group with `part=False` whose
    items are its `all` and `any` parts (`part=True`).
    """

    location: str
    mode: str  # "all" | "any"
    items: tuple[Group | Leaf, ...]
    test: Test
    part: bool = False


@dataclass(frozen=True)
class Compiled:
    """A validated condition set; `matches` is cheap and never raises on profile data.

    `root` is the tree of closures (what `explain` walks); `fast` is the same set as one
    generated function (see `codegen`), which `matches` and `predicate` use.
    """

    spec: Mapping[str, Any]
    root: Group
    fast: Test

    def matches(self, profile: Any, now: datetime) -> bool:
        """Whether `profile` meets the conditions at `now` (an aware datetime)."""
        return self.fast(profile, now_us(now))

    def reads(self) -> frozenset[tuple[str, ...]]:
        """What the outcome depends on: profile paths such as ("user_fields", "vip"), and for
        `tags includes/not_includes` only the tags named, as ("tags", "#vip")."""
        found: set[tuple[str, ...]] = set()
        pending: list[Group | Leaf] = [self.root]
        while pending:
            node = pending.pop()
            if not isinstance(node, Leaf):
                pending.extend(node.items)
            elif node.field.path == ("tags",) and isinstance(node.want, frozenset):
                found.update(("tags", f"#{tag}") for tag in node.want)
            else:
                found.add(node.field.path)
        return frozenset(found)

    @cached_property
    def relative_leaves(self) -> tuple[Leaf, ...]:
        """The conditions whose outcome can change with time alone, in spec order."""
        found: list[Leaf] = []
        pending: list[Group | Leaf] = [self.root]
        while pending:
            node = pending.pop()
            if isinstance(node, Group):
                pending.extend(reversed(node.items))
            elif node.operator in N_DAYS:
                found.append(node)
        return tuple(found)

    @cached_property
    def relative_flips(self) -> tuple[Flip, ...]:
        """For each relative-date condition: (profile, now in µs) -> when it next changes."""
        return tuple(
            n_days_flip(leaf.operator, leaf.want * DAY_US, leaf.read)
            for leaf in self.relative_leaves
            if isinstance(leaf.want, int)
        )

    def next_change(self, profile: Any, moment: int) -> int | None:
        """The earliest moment (µs since the epoch) after `moment` (now, in µs) at which any
        relative-date condition of the set changes its outcome for `profile`; None: none will.

        Per condition, not per set: the set's outcome may well stay the same then (another
        condition may decide it), but it cannot change before.
        """
        return earliest_flip(self.relative_flips, profile, moment)

    def predicate(self, now: datetime) -> Callable[[Any], bool]:
        """`profile -> bool` with `now` bound once, for evaluating many profiles in one run."""
        test, moment = self.fast, now_us(now)
        return lambda profile: test(profile, moment)


def earliest_flip(flips: Iterable[Flip], profile: Any, moment: int) -> int | None:
    """The earliest of the moments `flips` give for `profile` after `moment`; None: none."""
    found = None
    for flip in flips:
        at = flip(profile, moment)
        if at is not None and (found is None or at < found):
            found = at
    return found


def compile_conditions(
    spec: object, catalogue: Catalogue | None = None, *, location: str = ""
) -> Compiled:
    """Validate `spec` and compile it; raise `ConditionsError` listing every problem.

    `catalogue` ({user-field key: Zendesk or FieldType type}) turns on checking `user_fields.*`
    against the account's schema. `location` prefixes every problem's location (e.g.
    `lists[2].conditions`) so the config loader can place them in the file.
    """
    problems: list[Problem] = []
    root = _group(spec, location, catalogue, problems)
    if problems or root is None:
        raise ConditionsError(problems)
    assert isinstance(spec, Mapping)
    return Compiled(spec, root, generate(root, root.test))


def _group(
    spec: object, location: str, catalogue: Catalogue | None, problems: list[Problem]
) -> Group | None:
    if not isinstance(spec, Mapping):
        problems.append(
            Problem(location, f"expected a table with 'all' and/or 'any', got {spec!r}")
        )
        return None
    for key in spec:
        if key not in GROUP_KEYS:
            suggestion = did_you_mean(str(key), GROUP_KEYS)
            problems.append(
                Problem(
                    join_location(location, str(key)),
                    "unknown key; expected 'all' or 'any'",
                    suggestion,
                )
            )
    parts: list[Group] = []
    for mode in GROUP_KEYS:
        if mode not in spec:
            continue
        where = join_location(location, mode)
        items = spec[mode]
        if not isinstance(items, Sequence) or isinstance(items, str):
            problems.append(Problem(where, f"expected a list of conditions, got {items!r}"))
            continue
        compiled = [
            _item(item, join_location(where, f"[{i}]"), catalogue, problems)
            for i, item in enumerate(items)
        ]
        built = tuple(c for c in compiled if c is not None)
        parts.append(Group(where, mode, built, _combine(mode, [c.test for c in built]), part=True))
    return Group(location, "all", tuple(parts), _combine("all", [g.test for g in parts]))


def _item(
    item: object, location: str, catalogue: Catalogue | None, problems: list[Problem]
) -> Group | Leaf | None:
    if isinstance(item, Mapping) and "field" not in item and any(k in item for k in GROUP_KEYS):
        return _group(item, location, catalogue, problems)
    if not isinstance(item, Mapping):
        problems.append(
            Problem(location, f"expected a condition {{field, operator, value}}, got {item!r}")
        )
        return None
    return _condition(item, location, catalogue, problems)


def _condition(
    item: Mapping[str, Any], location: str, catalogue: Catalogue | None, problems: list[Problem]
) -> Leaf | None:
    before = len(problems)
    for key in item:
        if key not in CONDITION_KEYS:
            problems.append(
                Problem(
                    join_location(location, str(key)),
                    "unknown key; expected field, operator and value",
                    did_you_mean(str(key), CONDITION_KEYS),
                )
            )
    field = _field(item.get("field"), join_location(location, "field"), catalogue, problems)
    operator = item.get("operator")
    op_where = join_location(location, "operator")
    if operator is None:
        problems.append(Problem(op_where, "missing operator"))
    elif not isinstance(operator, str) or operator not in APPLIES_TO:
        suggestion = did_you_mean(operator, APPLIES_TO) if isinstance(operator, str) else None
        problems.append(
            Problem(
                op_where,
                f"unknown operator {operator!r}; expected one of {', '.join(APPLIES_TO)}",
                suggestion,
            )
        )
        operator = None
    if field is None or operator is None:
        return None
    if field.type not in APPLIES_TO[operator]:
        fits = ", ".join(operators_for(field.type))
        problems.append(
            Problem(
                op_where,
                f"{operator} does not apply to {field.address} ({field.type.value}); "
                f"expected one of {fits}",
            )
        )
        return None
    value, given = item.get("value"), "value" in item
    kind = effective_type(field.type, operator, value)
    val_where = join_location(location, "value")
    if kind is None:
        problems.append(
            Problem(val_where, f"expected a number or a date for {operator}, got {value!r}")
        )
        return None
    try:
        want = normalise_value(kind, operator, value, given)
    except ValueError as error:
        problems.append(Problem(val_where, str(error)))
        return None
    if field.options and operator in OPTION_OPERATORS:
        want = _option_tags(field, value, val_where, problems)
    if len(problems) > before:
        return None
    read = getter(field.path)
    test = build(kind, operator, want, read)
    return Leaf(location, field, operator, kind, value, want, read, test)


def _option_tags(field: Field, value: object, where: str, problems: list[Problem]) -> Value:
    """A dropdown/multiselect value written as an option's name or tag, as the tag(s) data holds."""
    written = [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []
    tags: list[str] = []
    for text in written:
        option = field.option_for(text) if isinstance(text, str) else None
        if option is None:
            names = [o.name for o in field.options] + [o.tag for o in field.options]
            problems.append(
                Problem(
                    where,
                    f"{text!r} is not an option of {field.address}; "
                    f"its options are {describe_options(field.options)}",
                    did_you_mean(str(text), names),
                )
            )
        else:
            tags.append(option.tag.casefold())
    if isinstance(value, str):
        return tags[0] if tags else None
    return frozenset(tags)


def _field(
    address: object, location: str, catalogue: Catalogue | None, problems: list[Problem]
) -> Field | None:
    if address is None:
        problems.append(Problem(location, "missing field"))
        return None
    if not isinstance(address, str):
        problems.append(Problem(location, f"expected a field name, got {address!r}"))
        return None
    resolved = resolve_field(address, catalogue)
    if isinstance(resolved, Field):
        return resolved
    message, suggestion = resolved
    problems.append(Problem(location, message, suggestion))
    return None


def _combine(mode: str, tests: list[Test]) -> Test:
    """One closure for a group, unrolled for the short groups recipes use."""
    if not tests:
        return lambda p, n: True
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        if mode == "all":
            return lambda p, n: a(p, n) and b(p, n)
        return lambda p, n: a(p, n) or b(p, n)
    frozen = tuple(tests)
    if mode == "all":

        def all_of(p: Any, n: int) -> bool:
            for test in frozen:  # noqa: SIM110 - a loop is faster than all() over a generator
                if not test(p, n):
                    return False
            return True

        return all_of

    def any_of(p: Any, n: int) -> bool:
        for test in frozen:  # noqa: SIM110 - a loop is faster than any() over a generator
            if test(p, n):
                return True
        return False

    return any_of
