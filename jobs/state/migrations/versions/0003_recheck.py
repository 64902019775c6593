"""When time alone may next change a profile's outcome: `profiles.recheck_at` (Unix seconds).

Existing profiles get 0, due at once: the first sync after the upgrade re-checks every one of
them and writes the real moment (or NULL, for no time-based change ahead).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("profiles", sa.Column("recheck_at", sa.BigInteger, nullable=True))
    op.execute(sa.text("UPDATE profiles SET recheck_at = 0"))
    op.create_index("ix_profiles_recheck_at", "profiles", ["recheck_at"])


def downgrade() -> None:
    op.drop_index("ix_profiles_recheck_at", "profiles")
    with op.batch_alter_table("profiles") as batch:
        batch.drop_column("recheck_at")
