"""The single customer view: a stored user with the facts of their tickets and ratings.

    {"user": {...}, "user_fields": {...}, "tags": [...],
     "tickets": {"count", "open_count", "last_created_at", "channels"},
     "satisfaction": {"last_score", "bad_count", "last_bad_at", "last_comment_present"},
     "mailchimp": {"status": {"<audience>": "<status>"}}}

Facts are computed from the stored ticket and rating rows, so they are always those of the rows
the store holds. `satisfaction.last_score` is the customer's latest *given* rating (good or
bad): a survey offered and not answered says nothing of what they think. Times are Unix seconds.
`profiles` streams them in pages, three queries a page, for a run over every customer.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, select

from jobs.state import StateStore
from jobs.state import tables as t
from jobs.state.sql import BOUND_PARAMETERS, bounded
from jobs.zendesk_records import UNSOLVED

GIVEN = frozenset({"good", "bad"})
PAGE = 5000


def ticket_facts(tickets: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """`tickets.*` from ticket rows (status, channel, created_at)."""
    count = open_count = 0
    last: int | None = None
    channels: set[str] = set()
    for ticket in tickets:
        count += 1
        open_count += ticket["status"] in UNSOLVED
        created = ticket["created_at"]
        last = created if last is None or created > last else last
        if ticket["channel"]:
            channels.add(ticket["channel"])
    return {
        "count": count,
        "open_count": open_count,
        "last_created_at": last,
        "channels": sorted(channels),
    }


def satisfaction_facts(ratings: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """`satisfaction.*` from rating rows (score, comment_present, created_at)."""
    given = sorted(
        (r for r in ratings if r["score"] in GIVEN), key=lambda r: (r["created_at"], r["id"])
    )
    bad = [r for r in given if r["score"] == "bad"]
    latest = given[-1] if given else None
    return {
        "last_score": latest["score"] if latest else None,
        "bad_count": len(bad),
        "last_bad_at": bad[-1]["created_at"] if bad else None,
        "last_comment_present": latest["comment_present"] if latest else None,
    }


def assemble(
    user_part: Mapping[str, Any],
    tickets: Iterable[Mapping[str, Any]],
    ratings: Iterable[Mapping[str, Any]],
    mailchimp_status: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """One profile from the stored user part (`profiles.data`) and the user's rows."""
    return {
        **user_part,
        "tickets": ticket_facts(tickets),
        "satisfaction": satisfaction_facts(ratings),
        "mailchimp": {"status": dict(mailchimp_status or {})},
    }


class Stored(NamedTuple):
    user_id: int
    status: str  # active | suspended | deleted
    email: str | None
    profile: dict[str, Any]
    recheck_at: int | None = None  # as stored: see jobs/evaluate.py


def profiles(
    store: StateStore, *, include_deleted: bool = False, page: int = PAGE
) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """(user id, status, profile) for every stored user, in id order, a page at a time."""
    with store.engine.connect() as connection:
        for found in profile_pages(connection, include_deleted=include_deleted, page=page):
            for user in found:
                yield user.user_id, user.status, user.profile


def profile_pages(
    connection: Connection,
    user_ids: Iterable[int] | None = None,
    *,
    include_deleted: bool = True,
    page: int = PAGE,
    audiences: Mapping[str, Sequence[str]] | None = None,
) -> Iterator[list[Stored]]:
    """Profiles a page at a time, in user id order: every stored user, or those of `user_ids`.

    `audiences` maps a Mailchimp audience id to the names a condition may call it by
    (`mailchimp.status.<name>`); the statuses come from the Mailchimp ledger by address.
    """
    wanted = sorted(set(user_ids)) if user_ids is not None else None
    after, offset = -1, 0
    while True:
        query = select(t.profiles)
        if wanted is None:
            query = query.where(t.profiles.c.user_id > after).limit(page)
        else:
            chunk = wanted[offset : offset + min(page, BOUND_PARAMETERS)]
            offset += len(chunk)
            if not chunk:
                return
            query = query.where(t.profiles.c.user_id.in_(chunk))
        if not include_deleted:
            query = query.where(t.profiles.c.status != "deleted")
        rows = connection.execute(query.order_by(t.profiles.c.user_id)).all()
        if not rows:
            if wanted is None:
                return
            continue
        ids = [row.user_id for row in rows]
        dense = wanted is None  # every user in the id range: one range query is cheapest
        tickets = _by_requester(connection, t.tickets, ids, dense)
        ratings = _by_requester(connection, t.ratings, ids, dense)
        statuses = _mailchimp_statuses(connection, rows, audiences) if audiences else {}
        yield [
            Stored(
                row.user_id,
                row.status,
                row.email,
                assemble(
                    json.loads(row.data),
                    tickets.get(row.user_id, ()),
                    ratings.get(row.user_id, ()),
                    statuses.get((row.email or "").lower()),
                ),
                row.recheck_at,
            )
            for row in rows
        ]
        after = ids[-1]


def _by_requester(
    connection: Connection, table: Any, ids: list[int], dense: bool
) -> dict[int, list[Mapping[str, Any]]]:
    found: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
    if dense:
        query = select(table).where(table.c.requester_id.between(ids[0], ids[-1]))
    else:
        query = select(table).where(table.c.requester_id.in_(ids))
    for row in connection.execute(query):
        found[row.requester_id].append(dict(row._mapping))
    return found


def _mailchimp_statuses(
    connection: Connection, rows: Sequence[Any], audiences: Mapping[str, Sequence[str]]
) -> dict[str, dict[str, str]]:
    emails = sorted({row.email.lower() for row in rows if row.email})
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for chunk in bounded(emails):
        query = select(
            t.mailchimp_members.c.audience,
            t.mailchimp_members.c.email,
            t.mailchimp_members.c.status,
        ).where(t.mailchimp_members.c.email.in_(chunk))
        for audience, email, status in connection.execute(query):
            if status is None or audience not in audiences:
                continue
            for name in audiences[audience]:
                found[email][name] = status
    return found
