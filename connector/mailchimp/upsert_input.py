"""Checking what the caller asks to upsert before any of it is sent, and cutting it into batches.

A member that cannot be sent (no usable address, merge fields that are not an object of JSON
values, an address already given earlier in the same upsert) becomes a failed outcome that says
why; the others go on in batches.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping

from connector.mailchimp.records import MemberOutcome, MemberUpdate, email_key

INVALID_INPUT = "INVALID_INPUT"
DUPLICATE_INPUT = "DUPLICATE_INPUT"

Prepared = MemberOutcome | list[MemberUpdate]


def prepared(members: Iterable[MemberUpdate], batch_size: int) -> Iterator[Prepared]:
    """Failed outcomes for the members that cannot be sent, and batches of the others, in order.

    Addresses are trimmed; the first of several entries for one address (in any letter case) is
    sent and the others fail as duplicates. Holds one batch, and the set of addresses seen.
    """
    seen: dict[str, str] = {}
    batch: list[MemberUpdate] = []
    for n, member in enumerate(members):
        if not isinstance(member, MemberUpdate):
            raise TypeError(
                f"upsert takes MemberUpdate records; item {n} is a {type(member).__name__}"
            )
        problem = _problem(member)
        if problem is not None:
            yield problem
            continue
        email = member.email.strip()
        first = seen.get(email_key(email))
        if first is not None:
            yield MemberOutcome(
                email=email,
                action="failed",
                error_code=DUPLICATE_INPUT,
                message=f"given more than once in this upsert (first as {first}); "
                "only the first entry was sent",
                field="email_address",
            )
            continue
        seen[email_key(email)] = email
        batch.append(MemberUpdate(email, member.merge_fields, member.exists))
        if len(batch) == batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def _problem(member: MemberUpdate) -> MemberOutcome | None:
    email = member.email
    if not isinstance(email, str) or not _looks_like_email(email.strip()):
        return _invalid(str(email), "email_address", "not an email address")
    merge_fields = member.merge_fields
    if not isinstance(merge_fields, Mapping) or not all(
        isinstance(tag, str) and tag for tag in merge_fields
    ):
        return _invalid(email, "merge_fields", "merge fields must map merge tags to values")
    try:
        json.dumps(dict(merge_fields))
    except (TypeError, ValueError) as error:
        return _invalid(email, "merge_fields", f"a merge field value is not JSON: {error}")
    return None


def _looks_like_email(text: str) -> bool:
    local, at, domain = text.rpartition("@")
    return bool(at and local and domain) and not any(c.isspace() for c in text)


def _invalid(email: str, field: str, message: str) -> MemberOutcome:
    return MemberOutcome(
        email=email.strip(),
        action="failed",
        error_code=INVALID_INPUT,
        message=message,
        field=field,
    )
