"""Mailchimp Marketing API 3.0, on mailchimp-marketing: see `connector.py` for the entry point."""

from connector.mailchimp.audiences import AmbiguousAudience
from connector.mailchimp.connector import AudienceNotFound, MailchimpConnector
from connector.mailchimp.members import CLOCK_MARGIN, PAGE_SIZE, MemberWalk, PaginationLoop
from connector.mailchimp.merge_fields import MergeFieldTypeMismatch
from connector.mailchimp.records import (
    Audience,
    AudienceRef,
    EmailProblem,
    Member,
    MemberOutcome,
    MemberPage,
    MemberUpdate,
    MergeField,
    MergeFieldsResult,
    RemovalOutcome,
    Tag,
    TagResult,
    UpsertResult,
    subscriber_hash,
)
from connector.mailchimp.transport import MAX_CONNECTIONS, data_centre, default_base_url
from connector.mailchimp.upsert import BATCH_SIZE

__all__ = [
    "BATCH_SIZE",
    "CLOCK_MARGIN",
    "MAX_CONNECTIONS",
    "PAGE_SIZE",
    "AmbiguousAudience",
    "Audience",
    "AudienceNotFound",
    "AudienceRef",
    "EmailProblem",
    "MailchimpConnector",
    "Member",
    "MemberOutcome",
    "MemberPage",
    "MemberUpdate",
    "MemberWalk",
    "MergeField",
    "MergeFieldTypeMismatch",
    "MergeFieldsResult",
    "PaginationLoop",
    "RemovalOutcome",
    "Tag",
    "TagResult",
    "UpsertResult",
    "data_centre",
    "default_base_url",
    "subscriber_hash",
]
