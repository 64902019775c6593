"""The plain records the Mailchimp connector takes and gives: no client objects, no HTTP."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

STATUSES_FOR_NEW = ("subscribed", "unsubscribed", "cleaned", "pending", "transactional")


def subscriber_hash(email: str) -> str:
    """Mailchimp's member id: the MD5 of the lower-cased address."""
    return hashlib.md5(email.strip().lower().encode(), usedforsecurity=False).hexdigest()


def email_key(email: str) -> str:
    """How addresses are compared everywhere in this connector: trimmed, case-insensitive."""
    return email.strip().lower()


@dataclass(frozen=True)
class Audience:
    """What `check()` found: the audience exists, and how many members it holds."""

    id: str
    name: str
    member_count: int  # subscribed
    unsubscribe_count: int
    cleaned_count: int
    total_contacts: int | None  # every status but archived, when Mailchimp reports it


@dataclass(frozen=True)
class Member:
    """One member as read from the audience."""

    id: str  # the subscriber hash
    email: str
    status: str
    tags: tuple[str, ...]
    merge_fields: Mapping[str, Any]
    last_changed: datetime | None


@dataclass(frozen=True)
class MemberPage:
    """One page of members and where the next one starts.

    Store the page first, then `next_offset`: resuming with `members(..., offset=next_offset)`
    continues after it. `next_offset` is None on the last page.
    """

    members: tuple[Member, ...]
    offset: int
    next_offset: int | None
    total_items: int


@dataclass(frozen=True)
class MemberUpdate:
    """A member to add (with the caller's `status_if_new`) or to update (status untouched).

    `exists`: the caller's own record says the member is in the audience, so the upsert skips
    the create pass and updates at once (one call instead of two); if they are gone after all,
    the fallback adds them with `status_if_new`, so a wrong guess costs a call, never consent.
    """

    email: str
    merge_fields: Mapping[str, Any] = field(default_factory=dict)
    exists: bool = False


Action = Literal["created", "updated", "failed"]


@dataclass(frozen=True)
class MemberOutcome:
    """What became of one member of an upsert; a failure says which field and why."""

    email: str
    action: Action
    status: str | None = None  # the member's status in Mailchimp afterwards, when known
    error_code: str | None = None
    message: str | None = None
    field: str | None = None

    @property
    def failed(self) -> bool:
        return self.action == "failed"


@dataclass(frozen=True)
class UpsertResult:
    """Every member's outcome, in the order they were settled."""

    outcomes: tuple[MemberOutcome, ...]

    def _with(self, action: Action) -> tuple[MemberOutcome, ...]:
        return tuple(o for o in self.outcomes if o.action == action)

    @property
    def created(self) -> tuple[MemberOutcome, ...]:
        return self._with("created")

    @property
    def updated(self) -> tuple[MemberOutcome, ...]:
        return self._with("updated")

    @property
    def failed(self) -> tuple[MemberOutcome, ...]:
        return self._with("failed")


@dataclass(frozen=True)
class Tag:
    """A tag: what Mailchimp's API calls a static segment."""

    id: int
    name: str
    member_count: int | None
    created: bool  # made by this call, rather than found


@dataclass(frozen=True)
class EmailProblem:
    email: str
    reason: str


@dataclass(frozen=True)
class TagResult:
    """What `tag_members` did to each address; none is left out."""

    tag: Tag
    added: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: tuple[str, ...]  # already as asked: tagged (add) or untagged (remove)
    failed: tuple[EmailProblem, ...]  # e.g. not a member of the audience


@dataclass(frozen=True)
class MergeField:
    merge_id: int
    tag: str
    name: str
    type: str


@dataclass(frozen=True)
class MergeFieldsResult:
    present: tuple[MergeField, ...]  # already there with the wanted type
    created: tuple[MergeField, ...]


Removal = Literal["archived", "erased", "not_on_list"]


@dataclass(frozen=True)
class RemovalOutcome:
    email: str
    action: Removal


@dataclass(frozen=True)
class AudienceRef:
    """An audience as the account lists it: enough to find it by the name the admin wrote."""

    id: str
    name: str
