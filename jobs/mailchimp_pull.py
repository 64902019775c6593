"""Step 1, Mailchimp's half: what each audience holds, read back into the ledger.

The first run (and `--full`) reads every member; later runs only those changed since the last
read (`since_last_changed`, from the walk's `next_since`). Each page is stored in one
transaction; the resume point moves once every page is stored.

Reading back what deskbridge itself just wrote would cost a call per 1000 members and tell
nothing the answers to its writes did not. So after an apply that wrote many members
(`remember_push`), the next read splits time around that push: everything changed before it and
after it, and — inside it — only members who are now unsubscribed or cleaned, which deskbridge
never writes, so those are others' doing: no change of consent is missed. What others change
inside the push window otherwise (a merge field edited by hand, a pending member confirming)
is picked up when the member next changes, or by `--full`. A member who became unsubscribed
or cleaned is recorded as a consent event, and the Zendesk user with that address is marked for
evaluation (their `mailchimp.status` changed, and `unsubscribed_field` may need ticking).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, insert, select

from connector.mailchimp import CLOCK_MARGIN, Member, MemberWalk
from jobs.state import StateStore
from jobs.state import tables as t
from jobs.state.pages import mark_dirty
from jobs.state.sql import bounded, normalised_json, upsert

WITHOUT_CONSENT = ("unsubscribed", "cleaned")
SPLIT_FROM = 5000  # members written: the split's four reads cost less than reading them back


class MemberSource(Protocol):
    def members(
        self,
        list_id: str,
        since_last_changed: datetime | None = None,
        *,
        before_last_changed: datetime | None = None,
        status: str | None = None,
    ) -> MemberWalk: ...


@dataclass
class MailchimpPullCounts:
    members: int = 0
    pages: int = 0
    walks: int = 0  # member listings (each at least one call), see `reads`
    consent_changes: int = 0


def since_cursor(audience_id: str) -> str:
    return f"mailchimp.{audience_id}.since"


def push_cursor(audience_id: str) -> str:
    return f"mailchimp.{audience_id}.pushed"


@dataclass(frozen=True)
class PushWindow:
    """When deskbridge wrote to an audience (its own clock, widened by the clocks' margin)."""

    start: datetime
    end: datetime
    members: int

    def encoded(self) -> str:
        return json.dumps(
            {"start": self.start.isoformat(), "end": self.end.isoformat(), "members": self.members}
        )

    @classmethod
    def decoded(cls, text: str | None) -> PushWindow | None:
        if not text:
            return None
        value = json.loads(text)
        return cls(
            datetime.fromisoformat(value["start"]),
            datetime.fromisoformat(value["end"]),
            int(value["members"]),
        )


def remember_push(
    store: StateStore, audience_id: str, started: datetime, ended: datetime, written: int, now: int
) -> None:
    """After an apply: the window the next read need not read back whole, if that saves calls."""
    if written < SPLIT_FROM:
        return
    window = PushWindow(started - CLOCK_MARGIN, ended + CLOCK_MARGIN, written)
    store.set_cursor(push_cursor(audience_id), window.encoded(), now)


def reads(
    mailchimp: MemberSource, audience_id: str, since: datetime | None, pushed: PushWindow | None
) -> list[MemberWalk]:
    """The walks that bring the ledger up to date (see the module's docstring)."""
    if since is None or pushed is None or pushed.end <= since:
        return [mailchimp.members(audience_id, since_last_changed=since)]
    walks = []
    if since < pushed.start:
        before = mailchimp.members(
            audience_id, since_last_changed=since, before_last_changed=pushed.start
        )
        walks.append(before)
    inside = max(since, pushed.start)
    walks += [
        mailchimp.members(
            audience_id, since_last_changed=inside, before_last_changed=pushed.end, status=status
        )
        for status in WITHOUT_CONSENT
    ]
    walks.append(mailchimp.members(audience_id, since_last_changed=pushed.end))
    return walks


def pull_members(
    mailchimp: MemberSource,
    store: StateStore,
    audience_id: str,
    merge_tags: Iterable[str],
    run_id: int,
    now: int,
    *,
    full: bool = False,
    on_page: Callable[[int], None] = lambda n: None,
) -> MailchimpPullCounts:
    """Read the audience's (changed) members into the ledger; see the module's docstring.
    `on_page` hears how many members each stored page held."""
    counts = MailchimpPullCounts()
    managed = sorted(set(merge_tags))
    stored = None if full else store.cursor(since_cursor(audience_id))
    since = datetime.fromisoformat(stored) if stored else None
    pushed = PushWindow.decoded(store.cursor(push_cursor(audience_id)))
    walks = reads(mailchimp, audience_id, since, pushed)
    counts.walks = len(walks)
    for walk in walks:
        for page in walk:
            with store.engine.begin() as connection:
                counts.consent_changes += _store_page(
                    connection, audience_id, page.members, managed, run_id, now
                )
            counts.members += len(page.members)
            counts.pages += 1
            on_page(len(page.members))
    next_since = min(walk.next_since for walk in walks)
    store.set_cursor(since_cursor(audience_id), next_since.isoformat(), now)
    store.set_cursor(push_cursor(audience_id), "", now)
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
