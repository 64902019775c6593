"""Customer lists: who is in, and in which sub-list when the list is grouped.

A list with `group_by = "user_fields.phone_model"` is one sub-list per value, named
`"<list>: <value>"` ("Phones: iPhone 15"). A dropdown's value is shown by its option's name, not its
tag. A list-valued field (tags, a multiselect) puts a customer in one sub-list per item. A customer
with no value for `group_by` is in none of the sub-lists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from mappings.conditions import Compiled
from mappings.conditions.fields import Field, FieldType
from mappings.conditions.predicates import getter
from mappings.config import CustomerList


class Membership(NamedTuple):
    """A customer's place: the list, and the group within it (None for an ungrouped list)."""

    list: str
    group: str | None = None

    @property
    def name(self) -> str:
        """The (sub-)list's name: `VIP customers`, `Phones: iPhone 15`."""
        return self.list if self.group is None else f"{self.list}: {self.group}"


@dataclass
class CompiledList:
    name: str
    index: int
    spec: CustomerList
    conditions: Compiled
    group_by: Field | None = None
    merge_fields: tuple[tuple[str, Field], ...] = ()  # (merge tag, field) for Mailchimp
    columns: tuple[tuple[str, Field], ...] = ()  # (header, field) for the CSV file
    _whole: tuple[Membership, ...] = field(init=False, repr=False)
    _read: Callable[[Any], object] | None = field(init=False, repr=False)
    _groups: dict[str, Membership] = field(init=False, repr=False, default_factory=dict)
    # A scalar value's memberships, worked out once: a run sees few distinct phone models.
    _by_value: dict[object, tuple[Membership, ...]] = field(
        init=False, repr=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        self._whole = (Membership(self.name),)
        self._read = getter(self.group_by.path) if self.group_by else None

    def memberships(self, profile: Any) -> tuple[Membership, ...]:
        """Where a profile that meets the conditions belongs (empty: no value to group by)."""
        if self._read is None:
            return self._whole
        raw = self._read(profile)
        if type(raw) is str:  # the common case, keyed by itself
            known = self._by_value.get(raw)
            if known is not None:
                return known
        if isinstance(raw, str | int | float | bool):
            # 1, 1.0 and True are equal keys but not equal labels: only text keys by itself.
            key = raw if type(raw) is str else (type(raw), raw)
            known = self._by_value.get(key)
            if known is None:
                known = self._labelled((raw,))
                if len(self._by_value) < VALUE_MEMO_LIMIT:
                    self._by_value[key] = known
            return known
        return self._labelled(raw if isinstance(raw, list) else (raw,))

    def _labelled(self, values: Sequence[object]) -> tuple[Membership, ...]:
        found = []
        for value in values:
            label = self.group_label(value)
            if label is not None:
                found.append(self._member(label))
        return tuple(dict.fromkeys(found))

    def mailchimp_tag(self, membership: Membership) -> str | None:
        """The Mailchimp tag of a (sub-)list: the destination's `tag` (by default the list's
        name), and for a group `"<tag>: <value>"`; None when the list does not go to Mailchimp."""
        if self.spec.mailchimp is None:
            return None
        tag = self.spec.mailchimp.tag or self.name
        return tag if membership.group is None else f"{tag}: {membership.group}"

    def merge_values(self, profile: Any) -> dict[str, str]:
        """The Mailchimp merge fields of a member, as text (a dropdown by its option's name)."""
        return {tag: shown(f, getter(f.path)(profile)) for tag, f in self.merge_fields}

    def csv_row(self, profile: Any) -> dict[str, str]:
        """A member's CSV row, header -> text."""
        return {header: shown(f, getter(f.path)(profile)) for header, f in self.columns}

    def group_label(self, value: object) -> str | None:
        """How a group_by value is named; None when there is no usable value."""
        if value is None or isinstance(value, dict | list):
            return None
        if isinstance(value, bool):
            return "Yes" if value else "No"
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
        if not text:
            return None
        if self.group_by is not None and self.group_by.options:
            option = self.group_by.option_for(text)
            if option is not None:
                return option.name
        return text

    def _member(self, label: str) -> Membership:
        found = self._groups.get(label)
        if found is None:
            found = self._groups[label] = Membership(self.name, label)
        return found


def shown(field: Field, value: object) -> str:
    """A profile value as people read it: a dropdown option by its name, a time as ISO-8601 UTC
    (times are kept as Unix seconds), a list joined with commas, nothing as ""."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(shown(field, item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if field.type is FieldType.TIME and isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return ""
    text = str(value)
    if field.options:
        option = field.option_for(text)
        if option is not None:
            return option.name
    return text


VALUE_MEMO_LIMIT = 10_000  # distinct group values remembered per list (free text can be many)

GROUPABLE = frozenset(
    {FieldType.TEXT, FieldType.NUMBER, FieldType.BOOLEAN, FieldType.LIST, FieldType.ANY}
)
