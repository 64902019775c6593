"""Steps 2 and 3 of a sync: rules and lists over the profiles that need it, into the store.

Who is evaluated (`Scope`): the users marked dirty since their last evaluation (pulled, or their
Mailchimp status moved), and those due for a time-based re-check; everyone when the rules
changed, on `--full`, or when the clock went back; and, for a list whose definition changed,
everyone — for that list alone.

A time-based re-check: each evaluation stores in `profiles.recheck_at` the first second at which
a relative date ("created within the previous 30 days") of a rule or list can change its outcome
for that customer (NULL: none ever will, as for staff). A run marks those whose moment has come
dirty, in its own transaction, so the rest are left alone however far the clock moved; a clock
that went back makes every stored moment meaningless, hence everyone.

For each page of profiles, in one transaction: the memberships that changed, what each
Mailchimp audience should hold for the customer (`mailchimp_wanted`), the addresses of customers
deleted in Zendesk to archive or erase in every managed audience (`mailchimp_erasures`, when
`[mailchimp] deleted_users` asks for it), survey invitations for
those who joined a surveyed list, the Zendesk write-backs (through the outbox, replacing any
earlier open write for the same user or ticket), the users' next re-check moments, and their
dirty marks cleared. A crash loses at most the page in flight, whose users stay dirty. A dry run
does the same inside one transaction that it rolls back (`checkpoint` does nothing then).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from jobs.profiles import Stored, profile_pages
from jobs.state import tables as t
from jobs.state.outbox import OPEN, PLANNED, SUPERSEDED
from jobs.state.sql import bounded, dialect_insert, normalised_json, upsert
from jobs.state.store import write_cursor
from jobs.writeback import ticket_writes, user_write
from jobs.zendesk_records import UNSOLVED
from mappings.engine import Evaluation, Mappings
from mappings.lists import CompiledList, Membership
from mappings.rules import Desired

EVALUATED_AT = "evaluation.now"
RULES_HASH = "evaluation.rules"
NOT_IN_LISTS = ("suspended", "deleted")  # and staff: see _is_customer
UNSUBSCRIBED = "unsubscribed"


@dataclass(frozen=True)
class Targets:
    """What the destinations are called where they live, resolved at the start of a run."""

    audiences: Mapping[str, str] = field(default_factory=dict)  # configured (casefold) -> id
    audience_names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # id -> names
    group_ids: Mapping[str, int] = field(default_factory=dict)  # Zendesk group name -> id
    unsubscribed_field: str | None = None  # a checkbox user field's key
    status_if_new: str = "pending"
    deleted_users: str = "leave"  # leave | archive | erase: see `[mailchimp] deleted_users`

    def audience_of(self, lst: CompiledList) -> str | None:
        spec = lst.spec.mailchimp
        return self.audiences.get(spec.audience.casefold()) if spec else None


@dataclass(frozen=True)
class Scope:
    everyone: bool  # every profile is read
    rules_for_everyone: bool  # and the rules' write-backs are worked out for every one
    lists_for_everyone: frozenset[str]  # lists whose memberships are refreshed for everyone
    reasons: tuple[str, ...] = ()


@dataclass
class EvaluationCounts:
    evaluated: int = 0
    joined: Counter[tuple[str, str]] = field(default_factory=Counter)  # (list, group) -> n
    left: Counter[tuple[str, str]] = field(default_factory=Counter)
    user_writes: int = 0
    ticket_writes: int = 0
    conflicts: int = 0
    unsubscribed_marked: int = 0
    conflict_examples: list[str] = field(default_factory=list)


def definition_hash(value: Any) -> str:
    return hashlib.sha256(normalised_json(value).encode()).hexdigest()


def list_hashes(mappings: Mappings) -> dict[str, str]:
    return {lst.name: definition_hash(lst.spec.model_dump(mode="json")) for lst in mappings.lists}


def rules_hash(mappings: Mappings, targets: Targets) -> str:
    rules = [rule.model_dump(mode="json") for rule in mappings.config.rules]
    definition: dict[str, Any] = {"rules": rules, "unsubscribed_field": targets.unsubscribed_field}
    # Left out by default, so that stores from before the setting keep their hash; once set,
    # changing it re-evaluates everyone: users deleted earlier are archived or erased too.
    if targets.deleted_users != "leave":
        definition["deleted_users"] = targets.deleted_users
    return definition_hash(definition)


def decide_scope(
    connection: Connection, mappings: Mappings, targets: Targets, now: int, full: bool
) -> Scope:
    """Who this run evaluates, and why (see the module's docstring); marks those due for a
    time-based re-check dirty, in the caller's transaction."""
    cursors = {
        name: value
        for name, value in connection.execute(select(t.cursors.c.name, t.cursors.c.value))
    }
    stored_now = cursors.get(EVALUATED_AT)
    reasons: list[str] = []
    rules_everyone = True
    if full:
        reasons.append("--full")
    elif cursors.get(RULES_HASH) != rules_hash(mappings, targets):
        reasons.append("the rules changed")
    elif stored_now is not None and now < int(stored_now):
        reasons.append("the clock went back")
    else:
        rules_everyone = False
        due = _mark_due(connection, now)
        if due:
            reasons.append(f"{due} customer{'' if due == 1 else 's'} due for a time-based re-check")
    versions = select(t.list_versions.c.list_name, t.list_versions.c.definition_hash)
    known: dict[str, str] = {name: digest for name, digest in connection.execute(versions)}
    lists_everyone: set[str] = set()
    for name, digest in list_hashes(mappings).items():
        if rules_everyone or known.get(name) != digest:
            lists_everyone.add(name)
    changed = sorted(lists_everyone) if not rules_everyone else []
    if changed:
        reasons.append("new or changed lists: " + ", ".join(changed))
    everyone = rules_everyone or bool(lists_everyone)
    return Scope(everyone, rules_everyone, frozenset(lists_everyone), tuple(reasons))


def _mark_due(connection: Connection, now: int) -> int:
    """Mark dirty the profiles whose re-check moment has come; how many are due."""
    p, d = t.profiles.c, t.dirty_profiles.c
    due = select(p.user_id).where(p.recheck_at <= now)
    count: int = connection.execute(select(func.count()).select_from(due.subquery())).scalar_one()
    if count:
        fresh = due.where(p.user_id.not_in(select(d.user_id)))
        connection.execute(insert(t.dirty_profiles).from_select(["user_id"], fresh))
    return count


def record_versions(connection: Connection, mappings: Mappings, targets: Targets, now: int) -> None:
    """After a complete evaluation: the definitions and the moment it was made at."""
    write_cursor(connection, EVALUATED_AT, str(now), now)
    write_cursor(connection, RULES_HASH, rules_hash(mappings, targets), now)
    connection.execute(delete(t.list_versions))
    rows = [
        {"list_name": name, "definition_hash": digest, "evaluated_at": now}
        for name, digest in list_hashes(mappings).items()
    ]
    if rows:
        connection.execute(insert(t.list_versions), rows)


def evaluate(
    connection: Connection,
    mappings: Mappings,
    targets: Targets,
    scope: Scope,
    run_id: int,
    now: int,
    checkpoint: Callable[[], None],
    on_page: Callable[[int], None] = lambda n: None,
) -> EvaluationCounts:
    """Evaluate the scope's profiles into the store, a page per transaction (see the module)."""
    counts = EvaluationCounts()
    dirty = set(connection.execute(select(t.dirty_profiles.c.user_id)).scalars())
    moment = datetime.fromtimestamp(now, UTC)
    page_users = profile_pages(
        connection,
        None if scope.everyone else dirty,
        audiences=targets.audience_names,
    )
    for page in page_users:
        _evaluate_page(
            connection, mappings, targets, scope, dirty, page, run_id, now, moment, counts
        )
        checkpoint()
        on_page(len(page))
    record_versions(connection, mappings, targets, now)
    checkpoint()
    return counts


def _evaluate_page(
    connection: Connection,
    mappings: Mappings,
    targets: Targets,
    scope: Scope,
    dirty: set[int],
    page: list[Stored],
    run_id: int,
    now: int,
    moment: datetime,
    counts: EvaluationCounts,
) -> None:
    ids = [user.user_id for user in page]
    evaluations = mappings.evaluate_many((user.profile for user in page), moment)
    before = _memberships(connection, ids)
    wanted_before = _wanted(connection, ids)
    all_lists = frozenset(lst.name for lst in mappings.lists)
    removed: list[tuple[str, str, int]] = []
    added: list[dict[str, Any]] = []
    invitations: list[dict[str, Any]] = []
    wanted_rows: list[dict[str, Any]] = []
    wanted_gone: list[tuple[str, str]] = []
    rules_users: list[tuple[Stored, Desired]] = []
    rechecks: list[dict[str, Any]] = []
    deleted: list[tuple[int, str]] = []  # (user id, address) to archive or erase
    not_deleted: list[int] = []  # users whose pending archive or erasure no longer stands
    addresses = _addresses_by_user(wanted_before)
    for user, evaluation in zip(page, evaluations, strict=True):
        counts.evaluated += 1
        full_user = user.user_id in dirty or scope.rules_for_everyone
        in_scope = all_lists if full_user else scope.lists_for_everyone
        old = before.get(user.user_id, set())
        customer = user.status not in NOT_IN_LISTS and _is_customer(user.profile)
        recheck_at = _recheck_at(mappings, evaluation, moment) if customer else None
        if recheck_at != user.recheck_at:
            rechecks.append({"b_user_id": user.user_id, "b_recheck_at": recheck_at})
        new = {(m.list, m.group or "") for m in evaluation.memberships} if customer else set()
        new = {m for m in new if m[0] in in_scope} | {m for m in old if m[0] not in in_scope}
        for membership in old - new:
            removed.append((*membership, user.user_id))
            counts.left[membership] += 1
        for membership in new - old:
            added.append(
                {
                    "list_name": membership[0],
                    "group_name": membership[1],
                    "user_id": user.user_id,
                    "since": now,
                }
            )
            counts.joined[membership] += 1
        email = (user.email or "").strip().lower()
        if _deletion_requested(user, targets):
            # Zendesk may scrub a deleted user's address: the audiences' rows still name it.
            known = addresses.get(user.user_id, set()) | ({email} if email else set())
            deleted += [(user.user_id, address) for address in sorted(known)]
        else:
            not_deleted.append(user.user_id)
        if email:
            invitations += _invitations(mappings, user, email, old, new, now)
            rows = _wanted_rows(mappings, targets, user.user_id, email, new, evaluation)
            gone = set(wanted_before.get(email, {})) - set(rows)
            wanted_gone += [(audience, email) for audience in gone]
            wanted_rows += [
                row
                for audience, row in rows.items()
                if wanted_before.get(email, {}).get(audience) != _comparable(row)
            ]
        if full_user and customer:
            desired = _with_unsubscribed(evaluation, targets, counts)
            if desired.conflicts:
                counts.conflicts += 1
                if len(counts.conflict_examples) < 20:
                    label = user.email or f"user {user.user_id}"
                    counts.conflict_examples += [f"{label}: {c}" for c in desired.conflicts]
            rules_users.append((user, desired))
    _store_memberships(connection, removed, added)
    _store_wanted(connection, wanted_rows, wanted_gone)
    _store_deletions(connection, targets, deleted, not_deleted, now)
    _store_invitations(connection, invitations)
    _store_writebacks(connection, rules_users, targets, run_id, now, counts)
    _store_rechecks(connection, rechecks)
    settled = [user.user_id for user in page if user.user_id in dirty]
    for chunk in bounded(settled):
        connection.execute(delete(t.dirty_profiles).where(t.dirty_profiles.c.user_id.in_(chunk)))


def _recheck_at(mappings: Mappings, evaluation: Evaluation, moment: datetime) -> int | None:
    """The first whole second (Unix) at which time alone may change this evaluation: a run at
    that second or later is past the moment (µs) the outcome can change at."""
    flip = mappings.next_change(evaluation, moment)
    return None if flip is None else -(-flip // 1_000_000)


def _store_rechecks(connection: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        p = t.profiles.c
        connection.execute(
            update(t.profiles)
            .where(p.user_id == bindparam("b_user_id"))
            .values(recheck_at=bindparam("b_recheck_at")),
            rows,
        )


def _deletion_requested(user: Stored, targets: Targets) -> bool:
    """A customer deleted in Zendesk, whom the config asks to archive or erase in Mailchimp."""
    return (
        user.status == "deleted" and targets.deleted_users != "leave" and _is_customer(user.profile)
    )


def _addresses_by_user(wanted: Mapping[str, Mapping[str, tuple[Any, ...]]]) -> dict[int, set[str]]:
    """user id -> the addresses the audiences were to hold for them (see `_wanted`)."""
    found: dict[int, set[str]] = defaultdict(set)
    for email, by_audience in wanted.items():
        for comparable in by_audience.values():
            found[comparable[0]].add(email)
    return found


def _is_customer(profile: Mapping[str, Any]) -> bool:
    """End users are customers; agents and admins are staff, in no list and never written."""
    role = (profile.get("user") or {}).get("role")
    return role in (None, "end-user")


def _with_unsubscribed(
    evaluation: Evaluation, targets: Targets, counts: EvaluationCounts
) -> Desired:
    """The rules' wants, plus the unsubscribed checkbox for someone who unsubscribed."""
    desired = evaluation.desired
    key = targets.unsubscribed_field
    if key is None:
        return desired
    statuses = (evaluation.original.get("mailchimp") or {}).get("status") or {}
    if UNSUBSCRIBED not in statuses.values() or desired.user_fields.get(key) is True:
        return desired
    current = (evaluation.original.get("user_fields") or {}).get(key)
    if current is not True:
        counts.unsubscribed_marked += 1
    return replace(desired, user_fields={**desired.user_fields, key: True})


def _invitations(
    mappings: Mappings,
    user: Stored,
    email: str,
    old: set[tuple[str, str]],
    new: set[tuple[str, str]],
    now: int,
) -> list[dict[str, Any]]:
    """An invitation for each surveyed list the customer joined (groups aside)."""
    was_in = {name for name, _ in old}
    found = []
    for name in sorted({name for name, _ in new} - was_in):
        lst = mappings.list_named(name)
        if lst is None or lst.spec.surveymonkey is None:
            continue
        found.append(
            {
                "survey": lst.spec.surveymonkey.survey,
                "email": email,
                "user_id": user.user_id,
                "list_name": name,
                "state": PLANNED,
                "planned_at": now,
            }
        )
    return found


def _wanted_rows(
    mappings: Mappings,
    targets: Targets,
    user_id: int,
    email: str,
    memberships: set[tuple[str, str]],
    evaluation: Evaluation,
) -> dict[str, dict[str, Any]]:
    """What each audience should hold for this customer, by audience id."""
    tags: dict[str, set[str]] = defaultdict(set)
    merge: dict[str, dict[str, str]] = defaultdict(dict)
    status: dict[str, str] = {}
    profile = None
    for name, group in sorted(memberships):
        lst = mappings.list_named(name)
        audience = targets.audience_of(lst) if lst else None
        if lst is None or audience is None or lst.spec.mailchimp is None:
            continue
        tag = lst.mailchimp_tag(Membership(name, group or None))
        if tag:
            tags[audience].add(tag)
        if lst.merge_fields:
            profile = profile if profile is not None else evaluation.profile
            for key, value in lst.merge_values(profile).items():
                merge[audience].setdefault(key, value)
        status.setdefault(audience, lst.spec.mailchimp.status_if_new or targets.status_if_new)
    return {
        audience: {
            "audience": audience,
            "email": email,
            "user_id": user_id,
            "tags": normalised_json(sorted(tags[audience])),
            "merge": normalised_json(merge[audience]),
            "status_if_new": status[audience],
        }
        for audience in status
    }


def _comparable(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return (row["user_id"], row["tags"], row["merge"], row["status_if_new"])


def _memberships(connection: Connection, ids: list[int]) -> dict[int, set[tuple[str, str]]]:
    found: dict[int, set[tuple[str, str]]] = defaultdict(set)
    m = t.memberships.c
    for chunk in bounded(ids):
        query = select(m.user_id, m.list_name, m.group_name).where(m.user_id.in_(chunk))
        for user_id, list_name, group_name in connection.execute(query):
            found[user_id].add((list_name, group_name))
    return found


def _wanted(connection: Connection, ids: list[int]) -> dict[str, dict[str, tuple[Any, ...]]]:
    """email -> audience -> the stored row's comparable values."""
    found: dict[str, dict[str, tuple[Any, ...]]] = defaultdict(dict)
    w = t.mailchimp_wanted.c
    for chunk in bounded(ids):
        query = select(t.mailchimp_wanted).where(w.user_id.in_(chunk))
        for row in connection.execute(query):
            found[row.email][row.audience] = _comparable(dict(row._mapping))
    return found


def _store_memberships(
    connection: Connection, removed: list[tuple[str, str, int]], added: list[dict[str, Any]]
) -> None:
    m = t.memberships.c
    for list_name, group_name, user_id in removed:
        connection.execute(
            delete(t.memberships).where(
                m.list_name == list_name, m.group_name == group_name, m.user_id == user_id
            )
        )
    if added:
        connection.execute(insert(t.memberships), added)


def _store_wanted(
    connection: Connection, rows: list[dict[str, Any]], gone: list[tuple[str, str]]
) -> None:
    w = t.mailchimp_wanted.c
    for audience, email in gone:
        connection.execute(
            delete(t.mailchimp_wanted).where(w.audience == audience, w.email == email)
        )
    upsert(connection, t.mailchimp_wanted, rows, ("audience", "email"))


def _store_deletions(
    connection: Connection,
    targets: Targets,
    deleted: list[tuple[int, str]],
    not_deleted: list[int],
    now: int,
) -> None:
    """Plan archiving or erasing each deleted customer's address in every managed audience; an
    address already planned with the same action keeps its row (and so its `done_at`). The
    pending ones of users who are not (or no longer) to be removed are dropped."""
    e = t.mailchimp_erasures.c
    for ids in bounded(not_deleted):
        connection.execute(
            delete(t.mailchimp_erasures).where(e.user_id.in_(ids), e.done_at.is_(None))
        )
    action = "archive" if targets.deleted_users == "archive" else "erase"
    audiences = sorted(set(targets.audiences.values()))
    emails = sorted({email for _, email in deleted})
    if not emails or not audiences:
        return
    planned: set[tuple[str, str]] = set()
    for addresses in bounded(emails):
        query = select(e.audience, e.email).where(e.email.in_(addresses), e.action == action)
        planned |= {(audience, email) for audience, email in connection.execute(query)}
    by_key = {
        (audience, email): {
            "audience": audience,
            "email": email,
            "user_id": user_id,
            "action": action,
            "planned_at": now,
            "done_at": None,
        }
        for user_id, email in deleted
        for audience in audiences
        if (audience, email) not in planned
    }
    # one row per key: PostgreSQL refuses a key twice in a batch
    upsert(connection, t.mailchimp_erasures, list(by_key.values()), ("audience", "email"))


def _store_invitations(connection: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        connection.execute(
            dialect_insert(connection, t.survey_invitations).on_conflict_do_nothing(), rows
        )


def _store_writebacks(
    connection: Connection,
    users: Sequence[tuple[Stored, Desired]],
    targets: Targets,
    run_id: int,
    now: int,
    counts: EvaluationCounts,
) -> None:
    """Replace open write-backs of these users (and their tickets) with what they need now."""
    if not users:
        return
    tickets = _unsolved_tickets(
        connection,
        [u.user_id for u, d in users if d.ticket_priority or d.ticket_group or d.ticket_tags],
    )
    records: list[str] = []
    writes: list[dict[str, Any]] = []
    for user, desired in users:
        records.append(f"user {user.user_id}")
        records += [f"ticket {ticket['id']}" for ticket in tickets.get(user.user_id, ())]
        change = user_write(user.user_id, user.profile, desired)
        if change is not None:
            counts.user_writes += 1
            writes.append(
                _outbox_row(run_id, "update_user", change.user_id, change.attributes(), now)
            )
        for ticket in ticket_writes(tickets.get(user.user_id, ()), desired, targets.group_ids):
            counts.ticket_writes += 1
            writes.append(
                _outbox_row(run_id, "update_ticket", ticket.ticket_id, ticket.attributes(), now)
            )
    o = t.outbox.c
    for chunk in bounded(records):
        connection.execute(
            update(t.outbox)
            .where(
                o.destination == "zendesk",
                o.state.in_(OPEN),
                o.record.in_(chunk),
            )
            .values(state=SUPERSEDED, updated_at=now)
        )
    if writes:
        connection.execute(insert(t.outbox), writes)


def _outbox_row(
    run_id: int, operation: str, record_id: int, payload: Mapping[str, Any], now: int
) -> dict[str, Any]:
    kind = "user" if operation == "update_user" else "ticket"
    return {
        "run_id": run_id,
        "destination": "zendesk",
        "operation": operation,
        "record": f"{kind} {record_id}",
        "payload": normalised_json({"id": record_id, **payload}),
        "state": PLANNED,
        "attempts": 0,
        "updated_at": now,
    }


def _unsolved_tickets(
    connection: Connection, user_ids: Iterable[int]
) -> dict[int, list[dict[str, Any]]]:
    ids = list(user_ids)
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    c = t.tickets.c
    for chunk in bounded(ids):
        query = select(c.id, c.requester_id, c.priority, c.group_id, c.tags).where(
            c.requester_id.in_(chunk), c.status.in_(sorted(UNSOLVED))
        )
        for row in connection.execute(query.order_by(c.id)):
            ticket = dict(row._mapping)
            ticket["tags"] = json.loads(ticket["tags"])
            found[row.requester_id].append(ticket)
    return found
