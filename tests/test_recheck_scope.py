"""`decide_scope` and time: the customers due are marked dirty (in the run's transaction, so a dry
run rolls the marks back), a clock gone back has everyone evaluated, and the stored moment is
the first whole second at which the outcome can change."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, insert, select

from jobs.evaluate import Targets, decide_scope, evaluate, record_versions
from jobs.state import StateStore
from jobs.state import tables as t
from mappings.engine import Mappings
from tests.mapping_helpers import check_files

NOW = 1_795_000_000
DAY = 86_400
TARGETS = Targets()
CONFIG = """\
[zendesk]
subdomain = "acme"
email = "admin@acme.test"
token = "env:ZENDESK_TOKEN"

[[lists]]
name = "New customers"
conditions.all = [{ field = "user.created_at", operator = "within_previous_n_days", value = 30 }]
"""


@pytest.fixture
def mappings() -> Mappings:
    loaded, problems = check_files({"config.toml": CONFIG})
    assert loaded is not None, problems
    return loaded.mappings


def add_profile(
    connection: Connection, user_id: int, created_at: int | str, recheck_at: int | None
) -> None:
    data = json.dumps({"user": {"role": "end-user", "created_at": created_at}})
    connection.execute(
        insert(t.profiles).values(
            user_id=user_id,
            email=None,
            status="active",
            data=data,
            content_hash="h",
            updated_at=NOW,
            recheck_at=recheck_at,
        )
    )


def evaluated_before(connection: Connection, mappings: Mappings, now: int) -> None:
    """As if a run had evaluated everything at `now`."""
    record_versions(connection, mappings, TARGETS, now)


def dirty(connection: Connection) -> set[int]:
    return set(connection.execute(select(t.dirty_profiles.c.user_id)).scalars())


def rechecks(connection: Connection) -> dict[int, int | None]:
    p = t.profiles.c
    return {
        row.user_id: row.recheck_at for row in connection.execute(select(p.user_id, p.recheck_at))
    }


def test_only_the_customers_due_are_marked_and_named_in_the_reason(
    store: StateStore, mappings: Mappings
) -> None:
    with store.engine.begin() as connection:
        evaluated_before(connection, mappings, NOW)
        add_profile(connection, 1, NOW, NOW + 10)
        add_profile(connection, 2, NOW, NOW + 11)
        add_profile(connection, 3, NOW, None)
        add_profile(connection, 4, NOW, NOW + 5)
        connection.execute(insert(t.dirty_profiles).values(user_id=4))  # pulled meanwhile
        scope = decide_scope(connection, mappings, TARGETS, NOW + 10, full=False)
        assert scope.reasons == ("2 customers due for a time-based re-check",)
        assert not scope.everyone and not scope.rules_for_everyone
        assert dirty(connection) == {1, 4}


def test_nobody_due_leaves_the_scope_to_the_dirty_ones(
    store: StateStore, mappings: Mappings
) -> None:
    with store.engine.begin() as connection:
        evaluated_before(connection, mappings, NOW)
        add_profile(connection, 1, NOW, NOW + 10)
        scope = decide_scope(connection, mappings, TARGETS, NOW + 9, full=False)
        assert scope.reasons == () and not scope.everyone
        assert dirty(connection) == set()


def test_a_clock_gone_back_evaluates_everyone(store: StateStore, mappings: Mappings) -> None:
    with store.engine.begin() as connection:
        evaluated_before(connection, mappings, NOW)
        add_profile(connection, 1, NOW, NOW + 10)
        scope = decide_scope(connection, mappings, TARGETS, NOW - 1, full=False)
        assert scope.reasons == ("the clock went back",)
        assert scope.everyone and scope.rules_for_everyone
        assert scope.lists_for_everyone == {"New customers"}


def test_the_marks_of_a_dry_run_are_rolled_back_with_it(
    store: StateStore, mappings: Mappings
) -> None:
    with store.engine.begin() as connection:
        evaluated_before(connection, mappings, NOW)
        add_profile(connection, 1, NOW - 40 * DAY, NOW + 10)
    with store.engine.connect() as connection:
        scope = decide_scope(connection, mappings, TARGETS, NOW + 10, full=False)
        evaluate(connection, mappings, TARGETS, scope, 1, NOW + 10, lambda: None)
        assert rechecks(connection) == {1: None}  # 40 days old: never new again
        connection.rollback()
    with store.engine.connect() as connection:
        assert dirty(connection) == set()
        assert rechecks(connection) == {1: NOW + 10}


def test_each_evaluated_profile_gets_the_first_second_its_outcome_can_change_at(
    store: StateStore, mappings: Mappings
) -> None:
    created = datetime.fromtimestamp(NOW - 3 * DAY, UTC).isoformat()
    fraction = datetime.fromtimestamp(NOW - 3 * DAY + 0.25, UTC).isoformat()
    with store.engine.begin() as connection:
        add_profile(connection, 1, created, 0)
        add_profile(connection, 2, fraction, 0)
        add_profile(connection, 3, NOW + DAY, 0)  # created tomorrow (clock skew): new then
        add_profile(connection, 4, "not a date", 0)
    with store.engine.connect() as connection:
        scope = decide_scope(connection, mappings, TARGETS, NOW, full=False)
        counts = evaluate(connection, mappings, TARGETS, scope, 1, NOW, connection.commit)
    assert counts.evaluated == 4
    with store.engine.connect() as connection:
        assert rechecks(connection) == {
            1: NOW + 27 * DAY + 1,  # new until 30 days after, both edges included
            2: NOW + 27 * DAY + 1,  # 0.25 s later: the change comes within that second
            3: NOW + DAY,
            4: None,
        }
        assert dirty(connection) == set()
