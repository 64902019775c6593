"""Step 1 of a sync: pull what changed in Zendesk into the state store.

Users and tickets come from the incremental cursor exports: each page is stored together with
its cursor (`jobs.state.pages`), so a crash loses at most the page in flight and the next run
resumes from the last stored cursor. Satisfaction ratings come from the ratings list since the
newest rating already stored. `full` reads everything again. A record that cannot be stored is
set aside in the run's errors with its reason; the rest of the run goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Protocol, TypeVar

from connector.zendesk import ExportEnd, ExportPage, PageHandler
from jobs.state import StateStore
from jobs.state.pages import save_page
from jobs.zendesk_records import (
    RatingRow,
    SetAside,
    TicketRow,
    UserRow,
    rating_row,
    ticket_row,
    user_row,
)

USERS_CURSOR = "zendesk.users"
TICKETS_CURSOR = "zendesk.tickets"
RATINGS_SINCE = "zendesk.ratings_since"
RATINGS_CHUNK = 1000

Row = TypeVar("Row", UserRow, TicketRow, RatingRow)
Json = Mapping[str, Any]


class ZendeskSource(Protocol):
    """What the pull needs of `connector.zendesk.ZendeskConnector`."""

    def users_since(
        self,
        on_page: PageHandler,
        *,
        start_time: int | None = None,
        cursor: str | None = None,
    ) -> ExportEnd: ...

    def tickets_since(
        self,
        on_page: PageHandler,
        *,
        start_time: int | None = None,
        cursor: str | None = None,
    ) -> ExportEnd: ...

    def satisfaction_ratings_since(
        self, start_time: int, score: str | None = None, end_time: int | None = None
    ) -> Iterator[Json]: ...


@dataclass
class PullCounts:
    users: int = 0
    tickets: int = 0
    ratings: int = 0
    pages: int = 0
    set_aside: int = 0
    changed_users: set[int] = field(default_factory=set)  # whose profile may have changed

    def as_counts(self) -> dict[str, int]:
        return {
            "users_pulled": self.users,
            "tickets_pulled": self.tickets,
            "ratings_pulled": self.ratings,
            "pages": self.pages,
            "set_aside": self.set_aside,
        }


def pull(
    zendesk: ZendeskSource,
    store: StateStore,
    run_id: int,
    now: int,
    *,
    full: bool = False,
    user_updated_at_read: bool = True,
    on_page: Callable[[int], None] = lambda n: None,
) -> PullCounts:
    """Pull users, tickets and ratings changed since the stored cursors (or all, with `full`).

    `user_updated_at_read`: whether a user whose only change is `updated_at` needs evaluating
    (see `jobs.state.pages.save_page`). `on_page` hears how many records each stored page held
    (a progress bar, and the place a stop request ends the pull: the page is stored by then).
    """
    counts = PullCounts()
    users, tickets = zendesk.users_since, zendesk.tickets_since
    _export(
        users,
        USERS_CURSOR,
        user_row,
        store,
        run_id,
        now,
        full,
        counts,
        on_page,
        user_updated_at_read,
    )
    _export(tickets, TICKETS_CURSOR, ticket_row, store, run_id, now, full, counts, on_page)
    _ratings(zendesk, store, run_id, now, full, counts, on_page)
    return counts


def _export(
    export: Callable[..., ExportEnd],
    cursor_name: str,
    to_row: Callable[[Json], Row | SetAside],
    store: StateStore,
    run_id: int,
    now: int,
    full: bool,
    counts: PullCounts,
    stored_page: Callable[[int], None],
    user_updated_at_read: bool = True,
) -> None:
    def on_page(page: ExportPage) -> None:
        rows = _rows(page.records, to_row, store, run_id, counts)
        cursor = (cursor_name, page.after_cursor) if page.after_cursor else None
        save_page(store, rows, cursor, now, user_updated_at_read=user_updated_at_read)
        counts.pages += 1
        _count(rows, counts)
        stored_page(len(page.records))

    stored = None if full else store.cursor(cursor_name)
    if stored is None:
        export(on_page, start_time=0)
    else:
        export(on_page, cursor=stored)


def _ratings(
    zendesk: ZendeskSource,
    store: StateStore,
    run_id: int,
    now: int,
    full: bool,
    counts: PullCounts,
    on_page: Callable[[int], None],
) -> None:
    """Ratings since the newest stored one (its second again: a repeat is harmless), in chunks;
    the resume point moves only once every chunk is stored, as the list has no cursor of ours."""
    stored = None if full else store.cursor(RATINGS_SINCE)
    since = int(stored) if stored else 0
    newest = since
    ratings = zendesk.satisfaction_ratings_since(since)
    for chunk in _chunks(ratings, RATINGS_CHUNK):
        rows = _rows(chunk, rating_row, store, run_id, counts)
        save_page(store, rows, None, now)
        _count(rows, counts)
        newest = max([newest, *(row.created_at for row in rows)])
        on_page(len(chunk))
    if newest != since or stored is None:
        store.set_cursor(RATINGS_SINCE, str(newest), now)


def _rows(
    records: Iterable[Json],
    to_row: Callable[[Json], Row | SetAside],
    store: StateStore,
    run_id: int,
    counts: PullCounts,
) -> list[Row]:
    rows: list[Row] = []
    for record in records:
        made = (
            to_row(record)
            if isinstance(record, Mapping)
            else SetAside(repr(record)[:80], "not an object")
        )
        if isinstance(made, SetAside):
            store.record_error(run_id, "pull", made.record, made.reason, permanent=True)
            counts.set_aside += 1
        else:
            rows.append(made)
    return rows


def _count(rows: Sequence[UserRow | TicketRow | RatingRow], counts: PullCounts) -> None:
    for row in rows:
        if isinstance(row, UserRow):
            counts.users += 1
            counts.changed_users.add(row.user_id)
        elif isinstance(row, TicketRow):
            counts.tickets += 1
            counts.changed_users.add(row.requester_id)
        else:
            counts.ratings += 1
            counts.changed_users.add(row.requester_id)


def _chunks(items: Iterable[Json], size: int) -> Iterator[list[Json]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
