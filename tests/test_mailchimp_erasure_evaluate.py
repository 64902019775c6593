"""The evaluation plans archiving or erasing a customer deleted in Zendesk in every managed
audience (`[mailchimp] deleted_users`), in the page's transaction; suspended users, staff and the
default "leave" plan nothing, and a deletion that no longer stands is dropped while pending."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, insert, select, update

from jobs.evaluate import Targets, decide_scope, evaluate, rules_hash
from jobs.state import StateStore
from jobs.state import tables as t
from mappings.engine import Mappings
from tests.mapping_helpers import check_files

NOW = 1_795_000_000
AUDIENCES = {"retail": "a1", "newsletter": "b2"}
CONFIG = """\
[zendesk]
subdomain = "acme"
email = "admin@acme.test"
token = "env:ZENDESK_TOKEN"

[mailchimp]
api_key = "env:MAILCHIMP_API_KEY"

[[lists]]
name = "VIP"
conditions.all = [{ field = "tags", operator = "includes", value = "vip" }]
mailchimp = { audience = "Retail", tag = "VIP" }

[[lists]]
name = "Everyone"
mailchimp = { audience = "Newsletter" }
"""


def targets(deleted_users: str) -> Targets:
    return Targets(audiences=AUDIENCES, deleted_users=deleted_users)


@pytest.fixture(scope="module")
def mappings() -> Mappings:
    loaded, problems = check_files({"config.toml": CONFIG})
    assert loaded is not None, problems
    return loaded.mappings


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    opened = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    yield opened
    opened.close()


def put_user(
    store: StateStore,
    user_id: int,
    email: str | None,
    status: str = "active",
    role: str = "end-user",
) -> None:
    """Store (or replace) a pulled user and mark them for evaluation, as the pull does."""
    data = json.dumps({"user": {"id": user_id, "role": role, "email": email}, "tags": ["vip"]})
    row: dict[str, Any] = {
        "user_id": user_id,
        "email": email,
        "status": status,
        "data": data,
        "content_hash": "h",
        "updated_at": NOW,
        "recheck_at": None,
    }
    p = t.profiles.c
    with store.engine.begin() as connection:
        if connection.execute(select(p.user_id).where(p.user_id == user_id)).first():
            connection.execute(update(t.profiles).where(p.user_id == user_id).values(row))
        else:
            connection.execute(insert(t.profiles).values(row))
        known = select(t.dirty_profiles.c.user_id).where(t.dirty_profiles.c.user_id == user_id)
        if connection.execute(known).first() is None:
            connection.execute(insert(t.dirty_profiles).values(user_id=user_id))


def run_evaluation(store: StateStore, mappings: Mappings, deleted_users: str, now: int) -> None:
    chosen = targets(deleted_users)
    with store.engine.connect() as connection:
        scope = decide_scope(connection, mappings, chosen, now, full=False)
        evaluate(connection, mappings, chosen, scope, 1, now, connection.commit)


def erasures(connection: Connection) -> set[tuple[str, str, int, str, int | None]]:
    e = t.mailchimp_erasures.c
    query = select(e.audience, e.email, e.user_id, e.action, e.done_at)
    return {tuple(row) for row in connection.execute(query)}


def stored(store: StateStore) -> set[tuple[str, str, int, str, int | None]]:
    with store.engine.connect() as connection:
        return erasures(connection)


def test_a_deleted_customer_is_to_be_erased_in_every_managed_audience(
    store: StateStore, mappings: Mappings
) -> None:
    put_user(store, 1, "ann@example.org", status="deleted")
    put_user(store, 2, "bob@example.org", status="suspended")
    put_user(store, 3, "agent@example.org", status="deleted", role="agent")
    put_user(store, 4, None, status="deleted")  # no address, none known: nothing to do
    put_user(store, 5, "cy@example.org")
    run_evaluation(store, mappings, "erase", NOW)
    assert stored(store) == {
        ("a1", "ann@example.org", 1, "erase", None),
        ("b2", "ann@example.org", 1, "erase", None),
    }


def test_leave_plans_nothing(store: StateStore, mappings: Mappings) -> None:
    put_user(store, 1, "ann@example.org", status="deleted")
    run_evaluation(store, mappings, "leave", NOW)
    assert stored(store) == set()


def test_an_address_zendesk_scrubbed_is_found_in_what_the_audiences_held(
    store: StateStore, mappings: Mappings
) -> None:
    put_user(store, 1, "ann@example.org")
    run_evaluation(store, mappings, "archive", NOW)
    assert stored(store) == set()
    put_user(store, 1, None, status="deleted")
    run_evaluation(store, mappings, "archive", NOW + 60)
    assert stored(store) == {
        ("a1", "ann@example.org", 1, "archive", None),
        ("b2", "ann@example.org", 1, "archive", None),
    }


def test_a_done_deletion_stays_done_and_another_action_plans_it_again(
    store: StateStore, mappings: Mappings
) -> None:
    put_user(store, 1, "ann@example.org", status="deleted")
    run_evaluation(store, mappings, "archive", NOW)
    with store.engine.begin() as connection:
        connection.execute(update(t.mailchimp_erasures).values(done_at=NOW + 1))
    put_user(store, 1, "ann@example.org", status="deleted")  # pulled again, unchanged
    run_evaluation(store, mappings, "archive", NOW + 60)
    assert {row[4] for row in stored(store)} == {NOW + 1}
    # Changing the setting changes the hash: everyone is evaluated, the archived data erased.
    run_evaluation(store, mappings, "erase", NOW + 120)
    assert stored(store) == {
        ("a1", "ann@example.org", 1, "erase", None),
        ("b2", "ann@example.org", 1, "erase", None),
    }


def test_a_pending_deletion_is_dropped_when_the_setting_goes_back_to_leave(
    store: StateStore, mappings: Mappings
) -> None:
    put_user(store, 1, "ann@example.org", status="deleted")
    put_user(store, 2, "bob@example.org", status="deleted")
    run_evaluation(store, mappings, "erase", NOW)
    e = t.mailchimp_erasures.c
    with store.engine.begin() as connection:
        connection.execute(
            update(t.mailchimp_erasures).where(e.user_id == 2).values(done_at=NOW + 1)
        )
    run_evaluation(store, mappings, "leave", NOW + 60)
    assert stored(store) == {
        ("a1", "bob@example.org", 2, "erase", NOW + 1),
        ("b2", "bob@example.org", 2, "erase", NOW + 1),
    }


def test_the_setting_counts_in_the_rules_hash_only_once_set(mappings: Mappings) -> None:
    assert rules_hash(mappings, targets("leave")) == rules_hash(mappings, Targets())
    hashes = {rules_hash(mappings, targets(mode)) for mode in ("leave", "archive", "erase")}
    assert len(hashes) == 3


def test_a_dry_run_plans_the_deletion_inside_its_transaction_only(
    store: StateStore, mappings: Mappings
) -> None:
    put_user(store, 1, "ann@example.org", status="deleted")
    chosen = targets("erase")
    with store.engine.connect() as connection:
        scope = decide_scope(connection, mappings, chosen, NOW, full=False)
        evaluate(connection, mappings, chosen, scope, 1, NOW, lambda: None)
        assert len(erasures(connection)) == 2
        connection.rollback()
    assert stored(store) == set()
