"""Profiles: ticket and satisfaction facts, and the single customer view built from the store."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from jobs.profiles import assemble, profiles, satisfaction_facts, ticket_facts
from jobs.pull import pull
from jobs.state import StateStore
from sandbox.server import SandboxServer
from tests.sandbox_helpers import state, zendesk_connector

NOW = 1_795_000_000


def ticket(status: str, channel: str | None, created_at: int) -> dict[str, Any]:
    return {"status": status, "channel": channel, "created_at": created_at}


def rating(rating_id: int, score: str, created_at: int, comment: bool = False) -> dict[str, Any]:
    return {"id": rating_id, "score": score, "created_at": created_at, "comment_present": comment}


def test_ticket_facts_count_unsolved_tickets_and_the_channels_used() -> None:
    facts = ticket_facts(
        [
            ticket("open", "email", 100),
            ticket("solved", "chat", 300),
            ticket("pending", "email", 200),
            ticket("closed", None, 50),
            ticket("hold", "web", 10),
        ]
    )
    assert facts == {
        "count": 5,
        "open_count": 3,
        "last_created_at": 300,
        "channels": ["chat", "email", "web"],
    }
    assert ticket_facts([]) == {
        "count": 0,
        "open_count": 0,
        "last_created_at": None,
        "channels": [],
    }


def test_satisfaction_facts_look_at_given_ratings_only() -> None:
    facts = satisfaction_facts(
        [
            rating(1, "bad", 100, comment=True),
            rating(2, "good", 200),
            rating(3, "bad", 300),
            rating(4, "offered", 400),  # offered, not answered: says nothing
            rating(5, "unoffered", 500),
        ]
    )
    assert facts == {
        "last_score": "bad",
        "bad_count": 2,
        "last_bad_at": 300,
        "last_comment_present": False,
    }
    assert satisfaction_facts([rating(1, "offered", 5)]) == {
        "last_score": None,
        "bad_count": 0,
        "last_bad_at": None,
        "last_comment_present": None,
    }


def test_a_profile_joins_the_user_part_with_its_facts() -> None:
    part = {"user": {"id": 7, "email": "a@b.test"}, "user_fields": {"vip": True}, "tags": ["vip"]}
    profile = assemble(part, [ticket("open", "email", 5)], [rating(1, "good", 6)], {"Retail": "x"})
    assert profile["user"] == part["user"] and profile["tags"] == ["vip"]
    assert profile["tickets"]["open_count"] == 1
    assert profile["satisfaction"]["last_score"] == "good"
    assert profile["mailchimp"] == {"status": {"Retail": "x"}}


def seconds(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def test_profiles_from_a_pulled_account_hold_the_facts_of_its_own_records(
    sandbox: SandboxServer, store: StateStore
) -> None:
    pull(zendesk_connector(sandbox), store, store.start_run(NOW, dry_run=False, full=False), NOW)
    truth = state(sandbox, "zendesk")
    tickets_of: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for record in truth["tickets"]:
        tickets_of[record["requester_id"]].append(record)
    ratings_of: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for record in truth["satisfaction_ratings"]:
        ratings_of[record["requester_id"]].append(record)
    active = {u["id"]: u for u in truth["users"] if u["active"]}

    built = {user_id: profile for user_id, _status, profile in profiles(store, page=700)}
    assert set(built) == set(active)
    for user_id, profile in built.items():
        mine = tickets_of[user_id]
        unsolved = [x for x in mine if x["status"] in ("new", "open", "pending", "hold")]
        assert profile["tickets"]["count"] == len(mine)
        assert profile["tickets"]["open_count"] == len(unsolved)
        assert profile["tickets"]["channels"] == sorted({x["via"]["channel"] for x in mine})
        given = sorted(
            (r for r in ratings_of[user_id] if r["score"] in ("good", "bad")),
            key=lambda r: (r["created_at"], r["id"]),
        )
        expected = given[-1]["score"] if given else None
        assert profile["satisfaction"]["last_score"] == expected
        bad = [r for r in given if r["score"] == "bad"]
        assert profile["satisfaction"]["bad_count"] == len(bad)
        if bad:
            assert profile["satisfaction"]["last_bad_at"] == seconds(bad[-1]["created_at"])
