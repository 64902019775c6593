"""What a Mailchimp audience holds: members, their statuses and the consent rules between them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

SUBSCRIBED, UNSUBSCRIBED, CLEANED, PENDING, TRANSACTIONAL, ARCHIVED = (
    "subscribed",
    "unsubscribed",
    "cleaned",
    "pending",
    "transactional",
    "archived",
)
# The statuses a member can be given; "archived" is what DELETE makes of one.
WRITABLE_STATUSES = (SUBSCRIBED, UNSUBSCRIBED, CLEANED, PENDING, TRANSACTIONAL)
STATUSES = (*WRITABLE_STATUSES, ARCHIVED)
STATUS_CODES = {name: code for code, name in enumerate(STATUSES)}

# The statuses an unsubscribed or cleaned address may not be moved to: both would mail someone
# who asked not to be mailed, or whose address bounced. Re-confirming an unsubscribed address
# (pending sends a double opt-in email) is the one way back that Mailchimp allows.
_BLOCKED_FROM = {
    UNSUBSCRIBED: frozenset({SUBSCRIBED, TRANSACTIONAL}),
    CLEANED: frozenset({SUBSCRIBED, PENDING, TRANSACTIONAL}),
}


def subscriber_hash(email: str) -> str:
    """Mailchimp's member id: the MD5 of the lower-cased address."""
    return hashlib.md5(email.lower().encode(), usedforsecurity=False).hexdigest()


def hash_prefix(hex_hash: str) -> int:
    """The first 64 bits of a subscriber hash, the key of the seeded members' lookup index."""
    return int(hex_hash[:16], 16)


def may_become(compliance_status: str, wanted: str) -> bool:
    """Whether a member whose consent state is `compliance_status` may be given `wanted`."""
    return wanted not in _BLOCKED_FROM.get(compliance_status, frozenset())


@dataclass
class Location:
    latitude: float = 0.0
    longitude: float = 0.0
    gmtoff: int = 0
    dstoff: int = 0
    country_code: str = ""
    timezone: str = ""
    region: str = ""


@dataclass
class Member:
    """One member of one audience, as it is now."""

    ref: int  # its place in the audience's order
    email_address: str
    status: str
    merge_fields: dict[str, Any]
    tags: set[int]  # ids of the static segments (tags) it carries
    timestamp_signup: int | None
    timestamp_opt: int | None
    last_changed: int
    unique_email_id: str
    contact_id: str
    web_id: int
    email_type: str = "html"
    language: str = ""
    vip: bool = False
    ip_signup: str = ""
    ip_opt: str = ""
    source: str = "API - Generic"
    unsubscribe_reason: str = ""
    member_rating: int = 2
    avg_open_rate: float = 0.0
    avg_click_rate: float = 0.0
    location: Location = field(default_factory=Location)
    status_before_archive: str | None = None

    @property
    def id(self) -> str:
        return subscriber_hash(self.email_address)

    @property
    def compliance_status(self) -> str:
        """The consent state that rules what it may become: an archived member keeps its own."""
        return self.status_before_archive or self.status

    @property
    def full_name(self) -> str:
        names = (self.merge_fields.get("FNAME"), self.merge_fields.get("LNAME"))
        return " ".join(str(name) for name in names if name)


@dataclass
class Segment:
    """A segment of an audience. A static one is what the app calls a tag."""

    id: int
    name: str
    type: str  # "static" or "saved"
    created_at: int
    updated_at: int
    conditions: list[dict[str, Any]] = field(default_factory=list)
    # For the seeded saved segment: subscribed members who opted in within this many seconds.
    opted_within: int | None = None

    @property
    def is_tag(self) -> bool:
        return self.type == "static"
