"""Customers deleted in Zendesk, to archive or erase in Mailchimp: `mailchimp_erasures`.

Nothing is planned for users deleted before this version until they are evaluated again (the
first sync with `[mailchimp] deleted_users` set to "archive" or "erase" evaluates everyone).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

EMAIL = 320


def upgrade() -> None:
    op.create_table(
        "mailchimp_erasures",
        sa.Column("audience", sa.String(64), primary_key=True),
        sa.Column("email", sa.String(EMAIL), primary_key=True),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("planned_at", sa.BigInteger, nullable=False),
        sa.Column("done_at", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_mailchimp_erasures_user_id", "mailchimp_erasures", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_mailchimp_erasures_user_id", "mailchimp_erasures")
    op.drop_table("mailchimp_erasures")
