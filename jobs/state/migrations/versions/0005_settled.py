"""What the plan last found settled for a Mailchimp member: `mailchimp_members.settled`.

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


def upgrade() -> None:
    op.add_column("mailchimp_members", sa.Column("settled", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mailchimp_members") as batch:
        batch.drop_column("settled")
