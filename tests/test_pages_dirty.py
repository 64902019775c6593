"""Storing a page marks dirty exactly the users whose stored facts it changes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import delete, select

from jobs.state import StateStore
from jobs.state import tables as t
from jobs.state.pages import save_page
from jobs.zendesk_records import RatingRow, TicketRow, UserRow, content_hash

Row = UserRow | TicketRow | RatingRow

NOW = 1_795_000_000


def user(user_id: int, *, updated_at: int = 1, vip: bool = False) -> UserRow:
    part = {
        "user": {"id": user_id, "email": f"u{user_id}@example.org", "updated_at": updated_at},
        "user_fields": {"vip": vip},
        "tags": [],
    }
    data = json.dumps(part, sort_keys=True, separators=(",", ":"))
    return UserRow(user_id, f"u{user_id}@example.org", "active", data, content_hash(data))


def ticket(
    ticket_id: int, requester: int, *, status: str = "open", updated_at: int = 1
) -> TicketRow:
    return TicketRow(ticket_id, requester, status, "email", None, None, "[]", 1, updated_at)


def rating(rating_id: int, requester: int, score: str = "good") -> RatingRow:
    return RatingRow(rating_id, requester, None, score, False, 1)


def dirty_after(store: StateStore, rows: Sequence[Row], **options: bool) -> set[int]:
    with store.engine.begin() as connection:
        connection.execute(delete(t.dirty_profiles))
    save_page(store, rows, None, NOW, **options)
    with store.engine.connect() as connection:
        return set(connection.execute(select(t.dirty_profiles.c.user_id)).scalars())


def test_new_records_mark_their_owners(store: StateStore) -> None:
    assert dirty_after(store, [user(1), user(2), ticket(10, 3), rating(20, 4)]) == {1, 2, 3, 4}


def test_a_page_sent_again_unchanged_marks_nobody(store: StateStore) -> None:
    page: list[Row] = [user(1), user(2), ticket(10, 3), rating(20, 4)]
    dirty_after(store, page)
    assert dirty_after(store, page) == set()


def test_a_changed_user_ticket_or_rating_marks_its_owner(store: StateStore) -> None:
    dirty_after(store, [user(1), user(2), ticket(10, 3), rating(20, 4)])
    changed: list[Row] = [
        user(1, vip=True),
        user(2),
        ticket(10, 3, status="solved"),
        rating(20, 4, "bad"),
    ]
    assert dirty_after(store, changed) == {1, 3, 4}


def test_a_ticket_that_moved_to_another_requester_marks_both(store: StateStore) -> None:
    dirty_after(store, [ticket(10, 3), rating(20, 4)])
    assert dirty_after(store, [ticket(10, 5), replace(rating(20, 4), requester_id=6)]) == {
        3,
        4,
        5,
        6,
    }


def test_a_ticket_touched_without_a_change_of_facts_marks_nobody(store: StateStore) -> None:
    dirty_after(store, [ticket(10, 3)])
    assert dirty_after(store, [ticket(10, 3, updated_at=99)]) == set()


def test_a_users_updated_at_alone_counts_only_when_something_reads_it(store: StateStore) -> None:
    dirty_after(store, [user(1)])
    assert dirty_after(store, [user(1, updated_at=99)], user_updated_at_read=False) == set()
    assert dirty_after(store, [user(1, updated_at=100)], user_updated_at_read=True) == {1}
