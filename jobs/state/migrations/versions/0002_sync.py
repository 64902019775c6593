"""The sync's own state: dirty profiles, what Mailchimp should have, consent events, CSV files;
the Mailchimp ledger keeps merge values (not a hash) and errors; survey invitations get states.

Nothing wrote to `survey_invitations` or `mailchimp_members` before this version, so both are
made again rather than altered.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

EMAIL = 320
NAME = 255


def upgrade() -> None:
    op.create_table(
        "dirty_profiles",
        sa.Column("user_id", sa.BigInteger, primary_key=True, autoincrement=False),
    )
    op.drop_table("mailchimp_members")
    op.create_table(
        "mailchimp_members",
        sa.Column("audience", sa.String(64), primary_key=True),
        sa.Column("email", sa.String(EMAIL), primary_key=True),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("merge", sa.Text, nullable=False),
        sa.Column("pushed", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "mailchimp_wanted",
        sa.Column("audience", sa.String(64), primary_key=True),
        sa.Column("email", sa.String(EMAIL), primary_key=True),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("merge", sa.Text, nullable=False),
        sa.Column("status_if_new", sa.String(16), nullable=False),
    )
    op.create_index("ix_mailchimp_wanted_user_id", "mailchimp_wanted", ["user_id"])
    op.create_table(
        "consent_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("audience", sa.String(64), nullable=False),
        sa.Column("email", sa.String(EMAIL), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("seen_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_consent_events_run_id", "consent_events", ["run_id"])
    op.drop_index("ix_survey_invitations_email", "survey_invitations")
    op.drop_table("survey_invitations")
    op.create_table(
        "survey_invitations",
        sa.Column("survey", sa.String(NAME), primary_key=True),
        sa.Column("email", sa.String(EMAIL), primary_key=True),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("list_name", sa.String(NAME), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("planned_at", sa.BigInteger, nullable=False),
        sa.Column("sent_at", sa.BigInteger, nullable=True),
        sa.Column("collector_id", sa.String(64), nullable=True),
        sa.Column("message_id", sa.String(64), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
    )
    op.create_index("ix_survey_invitations_email", "survey_invitations", ["email", "sent_at"])
    op.create_index("ix_survey_invitations_state", "survey_invitations", ["state", "survey"])
    op.create_table(
        "csv_exports",
        sa.Column("list_name", sa.String(NAME), primary_key=True),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("written_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in ("csv_exports", "consent_events", "mailchimp_wanted", "dirty_profiles"):
        op.drop_table(table)
    op.drop_table("survey_invitations")
    op.create_table(
        "survey_invitations",
        sa.Column("survey", sa.String(NAME), primary_key=True),
        sa.Column("email", sa.String(EMAIL), primary_key=True),
        sa.Column("sent_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_survey_invitations_email", "survey_invitations", ["email", "sent_at"])
    op.drop_table("mailchimp_members")
    op.create_table(
        "mailchimp_members",
        sa.Column("audience", sa.String(64), primary_key=True),
        sa.Column("email", sa.String(EMAIL), primary_key=True),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("merge_hash", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=True),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
