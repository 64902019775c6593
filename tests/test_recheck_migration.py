"""Schema 0003: the profiles of a store from the previous release are all due for a re-check."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect, select, text

from jobs.state import StateStore
from jobs.state import tables as t
from jobs.state.migrate import _config, current, head

NOW = 1_795_000_000


def test_profiles_stored_before_the_recheck_moment_existed_are_due_at_once(
    state_url: str,
) -> None:
    engine = create_engine(state_url)
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
        for user_id in (1, 2):
            connection.execute(
                text(
                    "INSERT INTO profiles (user_id, email, status, data, content_hash, updated_at)"
                    " VALUES (:id, NULL, 'active', '{}', 'h', :now)"
                ),
                {"id": user_id, "now": NOW},
            )
    engine.dispose()
    opened = StateStore.open(state_url)
    try:
        assert current(opened.engine) == head()
        with opened.engine.connect() as connection:
            found = connection.execute(select(t.profiles.c.user_id, t.profiles.c.recheck_at))
            assert sorted(found) == [(1, 0), (2, 0)]
        indexes = inspect(opened.engine).get_indexes("profiles")
        assert {"name": "ix_profiles_recheck_at", "column_names": ["recheck_at"]} in [
            {"name": i["name"], "column_names": i["column_names"]} for i in indexes
        ]
    finally:
        opened.close()


def test_the_recheck_moment_goes_again_on_a_downgrade(state_url: str) -> None:
    opened = StateStore.open(state_url)
    opened.close()
    engine = create_engine(state_url)
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
    columns = {c["name"] for c in inspect(engine).get_columns("profiles")}
    engine.dispose()
    assert "recheck_at" not in columns
    assert {"user_id", "data", "content_hash"} <= columns
