"""Bring a state store's schema to the version this deskbridge knows (Alembic, run in-process)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATE_KEY = 0x6465736B6D696772  # "deskmigr": not the sync lock, which a run holds for long


class NewerSchema(RuntimeError):
    """The store was migrated by a newer deskbridge; this one will not touch it."""


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head() -> str:
    """The newest schema version this deskbridge knows."""
    found = ScriptDirectory.from_config(_config()).get_current_head()
    assert found is not None
    return found


def current(engine: Engine) -> str | None:
    """The store's schema version (None: an empty store)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine, where: str) -> None:
    """Upgrade to `head()` in one transaction; `where` names the store (no password) in errors."""
    config = _config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Instances starting together on one server migrate one after the other: the
            # others wait, then find the schema at head (PostgreSQL's DDL is transactional).
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATE_KEY})
        config.attributes["connection"] = connection
        try:
            command.upgrade(config, "head")
        except CommandError as error:
            if "Can't locate revision" not in str(error):
                raise
            found = MigrationContext.configure(connection).get_current_revision()
            raise NewerSchema(
                f"the state store {where} has schema version {found}, which this deskbridge "
                f"does not know (it knows up to {head()}): it was used by a newer deskbridge"
            ) from None
