"""Step 5 for Mailchimp: send an audience's diffs, in batches at the API's limits.

Upserts go 500 a call, adds and updates apart (an update of a member the ledger knows skips the
create pass) and one `status_if_new` a call; tags 500 addresses a call per tag (the connector
looks an audience's tags up once per run); a new member is tagged only once the upsert that adds
them succeeded. Every outcome is written to the ledger as it comes, so a crash repeats at most
the batch in flight — and every Mailchimp write here is idempotent (an upsert never changes a
status; a tag added twice is one tag). A member Mailchimp refuses for good gets the error in the
ledger and is not tried again until the wanted values change; a member whose call failed for a
passing reason stays as it was, and the next run plans it again. A customer deleted in Zendesk
is archived or erased, a call each; the ledger row and the pending deletion are settled
together, so a second sync makes no request, and a failed call is an error of that member,
retried by the next run.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select

from connector.errors import ConnectorError
from connector.mailchimp import (
    BATCH_SIZE,
    MemberOutcome,
    MemberUpdate,
    RemovalOutcome,
    TagResult,
)
from jobs.mailchimp_plan import MemberDiff
from jobs.runreport import DestinationResult
from jobs.state import StateStore
from jobs.state import tables as t
from jobs.state.sql import normalised_json, upsert

TAG_BATCH = 500
PASSING = frozenset({"RETRIES_EXHAUSTED", "MISSING_FROM_ANSWER"})

ErrorSink = Callable[[str, str, bool], None]  # (record, message, permanent)


class MailchimpWriter(Protocol):
    def upsert_stream(
        self, list_id: str, members: Iterable[MemberUpdate], status_if_new: str
    ) -> Iterable[MemberOutcome]: ...

    def tag_members(
        self, list_id: str, name: str, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> TagResult: ...

    def archive(self, list_id: str, email: str) -> RemovalOutcome: ...

    def erase(self, list_id: str, email: str) -> RemovalOutcome: ...


@dataclass
class AudienceApply:
    mailchimp: MailchimpWriter
    store: StateStore
    audience_id: str
    now: int
    withheld: frozenset[str]  # lists whose removals the blast-radius guard holds back
    on_error: ErrorSink
    # hears how many members each call settled, once its outcome is stored (progress, and the
    # place a stop request ends the apply)
    on_stored: Callable[[int], None] = lambda n: None
    result: DestinationResult = field(init=False)
    # (status_if_new, "add" | "update") -> diffs: a batch of one kind costs one call
    _upserts: dict[tuple[str, str], list[MemberDiff]] = field(
        default_factory=lambda: defaultdict(list)
    )
    _adds: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    _removes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def __post_init__(self) -> None:
        self.result = DestinationResult(f"mailchimp:{self.audience_id}")

    def run(self, diffs: Iterable[MemberDiff]) -> DestinationResult:
        for diff in diffs:
            self._take(diff)
        for key in list(self._upserts):
            self._flush_upserts(key)
        for tag in list(self._adds):
            self._flush_tag(tag, add=True)
        for tag in list(self._removes):
            self._flush_tag(tag, add=False)
        return self.result

    def _take(self, diff: MemberDiff) -> None:
        if diff.deletion is not None:
            self._remove_deleted(diff.email, diff.deletion)
            return
        if diff.upsert:
            key = (diff.status_if_new, diff.upsert)
            batch = self._upserts[key]
            batch.append(diff)
            if len(batch) >= BATCH_SIZE:
                self._flush_upserts(key)
        else:
            for tag in diff.add_tags:
                self._queue(self._adds, tag, diff.email, add=True)
        for tag, owner in diff.remove_tags:
            if owner not in self.withheld:
                self._queue(self._removes, tag, diff.email, add=False)
        if diff.archive_for and diff.archive_for not in self.withheld:
            self._archive(diff.email)

    def _queue(self, queue: dict[str, list[str]], tag: str, email: str, *, add: bool) -> None:
        queue[tag].append(email)
        if len(queue[tag]) >= TAG_BATCH:
            self._flush_tag(tag, add=add)

    def _flush_upserts(self, key: tuple[str, str]) -> None:
        batch = self._upserts.pop(key, [])
        if not batch:
            return
        status_if_new, kind = key
        by_email = {diff.email: diff for diff in batch}
        members = [MemberUpdate(diff.email, dict(diff.merge), kind == "update") for diff in batch]
        rows: list[dict[str, Any]] = []
        tagged: list[MemberDiff] = []
        for outcome in self.mailchimp.upsert_stream(self.audience_id, members, status_if_new):
            diff = by_email.get(outcome.email.strip().lower())
            if diff is None:
                continue
            if not outcome.failed:
                self.result.done += 1
                rows.append(self._row(diff, outcome.status, None))
                tagged.append(diff)
                continue
            why = f"{outcome.error_code}: {outcome.message}" + (
                f" (field {outcome.field})" if outcome.field else ""
            )
            permanent = outcome.error_code not in PASSING
            if permanent:
                self.result.permanent += 1
                rows.append(self._row(diff, None, why, keep_status=True))
            else:
                self.result.failed += 1
            self.on_error(f"{self.audience_id}/{diff.email}", why, permanent)
        self._write(rows)
        self.on_stored(len(batch))
        for diff in tagged:
            for tag in diff.add_tags:
                self._queue(self._adds, tag, diff.email, add=True)

    def _row(
        self, diff: MemberDiff, status: str | None, error: str | None, keep_status: bool = False
    ) -> dict[str, Any]:
        return {
            "audience": self.audience_id,
            "email": diff.email,
            "tags": normalised_json(sorted(diff.known_tags)),
            "merge": normalised_json({**diff.known_merge, **diff.merge}),
            "pushed": normalised_json(sorted(diff.known_pushed)),
            "status": status,
            "error": error,
            "updated_at": self.now,
            "_keep_status": keep_status,
        }

    def _write(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        m = t.mailchimp_members.c
        with self.store.engine.begin() as connection:
            emails = [row["email"] for row in rows]
            known = {
                r.email: r
                for r in connection.execute(
                    select(m.email, m.status, m.tags, m.pushed).where(
                        m.audience == self.audience_id, m.email.in_(emails)
                    )
                )
            }
            for row in rows:
                keep = row.pop("_keep_status")
                before = known.get(row["email"])
                if before is not None:
                    row["tags"] = before.tags  # tags are the tag calls' business
                    row["pushed"] = before.pushed
                    if keep or row["status"] is None:
                        row["status"] = before.status
            upsert(connection, t.mailchimp_members, rows, ("audience", "email"))

    def _flush_tag(self, tag: str, *, add: bool) -> None:
        queue = self._adds if add else self._removes
        emails = queue.pop(tag, [])
        if not emails:
            return
        outcome = self.mailchimp.tag_members(
            self.audience_id, tag, add=emails if add else (), remove=() if add else emails
        )
        settled = set(outcome.added if add else outcome.removed) | set(outcome.unchanged)
        for problem in outcome.failed:
            self.result.failed += 1
            self.on_error(f"{self.audience_id}/{problem.email}", problem.reason, False)
        self.result.done += len(settled)
        self._set_tag(tag, [e.strip().lower() for e in settled], add)
        self.on_stored(len(emails))

    def _set_tag(self, tag: str, emails: list[str], add: bool) -> None:
        if not emails:
            return
        m = t.mailchimp_members.c
        with self.store.engine.begin() as connection:
            rows = connection.execute(
                select(t.mailchimp_members).where(
                    m.audience == self.audience_id, m.email.in_(emails)
                )
            ).all()
            updated = []
            for row in rows:
                tags = _without(json.loads(row.tags), tag) + ([tag] if add else [])
                pushed = _without(json.loads(row.pushed), tag) + ([tag] if add else [])
                updated.append(
                    {
                        **row._mapping,
                        "tags": normalised_json(sorted(tags)),
                        "pushed": normalised_json(sorted(pushed)),
                        "updated_at": self.now,
                    }
                )
            upsert(connection, t.mailchimp_members, updated, ("audience", "email"))

    def _archive(self, email: str) -> None:
        self.mailchimp.archive(self.audience_id, email)
        self.result.done += 1
        m = t.mailchimp_members.c
        with self.store.engine.begin() as connection:
            connection.execute(
                t.mailchimp_members.update()
                .where(m.audience == self.audience_id, m.email == email)
                .values(status="archived", tags="[]", pushed="[]", updated_at=self.now)
            )

    def _remove_deleted(self, email: str, deletion: str) -> None:
        """Archive or erase a customer deleted in Zendesk, and settle it in the store."""
        remove = self.mailchimp.erase if deletion == "erase" else self.mailchimp.archive
        try:
            outcome = remove(self.audience_id, email)
        except ConnectorError as error:
            self.result.failed += 1
            verb = "erasing" if deletion == "erase" else "archiving"
            self.on_error(f"{self.audience_id}/{email}", f"{verb} failed: {error}", False)
            return
        self.result.done += 1
        status = None if outcome.action == "not_on_list" else outcome.action
        m, e = t.mailchimp_members.c, t.mailchimp_erasures.c
        with self.store.engine.begin() as connection:
            connection.execute(
                t.mailchimp_members.update()
                .where(m.audience == self.audience_id, m.email == email)
                .values(status=status, tags="[]", pushed="[]", error=None, updated_at=self.now)
            )
            connection.execute(
                t.mailchimp_erasures.update()
                .where(e.audience == self.audience_id, e.email == email, e.done_at.is_(None))
                .values(done_at=self.now)
            )


def _without(tags: list[str], tag: str) -> list[str]:
    return [x for x in tags if x.casefold() != tag.casefold()]
