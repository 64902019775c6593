"""The state store's tables (SQLAlchemy Core): what one sync leaves for the next.

Times are Unix seconds (integers): conditions evaluate them fastest, and SQLite and PostgreSQL
store them alike. JSON is kept as text (`data`, `payload`, `tags`), normalised by the writer
(sorted keys), so a content hash over it is stable. The migrations in `migrations/versions`
create exactly these tables; a test holds the two to each other.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

EMAIL = 320  # the longest address RFC 5321 allows
NAME = 255

# Incremental export cursors and other resume points, by name ("zendesk.users", ...).
cursors = Table(
    "cursors",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

# One row per Zendesk user: the normalised profile (JSON) and a hash of it; and when time
# alone may next change what the rules and lists make of it (NULL: never), for the evaluation.
profiles = Table(
    "profiles",
    metadata,
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("email", String(EMAIL), nullable=True, index=True),
    Column("status", String(16), nullable=False),  # active | suspended | deleted
    Column("data", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("recheck_at", BigInteger, nullable=True, index=True),
)

# The tickets a profile's ticket facts come from, and that rules write priority/group on.
tickets = Table(
    "tickets",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("requester_id", BigInteger, nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("channel", String(32), nullable=True),
    Column("priority", String(16), nullable=True),
    Column("group_id", BigInteger, nullable=True),
    Column("tags", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

ratings = Table(
    "ratings",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("requester_id", BigInteger, nullable=False, index=True),
    Column("ticket_id", BigInteger, nullable=True),
    Column("score", String(32), nullable=False),
    Column("comment_present", Boolean, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

# The last evaluated memberships; `group_name` is "" for an ungrouped list.
memberships = Table(
    "memberships",
    metadata,
    Column("list_name", String(NAME), primary_key=True),
    Column("group_name", String(NAME), primary_key=True),
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("since", BigInteger, nullable=False),
    Index("ix_memberships_user", "user_id"),
)

# A hash of each list's definition, so that a changed list is re-evaluated alone.
list_versions = Table(
    "list_versions",
    metadata,
    Column("list_name", String(NAME), primary_key=True),
    Column("definition_hash", String(64), nullable=False),
    Column("evaluated_at", BigInteger, nullable=False),
)

# Users whose profile changed (pulled, or their Mailchimp status moved) since they were last
# evaluated; marked in the transaction that stores the change, cleared with the evaluation's
# results, so a crash in between re-evaluates them.
dirty_profiles = Table(
    "dirty_profiles",
    metadata,
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
)

# What Mailchimp has, per audience id and lower-cased address, as last read or pushed: the tags
# the member wears (JSON list), the values of the merge fields deskbridge manages (JSON object),
# the tags deskbridge itself put on (the only ones it ever takes off), the status, and a
# permanent error that stops retries until the wanted values change.
mailchimp_members = Table(
    "mailchimp_members",
    metadata,
    Column("audience", String(64), primary_key=True),
    Column("email", String(EMAIL), primary_key=True),
    Column("tags", Text, nullable=False),
    Column("merge", Text, nullable=False),
    Column("pushed", Text, nullable=False),
    Column("status", String(16), nullable=True),
    Column("error", Text, nullable=True),
    Column("updated_at", BigInteger, nullable=False),
    # The values the plan last compared and found needing nothing (jobs.mailchimp_plan.unsettled)
    Column("settled", Text, nullable=True),
)

# What the lists want Mailchimp to have, per audience id and address: the tags (JSON list) and
# merge field values (JSON object) of every (sub-)list the customer is in there.
mailchimp_wanted = Table(
    "mailchimp_wanted",
    metadata,
    Column("audience", String(64), primary_key=True),
    Column("email", String(EMAIL), primary_key=True),
    Column("user_id", BigInteger, nullable=False, index=True),
    Column("tags", Text, nullable=False),
    Column("merge", Text, nullable=False),
    Column("status_if_new", String(16), nullable=False),
)

# The Mailchimp plan's diffs that need a call, per audience id and address (JSON, see
# jobs.mailchimp_plan.planned): written by the plan, read by the apply, cleared after it.
mailchimp_planned = Table(
    "mailchimp_planned",
    metadata,
    Column("audience", String(64), primary_key=True),
    Column("email", String(EMAIL), primary_key=True),
    Column("diff", Text, nullable=False),
)

# Customers deleted in Zendesk, to archive or erase ([mailchimp] deleted_users) in each managed
# audience: planned by the evaluation, done (`done_at`) once Mailchimp no longer holds them.
mailchimp_erasures = Table(
    "mailchimp_erasures",
    metadata,
    Column("audience", String(64), primary_key=True),
    Column("email", String(EMAIL), primary_key=True),
    Column("user_id", BigInteger, nullable=False, index=True),
    Column("action", String(16), nullable=False),  # archive | erase
    Column("planned_at", BigInteger, nullable=False),
    Column("done_at", BigInteger, nullable=True),
)

# Consent changes read back from Mailchimp (unsubscribed, cleaned), per run.
consent_events = Table(
    "consent_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("runs.id"), nullable=False, index=True),
    Column("audience", String(64), nullable=False),
    Column("email", String(EMAIL), nullable=False),
    Column("status", String(16), nullable=False),
    Column("seen_at", BigInteger, nullable=False),
)

# Survey invitations: at most one per person and survey (the key), planned when the customer
# joins the list, then sending (with the message it went on), sent, skipped (fatigue), failed
# (retried) or permanent (an address SurveyMonkey refuses). The fatigue limit reads `sent_at`.
survey_invitations = Table(
    "survey_invitations",
    metadata,
    Column("survey", String(NAME), primary_key=True),
    Column("email", String(EMAIL), primary_key=True),
    Column("user_id", BigInteger, nullable=False),
    Column("list_name", String(NAME), nullable=False),
    Column("state", String(16), nullable=False),
    Column("planned_at", BigInteger, nullable=False),
    Column("sent_at", BigInteger, nullable=True),
    Column("collector_id", String(64), nullable=True),
    Column("message_id", String(64), nullable=True),
    Column("error", Text, nullable=True),
    Index("ix_survey_invitations_email", "email", "sent_at"),
    Index("ix_survey_invitations_state", "state", "survey"),
)

# The CSV files written: what was in them, so an unchanged list is not written again.
csv_exports = Table(
    "csv_exports",
    metadata,
    Column("list_name", String(NAME), primary_key=True),
    Column("path", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("written_at", BigInteger, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", BigInteger, nullable=False),
    Column("finished_at", BigInteger, nullable=True),
    # running | succeeded | partial | stopped | failed
    Column("status", String(16), nullable=False),
    Column("dry_run", Boolean, nullable=False),
    Column("full", Boolean, nullable=False),
    Column("counts", Text, nullable=False),
)

# Planned writes: recorded before they are sent, marked when done, so a crash between planning
# and writing neither loses nor repeats one.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("runs.id"), nullable=False),
    Column("destination", String(32), nullable=False),  # zendesk | mailchimp | surveymonkey | csv
    Column("operation", String(32), nullable=False),
    Column("record", String(512), nullable=False),
    Column("payload", Text, nullable=False),
    Column("state", String(16), nullable=False),  # planned | done | failed | permanent
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_outbox_state", "state", "destination"),
)

# Records set aside in a run, each with its reason.
run_errors = Table(
    "run_errors",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("runs.id"), nullable=False, index=True),
    Column("stage", String(32), nullable=False),  # pull | rules | lists | plan | apply
    Column("record", String(512), nullable=False),
    Column("message", Text, nullable=False),
    Column("permanent", Boolean, nullable=False),
)
