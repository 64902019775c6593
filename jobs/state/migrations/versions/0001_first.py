"""The first schema: cursors, profiles, tickets, ratings, memberships, ledgers, outbox, runs.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

EMAIL = 320
NAME = 255


def upgrade() -> None:
    op.create_table(
        "cursors",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "profiles",
        sa.Column("user_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("email", sa.String(EMAIL), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_profiles_email", "profiles", ["email"])
    op.create_table(
        "tickets",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("requester_id", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(32), nullable=True),
        sa.Column("priority", sa.String(16), nullable=True),
        sa.Column("group_id", sa.BigInteger, nullable=True),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_tickets_requester_id", "tickets", ["requester_id"])
    op.create_table(
        "ratings",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("requester_id", sa.BigInteger, nullable=False),
        sa.Column("ticket_id", sa.BigInteger, nullable=True),
        sa.Column("score", sa.String(32), nullable=False),
        sa.Column("comment_present", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_ratings_requester_id", "ratings", ["requester_id"])
    op.create_table(
        "memberships",
        sa.Column("list_name", sa.String(NAME), primary_key=True),
        sa.Column("group_name", sa.String(NAME), primary_key=True),
        sa.Column("user_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("since", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_memberships_user", "memberships", ["user_id"])
    op.create_table(
        "list_versions",
        sa.Column("list_name", sa.String(NAME), primary_key=True),
        sa.Column("definition_hash", sa.String(64), nullable=False),
        sa.Column("evaluated_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "mailchimp_members",
        sa.Column("audience", sa.String(64), primary_key=True),
        sa.Column("email", sa.String(EMAIL), primary_key=True),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("merge_hash", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=True),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "survey_invitations",
        sa.Column("survey", sa.String(NAME), primary_key=True),
        sa.Column("email", sa.String(EMAIL), primary_key=True),
        sa.Column("sent_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_survey_invitations_email", "survey_invitations", ["email", "sent_at"])
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("started_at", sa.BigInteger, nullable=False),
        sa.Column("finished_at", sa.BigInteger, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("dry_run", sa.Boolean, nullable=False),
        sa.Column("full", sa.Boolean, nullable=False),
        sa.Column("counts", sa.Text, nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("destination", sa.String(32), nullable=False),
        sa.Column("operation", sa.String(32), nullable=False),
        sa.Column("record", sa.String(512), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_outbox_state", "outbox", ["state", "destination"])
    op.create_table(
        "run_errors",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("record", sa.String(512), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("permanent", sa.Boolean, nullable=False),
    )
    op.create_index("ix_run_errors_run_id", "run_errors", ["run_id"])


def downgrade() -> None:
    for table in (
        "run_errors",
        "outbox",
        "runs",
        "survey_invitations",
        "mailchimp_members",
        "list_versions",
        "memberships",
        "ratings",
        "tickets",
        "profiles",
        "cursors",
    ):
        op.drop_table(table)
