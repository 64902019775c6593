"""One audience as it is now: its seeded roster, with every change since laid over it.

Members are addressed by `ref`, their place in the audience's order: the seeded members first,
in the order they signed up, then those added since, in the order they were added. A change to a
seeded member stores the whole changed member in `changed`; nothing else about the roster moves.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sandbox.mailchimp.model import (
    ARCHIVED,
    STATUS_CODES,
    STATUSES,
    SUBSCRIBED,
    Member,
    subscriber_hash,
)
from sandbox.mailchimp.roster import Roster
from sandbox.mailchimp.specs import AudienceSpec

_VIEW_CACHE_SIZE = 16


@dataclass(frozen=True)
class MemberFilter:
    """Which members a listing shows; the default is every member that is not archived."""

    statuses: frozenset[str] = frozenset(STATUSES) - {ARCHIVED}
    changed_after: int | None = None  # last_changed strictly after
    changed_before: int | None = None  # last_changed strictly before
    tag: int | None = None  # the static segment (tag) id the member must carry
    opted_since: int | None = None  # opted in at or after (the seeded saved segment)

    def admits(self, member: Member) -> bool:
        if member.status not in self.statuses:
            return False
        if self.changed_after is not None and member.last_changed <= self.changed_after:
            return False
        if self.changed_before is not None and member.last_changed >= self.changed_before:
            return False
        if self.tag is not None and self.tag not in member.tags:
            return False
        opted = member.timestamp_opt
        return self.opted_since is None or (opted is not None and opted >= self.opted_since)


class Audience:
    def __init__(self, list_id: str, roster: Roster, tag_ids: Sequence[int]) -> None:
        self.id = list_id
        self.roster = roster
        self.tag_ids = list(tag_ids)  # the segment ids of the roster's seeded tags
        self._seeded_latest: dict[str, int | None] = {}
        self.reset()

    @property
    def spec(self) -> AudienceSpec:
        return self.roster.spec

    def reset(self) -> None:
        self.changed: dict[int, Member] = {}
        self.erased: set[int] = set()
        self.forgotten: set[str] = set(self.roster.forgotten)
        self._added_by_hash: dict[str, int] = {}
        self._next_ref = self.roster.size
        self.version = 0
        self._views: dict[MemberFilter, tuple[int, Sequence[int]]] = {}

    # --- finding members -------------------------------------------------------------------------

    def find(self, hex_hash: str) -> int | None:
        """The member (archived or not) with this subscriber hash; None if none, or erased."""
        ref = self._added_by_hash.get(hex_hash)
        if ref is None:
            ref = self.roster.find(hex_hash)
        return None if ref is None or ref in self.erased else ref

    def member(self, ref: int) -> Member:
        """The member at `ref` as it is now; a seeded one is a fresh copy until it is saved."""
        changed = self.changed.get(ref)
        if changed is not None:
            return changed
        return self.roster.member(ref, self.tag_ids)

    @property
    def ref_count(self) -> int:
        """How many refs were ever handed out: erased members' refs are not reused."""
        return self._next_ref

    def is_forgotten(self, email: str) -> bool:
        return email.lower() in self.forgotten

    # --- changing members -----------------------------------------------------------------------

    def save(self, member: Member) -> None:
        """Keep `member` as it now is (its `last_changed` already set by the caller)."""
        self.changed[member.ref] = member
        self.version += 1

    def new_ref(self, email: str) -> int:
        ref = self._next_ref
        self._next_ref += 1
        self._added_by_hash[subscriber_hash(email)] = ref
        return ref

    def erase(self, ref: int) -> None:
        """Forget the member for good; its address can never be added again."""
        email = self.member(ref).email_address
        self.changed.pop(ref, None)
        self.erased.add(ref)
        self.forgotten.add(email.lower())
        self.version += 1

    # --- listings -------------------------------------------------------------------------------

    def refs(self, wanted: MemberFilter) -> Sequence[int]:
        """The members `wanted` lets through, in order (cached until the next change)."""
        cached = self._views.get(wanted)
        if cached is not None and cached[0] == self.version:
            return cached[1]
        found = self._select(wanted)
        if len(self._views) >= _VIEW_CACHE_SIZE:
            self._views.clear()
        self._views[wanted] = (self.version, found)
        return found

    def _select(self, wanted: MemberFilter) -> Sequence[int]:
        roster = self.roster
        if wanted == MemberFilter() and not self.changed and not self.erased:
            return range(roster.size)
        if wanted.tag is None:
            candidates: Iterable[int] = range(roster.size)
        elif wanted.tag in self.tag_ids:
            candidates = roster.tag_refs[self.tag_ids.index(wanted.tag)]
        else:
            candidates = ()
        codes = {STATUS_CODES[s] for s in wanted.statuses}
        statuses, changed_at, opted_at = roster.statuses, roster.last_changed, roster.signed_up
        after = wanted.changed_after if wanted.changed_after is not None else -(1 << 62)
        before = wanted.changed_before if wanted.changed_before is not None else 1 << 62
        opted_since = wanted.opted_since if wanted.opted_since is not None else -(1 << 62)
        skip = self.changed.keys() | self.erased
        seeded = [
            ref
            for ref in candidates
            if statuses[ref] in codes
            and after < changed_at[ref] < before
            and opted_at[ref] >= opted_since
            and ref not in skip
        ]
        overlaid = [ref for ref, member in self.changed.items() if wanted.admits(member)]
        # An array holds a cached listing of half a million members in 2 MB, a list in 17.
        return array("i", sorted(seeded + overlaid) if overlaid else seeded)

    def latest(self, status: str) -> int | None:
        """When someone last opted in (subscribed) or last changed into `status` (others)."""
        if status not in self._seeded_latest:
            roster = self.roster
            times = roster.signed_up if status == SUBSCRIBED else roster.last_changed
            self._seeded_latest[status] = roster.latest(status, times)
        found = [
            (m.timestamp_opt if status == SUBSCRIBED else m.last_changed)
            for m in self.changed.values()
            if m.status == status
        ]
        return max(
            (t for t in (*found, self._seeded_latest[status]) if t is not None), default=None
        )

    def status_counts(self) -> dict[str, int]:
        counts = dict(zip(STATUSES, self.roster.status_counts, strict=True))
        size = self.roster.size
        for ref in self.erased | self.changed.keys():
            if ref < size:
                counts[self.roster.status(ref)] -= 1
        for member in self.changed.values():
            counts[member.status] += 1
        return counts
