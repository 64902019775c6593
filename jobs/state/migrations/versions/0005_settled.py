"""What the plan last found settled for a Mailchimp member: `mailchimp_members.settled`; and
the plan's diffs kept for the apply: `mailchimp_planned`.

The plan writes there, for an address it compared in full and found needing nothing, the values
it compared (see `jobs.mailchimp_plan.unsettled`); the next plan skips the address while they
are unchanged. Existing rows get NULL: the first plan after the upgrade compares every address
once.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


EMAIL = 320


def upgrade() -> None:
    op.add_column("mailchimp_members", sa.Column("settled", sa.Text, nullable=True))
    op.create_table(
        "mailchimp_planned",
        sa.Column("audience", sa.String(64), primary_key=True),
        sa.Column("email", sa.String(EMAIL), primary_key=True),
        sa.Column("diff", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("mailchimp_planned")
    with op.batch_alter_table("mailchimp_members") as batch:
        batch.drop_column("settled")
