"""Step 4 for Mailchimp: what the lists want an audience to hold, against what it holds.

Both sides are in the store: `mailchimp_wanted` (from the evaluation) and the ledger
`mailchimp_members` (read back from Mailchimp, and kept up to date by every push), with the
pending archives and erasures of customers deleted in Zendesk (`mailchimp_erasures`). They are
joined in the database and read a page of addresses at a time, so the plan's memory does not
grow with the audience; the database leaves out the addresses known to need nothing
(`unsettled`). For each address it reads:

- a customer deleted in Zendesk, in the audience: archived or erased, and nothing else (a
  deletion request is never held back by the blast-radius guard); one no longer in the audience
  needs no call (`settle_absent`);
- wanted, and not in the audience: added (with `status_if_new`), then tagged;
- wanted, in the audience: merge fields updated where they differ, missing tags added;
- unsubscribed or cleaned: never added, updated or tagged (consent kept) — tags may still go;
- wearing a tag deskbridge put on for a list it is no longer in: untagged, archived, or left,
  as the list says (a tag the member wore before deskbridge tagged them is never taken off);
- refused for good before with the same values: not tried again (reported).

A tag belongs to a list by name (`VIP`) or, for a grouped list, by prefix (`Phones: `). Tags
deskbridge does not manage are never touched.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

from sqlalchemy import (
    Connection,
    Text,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
    update,
)

from jobs.state import tables as t
from jobs.state.sql import normalised_json
from mappings.lists import CompiledList

WITHOUT_CONSENT = frozenset({"unsubscribed", "cleaned"})
ABSENT = frozenset({None, "archived", "erased"})
NOT_TO_ERASE = frozenset({None, "erased"})  # an archived member still holds personal data


@dataclass(frozen=True)
class TagOwners:
    """Which list a tag of this audience belongs to."""

    exact: Mapping[str, CompiledList]  # casefolded tag -> list
    prefixes: tuple[tuple[str, CompiledList], ...]  # casefolded "tag: " -> grouped list

    @classmethod
    def of(cls, lists: Sequence[CompiledList]) -> TagOwners:
        exact: dict[str, CompiledList] = {}
        prefixes = []
        for lst in lists:
            assert lst.spec.mailchimp is not None
            tag = (lst.spec.mailchimp.tag or lst.name).casefold()
            if lst.group_by is None:
                exact[tag] = lst
            else:
                prefixes.append((tag + ": ", lst))
        return cls(exact, tuple(prefixes))

    @cached_property
    def digest(self) -> str:
        """Changes when a tag's list or that list's `on_leave` does: what a diff depends on
        besides the address's own rows."""
        owned = sorted(
            (tag, lst.name, _on_leave(lst)) for tag, lst in (*self.exact.items(), *self.prefixes)
        )
        return hashlib.sha256(normalised_json(owned).encode()).hexdigest()[:16]

    def owner(self, tag: str) -> CompiledList | None:
        key = tag.casefold()
        found = self.exact.get(key)
        if found is not None:
            return found
        return next((lst for prefix, lst in self.prefixes if key.startswith(prefix)), None)


def _on_leave(lst: CompiledList) -> str:
    return lst.spec.mailchimp.on_leave if lst.spec.mailchimp is not None else "untag"


class MemberDiff(NamedTuple):
    email: str
    upsert: str | None  # "add" | "update" | None
    merge: Mapping[str, str]  # the merge values to send with an upsert
    status_if_new: str
    add_tags: tuple[str, ...]
    remove_tags: tuple[tuple[str, str], ...]  # (tag, owning list)
    archive_for: str | None  # the list whose leaving archives the member
    consent_kept: bool
    rejected: bool
    known_tags: tuple[str, ...]  # the member's tags as the ledger has them
    known_merge: Mapping[str, str]
    known_pushed: tuple[str, ...]  # the tags deskbridge put on
    deletion: str | None = None  # "archive" | "erase": the customer was deleted in Zendesk


@dataclass
class AudienceDiffCounts:
    adds: int = 0
    updates: int = 0
    tag_adds: dict[str, int] = field(default_factory=dict)
    tag_removals: dict[str, int] = field(default_factory=dict)
    archives: int = 0  # on leaving a list, or deleted in Zendesk
    erasures: int = 0  # deleted in Zendesk
    deleted_archives: int = 0  # of the archives, those deleted in Zendesk
    consent_kept: int = 0
    rejected: int = 0
    removals_by_list: dict[str, int] = field(default_factory=dict)
    tagged_by_list: dict[str, int] = field(default_factory=dict)  # members wearing its tags now


PAGE = 2000  # addresses read at a time: the walk holds no cursor open while it writes


def diffs(
    connection: Connection,
    audience_id: str,
    owners: TagOwners,
    *,
    remember: bool = False,
    planned_only: bool = False,
) -> Iterator[MemberDiff]:
    """Every address whose audience membership must change, in address order. With `remember`,
    each address found needing nothing is marked settled (in the caller's transaction), so the
    next walk skips it while nothing about it changes. `planned_only`: only the addresses of
    the plan's diffs (`planned`)."""
    after = ""
    while True:
        query = unsettled(audience_id, owners, after, planned_only=planned_only)
        page = connection.execute(query.limit(PAGE)).all()
        if not page:
            return
        pending = _pending(connection, audience_id, after, page[-1].email)
        settled: list[dict[str, str]] = []
        for row in page:
            want, have = _wanted_side(row), _ledger_side(row)
            deletion = pending.get(row.email)
            diff = member_diff(row.email, want, have, owners, deletion)
            if diff is not None:
                yield diff
            elif have is not None and deletion is None:
                settled.append({"b_email": row.email, "b_marker": row.marker})
        if remember and settled:
            _mark_settled(connection, audience_id, settled)
        after = page[-1].email


def unsettled(
    audience_id: str, owners: TagOwners, after: str = "", *, planned_only: bool = False
) -> Any:
    """SQL: the addresses of the audience after `after` that the plan must look at, wanted and
    ledger side by side (NULL where a side has none) with their settled `marker`, in address
    order. The database leaves out an address whose sides hold alike (the common case), one in
    the audience that deskbridge never tagged and no list wants, and one whose ledger `settled`
    equals its marker — the values a walk with `remember` compared in full and found needing
    nothing, with the tag owners' digest: any change to either side, or to the lists' tags and
    on_leave, brings it back. An address with a pending archive or erasure is always read.
    `planned_only`: only the addresses of the plan's diffs (`planned`)."""
    w, m, e = t.mailchimp_wanted.c, t.mailchimp_members.c, t.mailchimp_erasures.c
    p = t.mailchimp_planned.c
    in_plan = select(p.email).where(p.audience == audience_id)

    def pending(email: Any) -> Any:
        return (
            select(e.email)
            .where(e.audience == audience_id, e.email == email, e.done_at.is_(None))
            .exists()
        )

    def marker(*parts: Any) -> Any:
        joined: Any = literal(owners.digest, Text)
        for part in parts:
            joined = joined + MARKER_SEPARATOR + func.coalesce(part, "")
        return joined

    same_address = and_(m.audience == w.audience, m.email == w.email)
    have = (m.tags, m.merge, m.pushed, m.status, m.error)
    ledger = (*have, m.email.label("held"))
    wanted_marker = marker(w.tags, w.merge, *have)
    ledger_marker = marker("", "", *have)
    held_alike = and_(
        m.email.is_not(None),
        m.error.is_(None),
        _held(m.status, ABSENT | WITHOUT_CONSENT),
        w.tags == m.tags,
        or_(w.merge == m.merge, w.merge == "{}"),
    )
    wanted_side = (
        select(
            w.email.label("email"),
            w.tags.label("want_tags"),
            w.merge.label("want_merge"),
            w.status_if_new,
            *ledger,
            wanted_marker.label("marker"),
        )
        .select_from(t.mailchimp_wanted.outerjoin(t.mailchimp_members, same_address))
        .where(
            w.audience == audience_id,
            w.email > after,
            w.email.in_(in_plan) if planned_only else true(),
            or_(~or_(held_alike, _is(m.settled, wanted_marker)), pending(w.email)),
        )
    )
    ledger_only = (
        select(
            m.email.label("email"),
            null(),
            null(),
            null(),
            *ledger,
            ledger_marker.label("marker"),
        )
        .select_from(t.mailchimp_members.outerjoin(t.mailchimp_wanted, same_address))
        .where(
            m.audience == audience_id,
            m.email > after,
            m.email.in_(in_plan) if planned_only else true(),
            w.email.is_(None),
            or_(and_(m.pushed != "[]", ~_is(m.settled, ledger_marker)), pending(m.email)),
        )
    )
    return union_all(wanted_side, ledger_only).order_by("email")


MARKER_SEPARATOR = "\x1f"  # JSON text never holds it unescaped


def _is(column: Any, value: Any) -> Any:
    """SQL: `column` equals `value`, false (never NULL) when the column is NULL."""
    return and_(column.is_not(None), column == value)


def _pending(connection: Connection, audience_id: str, after: str, last: str) -> dict[str, str]:
    """The pending archives and erasures of addresses after `after` up to `last`."""
    e = t.mailchimp_erasures.c
    query = select(e.email, e.action).where(
        e.audience == audience_id, e.done_at.is_(None), e.email > after, e.email <= last
    )
    return {email: action for email, action in connection.execute(query)}


def _mark_settled(connection: Connection, audience_id: str, rows: list[dict[str, str]]) -> None:
    m = t.mailchimp_members.c
    connection.execute(
        update(t.mailchimp_members)
        .where(m.audience == audience_id, m.email == bindparam("b_email"))
        .values(settled=bindparam("b_marker")),
        rows,
    )


class _Wanted(NamedTuple):
    tags: str
    merge: str
    status_if_new: str


class _Ledger(NamedTuple):
    tags: str
    merge: str
    pushed: str
    status: str | None
    error: str | None


def _wanted_side(row: Any) -> _Wanted | None:
    return (
        None if row.want_tags is None else _Wanted(row.want_tags, row.want_merge, row.status_if_new)
    )


def _ledger_side(row: Any) -> _Ledger | None:
    if row.held is None:
        return None
    return _Ledger(row.tags, row.merge, row.pushed, row.status, row.error)


def member_diff(
    email: str, want: Any, have: Any, owners: TagOwners, deletion: str | None = None
) -> MemberDiff | None:
    """What one address needs; None when nothing. `deletion` is the pending "archive" or
    "erase" of a customer deleted in Zendesk, if any."""
    status = have.status if have is not None else None
    have_tags = tuple(json.loads(have.tags)) if have is not None else ()
    have_merge: dict[str, str] = json.loads(have.merge) if have is not None else {}
    held = {tag.casefold() for tag in have_tags}
    pushed = tuple(json.loads(have.pushed)) if have is not None else ()
    if deletion is not None and status not in _absent_for(deletion):
        return MemberDiff(
            email,
            upsert=None,
            merge={},
            status_if_new="pending",
            add_tags=(),
            remove_tags=(),
            archive_for=None,
            consent_kept=False,
            rejected=False,
            known_tags=have_tags,
            known_merge=have_merge,
            known_pushed=pushed,
            deletion=deletion,
        )
    ours = {tag.casefold() for tag in pushed}
    wanted_tags: list[str] = json.loads(want.tags) if want is not None else []
    wanted_keys = {tag.casefold() for tag in wanted_tags}
    upsert, merge = None, {}
    add_tags: tuple[str, ...] = ()
    consent_kept = rejected = False
    present = status not in ABSENT
    if want is not None:
        merge = json.loads(want.merge)
        if status in WITHOUT_CONSENT:
            consent_kept = True
        elif have is not None and have.error and _covers(have_merge, merge):
            rejected = True
        else:
            if not present:
                upsert = "add"
            elif not _covers(have_merge, merge):
                upsert = "update"
            add_tags = tuple(
                tag for tag in wanted_tags if tag.casefold() not in held or not present
            )
    removals: list[tuple[str, str]] = []
    archive_for = None
    if present:
        for tag in have_tags:
            if tag.casefold() in wanted_keys or tag.casefold() not in ours:
                continue
            owner = owners.owner(tag)
            if owner is None or owner.spec.mailchimp is None:
                continue
            on_leave = owner.spec.mailchimp.on_leave
            if on_leave == "untag":
                removals.append((tag, owner.name))
            elif on_leave == "archive" and want is None:
                archive_for = owner.name
    if not (upsert or add_tags or removals or archive_for or consent_kept or rejected):
        return None
    status_if_new = want.status_if_new if want is not None else "pending"
    return MemberDiff(
        email,
        upsert,
        merge,
        status_if_new,
        add_tags,
        tuple(removals),
        archive_for,
        consent_kept,
        rejected,
        have_tags,
        have_merge,
        pushed,
    )


def count(
    connection: Connection, audience_id: str, owners: TagOwners, lists: Sequence[CompiledList]
) -> AudienceDiffCounts:
    """The plan's figures for one audience, and what the blast-radius guard needs; marks the
    addresses found settled (see `diffs`)."""
    counts = AudienceDiffCounts()
    p = t.mailchimp_planned.c
    connection.execute(delete(t.mailchimp_planned).where(p.audience == audience_id))
    kept: list[dict[str, str]] = []
    for diff in diffs(connection, audience_id, owners, remember=True):
        if _needs_a_call(diff):
            kept.append({"audience": audience_id, "email": diff.email, "diff": _encoded(diff)})
            if len(kept) >= PAGE:
                connection.execute(insert(t.mailchimp_planned), kept)
                kept = []
        if diff.deletion is not None:
            erase = diff.deletion == "erase"
            counts.erasures += erase
            counts.archives += not erase
            counts.deleted_archives += not erase
            continue
        counts.adds += diff.upsert == "add"
        counts.updates += diff.upsert == "update"
        counts.consent_kept += diff.consent_kept
        counts.rejected += diff.rejected
        for tag in diff.add_tags:
            counts.tag_adds[tag] = counts.tag_adds.get(tag, 0) + 1
        leaving: set[str] = set()
        for tag, owner in diff.remove_tags:
            counts.tag_removals[tag] = counts.tag_removals.get(tag, 0) + 1
            leaving.add(owner)
        if diff.archive_for:
            counts.archives += 1
            leaving.add(diff.archive_for)
        for owner in leaving:
            counts.removals_by_list[owner] = counts.removals_by_list.get(owner, 0) + 1
    if kept:
        connection.execute(insert(t.mailchimp_planned), kept)
    counts.tagged_by_list = _tagged_by_list(connection, audience_id, owners, lists)
    return counts


def planned(connection: Connection, audience_id: str) -> Iterator[MemberDiff]:
    """The diffs the plan (`count`) kept for the apply, in address order: those that need a
    call (a diff that only reports kept consent or a refusal needs none)."""
    p = t.mailchimp_planned.c
    after = ""
    while True:
        page = connection.execute(
            select(p.email, p.diff)
            .where(p.audience == audience_id, p.email > after)
            .order_by(p.email)
            .limit(PAGE)
        ).all()
        if not page:
            return
        for row in page:
            yield _decoded(row.diff)
        after = page[-1].email


def _needs_a_call(diff: MemberDiff) -> bool:
    return bool(
        diff.deletion or diff.upsert or diff.add_tags or diff.remove_tags or diff.archive_for
    )


def _encoded(diff: MemberDiff) -> str:
    return normalised_json(diff._asdict())


def _decoded(text: str) -> MemberDiff:
    fields = json.loads(text)
    for name in ("add_tags", "known_tags", "known_pushed"):
        fields[name] = tuple(fields[name])
    fields["remove_tags"] = tuple((tag, owner) for tag, owner in fields["remove_tags"])
    return MemberDiff(**fields)


def _tagged_by_list(
    connection: Connection, audience_id: str, owners: TagOwners, lists: Sequence[CompiledList]
) -> dict[str, int]:
    found = {lst.name: 0 for lst in lists}
    m = t.mailchimp_members.c
    query = (
        select(m.tags, func.count())
        .where(m.audience == audience_id, _held(m.status, ABSENT))
        .group_by(m.tags)
    )
    for tags, members in connection.execute(query):  # one row per distinct set of tags
        names = {owner.name for tag in json.loads(tags) if (owner := owners.owner(tag))}
        for name in names:
            found[name] = found.get(name, 0) + members
    return found


def guarded_lists(counts: AudienceDiffCounts, max_share: float) -> dict[str, str]:
    """Lists whose removals the blast-radius guard holds back, with why."""
    held: dict[str, str] = {}
    for name, removing in sorted(counts.removals_by_list.items()):
        tagged = counts.tagged_by_list.get(name, 0)
        if tagged and removing > max_share * tagged:
            held[name] = (
                f"would remove {removing} of its {tagged} members in this audience "
                f"({removing / tagged:.0%}, more than the {max_share:.0%} allowed by "
                "limits.max_removal_share); nobody was removed — check the list, then run "
                "`deskbridge sync --force` to apply it"
            )
    return held


def settle_absent(connection: Connection, audience_id: str, now: int) -> int:
    """Mark done the pending archives and erasures of addresses the audience does not hold (as
    the ledger has it): they need no call. How many."""
    e, m = t.mailchimp_erasures.c, t.mailchimp_members.c
    settled = 0
    for action in ("archive", "erase"):
        absent = _absent_for(action)
        present = (
            select(m.email)
            .where(m.audience == e.audience, m.email == e.email, _held(m.status, absent))
            .exists()
        )
        done = connection.execute(
            update(t.mailchimp_erasures)
            .where(
                e.audience == audience_id,
                e.action == action,
                e.done_at.is_(None),
                ~present,
            )
            .values(done_at=now)
        )
        settled += done.rowcount
    return settled


def _held(status: Any, absent: frozenset[str | None]) -> Any:
    """SQL: the ledger's `status` says the audience holds the member (not NULL, not absent)."""
    return and_(status.is_not(None), status.not_in(sorted(s for s in absent if s is not None)))


def _absent_for(deletion: str) -> frozenset[str | None]:
    """The ledger statuses that need no call for this deletion."""
    return NOT_TO_ERASE if deletion == "erase" else ABSENT


def _covers(have: Mapping[str, str], want: Mapping[str, str]) -> bool:
    return all(have.get(key, "") == value for key, value in want.items())


def settle(connection: Connection, audience_id: str, owners: TagOwners) -> None:
    """After an apply: mark the planned addresses it settled, so that the next plan does not
    read them again (those still to do stay unmarked), and forget the plan."""
    for _diff in diffs(connection, audience_id, owners, remember=True, planned_only=True):
        pass
    p = t.mailchimp_planned.c
    connection.execute(delete(t.mailchimp_planned).where(p.audience == audience_id))
