"""Adding and updating members, with Mailchimp's consent rules. Shared by every write endpoint.

A write that Mailchimp refuses raises `Refused`; single-member endpoints answer it as a 400, the
batch endpoint lists it in `errors[]` and carries on with the next member.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from sandbox.mailchimp.account import Account
from sandbox.mailchimp.audience import Audience
from sandbox.mailchimp.member_input import MemberInput, looks_like_email
from sandbox.mailchimp.merge_fields import check_values
from sandbox.mailchimp.model import (
    ARCHIVED,
    PENDING,
    SUBSCRIBED,
    UNSUBSCRIBED,
    Member,
    may_become,
    subscriber_hash,
)
from sandbox.mailchimp.problems import (
    BAD_EMAIL,
    BLANK,
    COMPLIANCE,
    FORGOTTEN,
    INVALID_RESOURCE,
    MEMBER_EXISTS,
    MERGE_FIELDS_INVALID,
    FieldError,
    compliance_detail,
    exists_detail,
    exists_in_batch,
    forgotten_detail,
)
from sandbox.seeded import rng

CONTACT_EXISTS, GENERIC = "ERROR_CONTACT_EXISTS", "ERROR_GENERIC"
UNSUBSCRIBED_VIA_API = "N/A (Unsubscribed through the API)"


@dataclass
class Refused(Exception):
    title: str
    detail: str
    errors: list[FieldError] = field(default_factory=list)
    code: str = GENERIC


@dataclass(frozen=True)
class Upsert:
    """How a write treats the member it names."""

    # False: an existing member is an error ("Member Exists"). True: it is updated, and a given
    # `status` is applied to it too (the batch endpoint's pitfall; PUT's `status_if_new` is not).
    update_existing: bool
    new_status_field: str = "status"  # the field that must say what a new member's status is
    sync_tags: bool = False
    skip_merge_validation: bool = False
    batch: bool = False  # words "already a member" the way the batch endpoint does


def upsert(
    account: Account, audience: Audience, data: MemberInput, how: Upsert, now: int
) -> tuple[Member, bool]:
    """Add or update the member `data` names; the member, and whether it is new to the list."""
    email = data.email_address.strip()
    if not looks_like_email(email):
        raise Refused(INVALID_RESOURCE, BAD_EMAIL, [FieldError("email_address", BAD_EMAIL)])
    ref = audience.find(subscriber_hash(email))
    if ref is None:
        if audience.is_forgotten(email):
            raise Refused(FORGOTTEN, forgotten_detail(email))
        return _add(account, audience, email, data, how, now), True
    member = audience.member(ref)
    if member.status == ARCHIVED:
        return _restore(account, audience, member, data, how, now), True
    if not how.update_existing:
        detail = exists_in_batch(email) if how.batch else exists_detail(email)
        raise Refused(MEMBER_EXISTS, detail, code=CONTACT_EXISTS)
    _check_consent(member, data.status)
    _check_merge_fields(account, audience, data, how, new_member=False)
    changed = _apply(account, audience, dataclasses.replace(member), data, data.status, how, now)
    if changed != member:
        audience.save(changed)
    return changed, False


def _add(
    account: Account, audience: Audience, email: str, data: MemberInput, how: Upsert, now: int
) -> Member:
    status = data.status or data.status_if_new
    if status is None:
        raise Refused(INVALID_RESOURCE, BLANK, [FieldError(how.new_status_field, BLANK)])
    _check_merge_fields(account, audience, data, how, new_member=True)
    seed = account.population.seeding.seed
    r = rng(seed, f"mailchimp-new-{audience.id}", int(subscriber_hash(email)[:15], 16))
    member = Member(
        ref=audience.new_ref(email),
        email_address=email,
        status=status,
        merge_fields={},
        tags=set(),
        timestamp_signup=data.timestamp_signup or now,
        timestamp_opt=None,
        last_changed=now,
        unique_email_id=f"{r.getrandbits(40):010x}",
        contact_id=f"{r.getrandbits(128):032x}",
        web_id=r.randrange(10**8, 10**9),
    )
    _set_status(member, status, now)
    if data.timestamp_opt is not None and member.timestamp_opt is not None:
        member.timestamp_opt = data.timestamp_opt
    member = _apply(account, audience, member, data, None, how, now)
    member.last_changed = now
    audience.save(member)
    return member


def _restore(
    account: Account, audience: Audience, member: Member, data: MemberInput, how: Upsert, now: int
) -> Member:
    """Bring back an archived member: it keeps the consent state it had before."""
    status = data.status or data.status_if_new
    if status is None:
        raise Refused(INVALID_RESOURCE, BLANK, [FieldError(how.new_status_field, BLANK)])
    _check_consent(member, status)
    _check_merge_fields(account, audience, data, how, new_member=False)
    restored = dataclasses.replace(
        member, status=member.compliance_status, status_before_archive=None
    )
    restored = _apply(account, audience, restored, data, status, how, now)
    restored.last_changed = now
    audience.save(restored)
    return restored


def _check_consent(member: Member, wanted: str | None) -> None:
    if wanted is not None and not may_become(member.compliance_status, wanted):
        raise Refused(
            COMPLIANCE,
            compliance_detail(member.email_address),
            [FieldError("status", f"A {member.compliance_status} member cannot become {wanted}.")],
        )


def _check_merge_fields(
    account: Account, audience: Audience, data: MemberInput, how: Upsert, *, new_member: bool
) -> None:
    errors = check_values(
        data.merge_fields,
        account.merge_fields[audience.id],
        new_member=new_member,
        skip_required=how.skip_merge_validation,
        where="merge_fields",
    )
    if errors:
        raise Refused(INVALID_RESOURCE, MERGE_FIELDS_INVALID, errors)


def _apply(
    account: Account,
    audience: Audience,
    member: Member,
    data: MemberInput,
    status: str | None,
    how: Upsert,
    now: int,
) -> Member:
    """`member` (a copy, or a new one) with what `data` says; `last_changed` moves if it changed."""
    before = dataclasses.replace(member)
    if status is not None and status != member.status:
        _set_status(member, status, now)
    if data.merge_fields:
        member.merge_fields = {**member.merge_fields, **data.merge_fields}
    for name in ("email_type", "language", "vip", "ip_signup", "ip_opt"):
        value = getattr(data, name)
        if value is not None:
            setattr(member, name, value)
    if data.tags is not None or how.sync_tags:
        ids = {account.tag_named(audience.id, name, now).id for name in data.tags or []}
        tags = ids if how.sync_tags else member.tags | ids
        account.touch_segments(audience.id, tags ^ member.tags, now)
        member.tags = tags
    if member != before:
        member.last_changed = now
    return member


def set_status(member: Member, status: str, now: int) -> None:
    """Move `member` to `status` (already allowed by the consent rules) as of `now`."""
    _set_status(member, status, now)
    member.last_changed = now


def _set_status(member: Member, status: str, now: int) -> None:
    member.status = status
    if status == SUBSCRIBED:
        member.timestamp_opt = now
    elif status == PENDING:
        member.timestamp_opt = None
    if status == UNSUBSCRIBED:
        member.unsubscribe_reason = member.unsubscribe_reason or UNSUBSCRIBED_VIA_API
