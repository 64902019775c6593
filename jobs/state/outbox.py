"""The outbox: writes recorded before they are sent, and marked once their outcome is known.

A crash between planning and writing loses nothing (the write is still `planned` and the next
run sends it) and repeats nothing that was done (it is `done`). Every write deskbridge makes is
idempotent (a field set to a value, a member upserted, a tag added), so a write whose answer was
lost is simply sent again. A failed write is retried by the next runs until it succeeds, or its
error is permanent: then it is `permanent`, reported, and not retried.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

from jobs.state import tables as t
from jobs.state.sql import normalised_json
from jobs.state.store import StateStore

PLANNED, DONE, FAILED, PERMANENT = "planned", "done", "failed", "permanent"
SUPERSEDED = "superseded"  # a newer evaluation of the same user or ticket replaced it
OPEN = (PLANNED, FAILED)


@dataclass(frozen=True)
class Write:
    destination: str  # zendesk | mailchimp | surveymonkey | csv
    operation: str  # e.g. update_user, update_ticket, upsert_member, untag_member
    record: str  # what it is about, e.g. "user 42" or "Retail/a@b.test"
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class OutboxItem:
    id: int
    run_id: int
    write: Write
    state: str
    attempts: int
    last_error: str | None


def plan(store: StateStore, run_id: int, writes: Iterable[Write], now: int) -> list[int]:
    """Record writes as planned, in one transaction; their ids in order."""
    rows = [
        {
            "run_id": run_id,
            "destination": w.destination,
            "operation": w.operation,
            "record": w.record[:512],
            "payload": normalised_json(w.payload),
            "state": PLANNED,
            "attempts": 0,
            "updated_at": now,
        }
        for w in writes
    ]
    if not rows:
        return []
    # One statement for all (a round trip per row is slow on a server), ids in the rows' order.
    statement = insert(t.outbox).returning(t.outbox.c.id, sort_by_parameter_order=True)
    with store.engine.begin() as connection:
        return [int(key) for key in connection.execute(statement, rows).scalars()]


def open_writes(store: StateStore, destination: str | None = None) -> list[OutboxItem]:
    """Writes still to send (planned, or failed and worth retrying), oldest first."""
    query = select(t.outbox).where(t.outbox.c.state.in_(OPEN))
    if destination is not None:
        query = query.where(t.outbox.c.destination == destination)
    with store.engine.connect() as connection:
        return [
            OutboxItem(
                row.id,
                row.run_id,
                Write(row.destination, row.operation, row.record, json.loads(row.payload)),
                row.state,
                row.attempts,
                row.last_error,
            )
            for row in connection.execute(query.order_by(t.outbox.c.id))
        ]


def mark_done(store: StateStore, ids: Sequence[int], now: int) -> None:
    _mark(store, ids, DONE, None, now)


def mark_failed(
    store: StateStore, ids: Sequence[int], error: str, now: int, *, permanent: bool
) -> None:
    """A failed write: retried by the next run, unless the error is permanent."""
    _mark(store, ids, PERMANENT if permanent else FAILED, error, now)


def _mark(store: StateStore, ids: Sequence[int], state: str, error: str | None, now: int) -> None:
    if not ids:
        return
    with store.engine.begin() as connection:
        connection.execute(
            update(t.outbox)
            .where(t.outbox.c.id.in_(list(ids)))
            .values(
                state=state,
                last_error=error,
                attempts=t.outbox.c.attempts + 1,
                updated_at=now,
            )
        )
