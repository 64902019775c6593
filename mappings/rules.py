"""Rules in order over one profile: which fire, what they want, and where two disagree.

Rules run in the order written, like Zendesk triggers: each sees the profile as the rules before it
left it (a rule that ticks "bad rating submitted" lets a later rule see the `bad_rating` tag).
What comes out is `Desired` — the values the rules want, not edits — so running the rules again on
a profile that already has them wants the same values and the pipeline writes nothing.

Two rules that claim different values for one target (a field, a tag, the tickets' priority or
group) for the same profile are a `Conflict`: reported, and neither value is wanted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mappings.actions import USER_FIELDS, CompiledAction, value_repr
from mappings.conditions import Compiled

TAGS = "tags."
TICKET_TAGS = "tickets.tags."


@dataclass(frozen=True)
class CompiledRule:
    name: str
    index: int
    conditions: Compiled
    actions: tuple[CompiledAction, ...]


@dataclass(frozen=True)
class Conflict:
    """Rules that want different values for one target; neither is applied."""

    target: str
    claims: tuple[tuple[str, object], ...]  # (rule name, value), in rule order

    def __str__(self) -> str:
        wanted = "; ".join(f"{rule!r} wants {value_repr(value)}" for rule, value in self.claims)
        return f"rules disagree on {self.target}: {wanted} — neither is applied"


@dataclass(frozen=True)
class Desired:
    """What the rules that fired want for one profile (and its unsolved tickets)."""

    fired: tuple[str, ...] = ()
    user_fields: Mapping[str, object] = field(default_factory=dict)
    add_tags: frozenset[str] = frozenset()
    remove_tags: frozenset[str] = frozenset()
    ticket_priority: str | None = None
    ticket_group: str | None = None
    ticket_tags: frozenset[str] = frozenset()
    conflicts: tuple[Conflict, ...] = ()

    def actions(self) -> dict[str, object]:
        """Every wanted value by action name, as `[[tests]]` name them."""
        found: dict[str, object] = {USER_FIELDS + k: v for k, v in self.user_fields.items()}
        if self.add_tags:
            found["add_tags"] = sorted(self.add_tags)
        if self.remove_tags:
            found["remove_tags"] = sorted(self.remove_tags)
        if self.ticket_priority is not None:
            found["tickets.priority"] = self.ticket_priority
        if self.ticket_group is not None:
            found["tickets.group"] = self.ticket_group
        if self.ticket_tags:
            found["tickets.add_tags"] = sorted(self.ticket_tags)
        return found

    def claims(self) -> dict[str, object]:
        """Every wanted value by claim target: `user_fields.vip`, `tags.vip`, `tickets.priority`."""
        found: dict[str, object] = {USER_FIELDS + k: v for k, v in self.user_fields.items()}
        found.update({TAGS + tag: "add" for tag in self.add_tags})
        found.update({TAGS + tag: "remove" for tag in self.remove_tags})
        found.update({TICKET_TAGS + tag: "add" for tag in self.ticket_tags})
        if self.ticket_priority is not None:
            found["tickets.priority"] = self.ticket_priority
        if self.ticket_group is not None:
            found["tickets.group"] = self.ticket_group
        return found

    def __bool__(self) -> bool:
        return bool(self.fired)


NOTHING = Desired()


def run_rules(
    rules: Sequence[CompiledRule],
    fired_at_start: Sequence[bool],
    profile: Any,
    moment: int,
    checkbox_tags: Mapping[str, str],
) -> tuple[Desired, ProfileChange]:
    """The rules' `Desired` for `profile`, and what applying it changes in the profile.

    `fired_at_start` is each rule's outcome on the unchanged profile (from one batch evaluation);
    rules before the first that fired are not looked at again. `moment` is now in µs.
    `checkbox_tags` maps a checkbox field's key to its tag, to keep both in step.
    """
    first = next((i for i, fired in enumerate(fired_at_start) if fired), None)
    if first is None:
        return NOTHING, NO_CHANGE
    claims: dict[str, list[tuple[str, object]]] = {}
    fired: list[str] = []
    seen = profile
    for rule in rules[first:]:
        outcome = (
            fired_at_start[rule.index] if seen is profile else rule.conditions.fast(seen, moment)
        )
        if not outcome:
            continue
        fired.append(rule.name)
        new_claims = [claim for action in rule.actions for claim in action.claims]
        for target, value in new_claims:
            claims.setdefault(target, []).append((rule.name, value))
        seen = apply_claims(seen, new_claims, checkbox_tags)
    # What is applied holds only what will really be written: agreed claims, not conflicts.
    return desired_of(fired, claims), ProfileChange.of(agreed_claims(claims), checkbox_tags)


def agreed_claims(claims: dict[str, list[tuple[str, object]]]) -> list[tuple[str, object]]:
    """The claims no two rules disagree on, one per target."""
    return [(target, made[0][1]) for target, made in claims.items() if is_agreed(made)]


def is_agreed(claims: list[tuple[str, object]]) -> bool:
    first = claims[0][1]
    return all(_same(value, first) for _, value in claims)


def _same(a: object, b: object) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):  # 100 and 100.0 agree
        return isinstance(a, bool) == isinstance(b, bool) and a == b
    return type(a) is type(b) and a == b


def desired_of(fired: list[str], claims: dict[str, list[tuple[str, object]]]) -> Desired:
    """The `Desired` of the rules that fired, from every claim each made (target -> claims)."""
    user_fields: dict[str, object] = {}
    add: set[str] = set()
    remove: set[str] = set()
    ticket_tags: set[str] = set()
    priority = group = None
    conflicts: list[Conflict] = []
    for target, made in claims.items():
        if not is_agreed(made):
            distinct = list(
                {(rule, value_repr(value)): (rule, value) for rule, value in made}.values()
            )
            conflicts.append(Conflict(target, tuple(distinct)))
            continue
        value = made[0][1]
        if target.startswith(USER_FIELDS):
            user_fields[target[len(USER_FIELDS) :]] = value
        elif target.startswith(TICKET_TAGS):
            ticket_tags.add(target[len(TICKET_TAGS) :])
        elif target.startswith(TAGS):
            (add if value == "add" else remove).add(target[len(TAGS) :])
        elif target == "tickets.priority":
            priority = value
        elif target == "tickets.group":
            group = value
    return Desired(
        tuple(fired),
        user_fields,
        frozenset(add),
        frozenset(remove),
        priority if isinstance(priority, str) else None,
        group if isinstance(group, str) else None,
        frozenset(ticket_tags),
        tuple(conflicts),
    )


@dataclass(frozen=True)
class ProfileChange:
    """What claims do to the profile itself: user fields set, tags added and removed."""

    fields: Mapping[str, object]
    add: tuple[str, ...]
    remove: frozenset[str]

    @classmethod
    def of(
        cls, claims: Sequence[tuple[str, object]], checkbox_tags: Mapping[str, str]
    ) -> ProfileChange:
        """Later claims win; a checkbox with a tag moves its tag along (as Zendesk does)."""
        fields: dict[str, object] = {}
        tags: dict[str, bool] = {}
        for target, value in claims:
            if target.startswith(USER_FIELDS):
                key = target[len(USER_FIELDS) :]
                fields[key] = value
                tag = checkbox_tags.get(key)
                if tag is not None and isinstance(value, bool):
                    tags[tag] = value
            elif target.startswith(TAGS):
                tags[target[len(TAGS) :]] = value == "add"
        add = tuple(tag for tag, present in tags.items() if present)
        remove = frozenset(tag for tag, present in tags.items() if not present)
        return cls(fields, add, remove)

    def __bool__(self) -> bool:
        return bool(self.fields or self.add or self.remove)

    def keys(self) -> frozenset[tuple[str, ...]]:
        """What it changes, in the terms of `Compiled.reads`: ("user_fields", key), ("tags",)
        and ("tags", "#tag") for each tag added or removed."""
        found: set[tuple[str, ...]] = {("user_fields", key) for key in self.fields}
        tags = (*self.add, *self.remove)
        if tags:
            found.add(("tags",))
            found.update(("tags", f"#{tag}") for tag in tags)
        return frozenset(found)

    def apply(self, profile: Any) -> Any:
        """A changed copy of `profile` (which is left as it is); ill-typed parts are replaced."""
        if not isinstance(profile, dict):
            return profile
        changed = dict(profile)
        if self.fields:
            fields = profile.get("user_fields")
            changed["user_fields"] = (
                {**fields, **self.fields} if isinstance(fields, dict) else dict(self.fields)
            )
        if self.add or self.remove:
            raw = profile.get("tags")
            tags = [t for t in raw if isinstance(t, str)] if isinstance(raw, list) else []
            if self.remove:
                tags = [t for t in tags if t not in self.remove]
            changed["tags"] = tags + [t for t in self.add if t not in tags]
        return changed


NO_CHANGE = ProfileChange({}, (), frozenset())


def apply_claims(
    profile: Any, claims: Sequence[tuple[str, object]], checkbox_tags: Mapping[str, str]
) -> Any:
    """A copy of `profile` with the user's field and tag claims applied (tickets are not in it)."""
    return ProfileChange.of(claims, checkbox_tags).apply(profile)
