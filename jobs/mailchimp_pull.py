"""Step 1, Mailchimp's half: what each audience holds, read back into the ledger.

The first run (and `--full`) reads every member; later runs only those changed since the last
read (`since_last_changed`, from the walk's `next_since`). Each page is stored in one
transaction; the resume point moves once every page is stored. A member who became unsubscribed
or cleaned is recorded as a consent event, and the Zendesk user with that address is marked for
evaluation (their `mailchimp.status` changed, and `unsubscribed_field` may need ticking).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, insert, select

from connector.mailchimp import Member, MemberWalk
from jobs.state import StateStore
from jobs.state import tables as t
from jobs.state.pages import mark_dirty, upsert
from jobs.state.sql import bounded, normalised_json

WITHOUT_CONSENT = ("unsubscribed", "cleaned")


class MemberSource(Protocol):
    def members(self, list_id: str, since_last_changed: datetime | None = None) -> MemberWalk: ...


@dataclass
class MailchimpPullCounts:
    members: int = 0
    pages: int = 0
    consent_changes: int = 0


def since_cursor(audience_id: str) -> str:
    return f"mailchimp.{audience_id}.since"


def pull_members(
    mailchimp: MemberSource,
    store: StateStore,
    audience_id: str,
    merge_tags: Iterable[str],
    run_id: int,
    now: int,
    *,
    full: bool = False,
) -> MailchimpPullCounts:
    """Read the audience's (changed) members into the ledger; see the module's docstring."""
    counts = MailchimpPullCounts()
    managed = sorted(set(merge_tags))
    stored = None if full else store.cursor(since_cursor(audience_id))
    since = datetime.fromisoformat(stored) if stored else None
    walk = mailchimp.members(audience_id, since_last_changed=since)
    for page in walk:
        with store.engine.begin() as connection:
            counts.consent_changes += _store_page(
                connection, audience_id, page.members, managed, run_id, now
            )
        counts.members += len(page.members)
        counts.pages += 1
    store.set_cursor(since_cursor(audience_id), walk.next_since.isoformat(), now)
    return counts


def _store_page(
    connection: Connection,
    audience_id: str,
    members: Iterable[Member],
    merge_tags: list[str],
    run_id: int,
    now: int,
) -> int:
    page = list(members)
    emails = [m.email.strip().lower() for m in page]
    known = _ledger(connection, audience_id, emails)
    rows: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for email, member in zip(emails, page, strict=True):
        before = known.get(email)
        merge = json.loads(before["merge"]) if before else {}
        merge.update({k: _text(member.merge_fields.get(k)) for k in merge_tags})
        rows.append(
            {
                "audience": audience_id,
                "email": email,
                "tags": normalised_json(sorted(member.tags)),
                "merge": normalised_json(merge),
                "pushed": before["pushed"] if before else "[]",
                "status": member.status,
                "error": before["error"] if before else None,
                "updated_at": now,
            }
        )
        was = before["status"] if before else None
        if member.status in WITHOUT_CONSENT and was != member.status:
            events.append(
                {
                    "run_id": run_id,
                    "audience": audience_id,
                    "email": email,
                    "status": member.status,
                    "seen_at": now,
                }
            )
    upsert(connection, t.mailchimp_members, rows, ("audience", "email"))
    if events:
        connection.execute(insert(t.consent_events), events)
    changed = [row["email"] for row in rows if _moved(known.get(row["email"]), row)]
    _mark_users(connection, changed)
    return len(events)


def _moved(before: Mapping[str, Any] | None, row: Mapping[str, Any]) -> bool:
    """Whether the member's status changed, which conditions and the unsubscribed field read."""
    return before is None or before["status"] != row["status"]


def _mark_users(connection: Connection, emails: list[str]) -> None:
    for chunk in bounded(emails):
        query = select(t.profiles.c.user_id).where(t.profiles.c.email.in_(chunk))
        mark_dirty(connection, connection.execute(query).scalars())


def _ledger(
    connection: Connection, audience_id: str, emails: list[str]
) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    m = t.mailchimp_members.c
    for chunk in bounded(emails):
        query = select(t.mailchimp_members).where(m.audience == audience_id, m.email.in_(chunk))
        for row in connection.execute(query):
            found[row.email] = dict(row._mapping)
    return found


def _text(value: Any) -> str:
    return "" if value is None else str(value)
