"""Realistic changes made in Mailchimp behind the sync's back, for `/_sandbox/mutate`."""

from __future__ import annotations

import dataclasses
import random

from sandbox.mailchimp.account import Account
from sandbox.mailchimp.audience import Audience
from sandbox.mailchimp.member_input import MemberInput
from sandbox.mailchimp.model import (
    CLEANED,
    PENDING,
    SUBSCRIBED,
    UNSUBSCRIBED,
    Member,
    subscriber_hash,
)
from sandbox.mailchimp.writes import Upsert, set_status, upsert
from sandbox.names import LOCALES
from sandbox.service import Json

KINDS = {"mailchimp_unsubscribe": 1.0, "mailchimp_cleaned": 0.3, "mailchimp_signup": 0.5}
_TRIES = 200
_REASONS = ("I no longer want to receive these emails", "The emails are too frequent")


def mutate(account: Account, kind: str, r: random.Random, now: int) -> Json | None:
    audience = next(iter(account.audiences.values()))  # the big retail audience
    if kind == "mailchimp_unsubscribe":
        return _change_status(audience, r, {SUBSCRIBED}, UNSUBSCRIBED, now)
    if kind == "mailchimp_cleaned":
        return _change_status(audience, r, {SUBSCRIBED, PENDING}, CLEANED, now)
    if kind == "mailchimp_signup":
        return _sign_up(account, audience, r, now)
    raise NotImplementedError(kind)


def _change_status(
    audience: Audience, r: random.Random, sources: set[str], target: str, now: int
) -> Json | None:
    """A member now in one of `sources` moves to `target`: they unsubscribed, or bounced."""
    member = _pick(audience, r, sources)
    if member is None:
        return None
    changed = dataclasses.replace(member)
    set_status(changed, target, now)
    if target == UNSUBSCRIBED:
        changed.unsubscribe_reason = r.choice(_REASONS)
    audience.save(changed)
    return _described(audience, changed, member.status)


def _sign_up(account: Account, audience: Audience, r: random.Random, now: int) -> Json | None:
    """Someone who is not a Zendesk customer subscribes through the signup form."""
    for _ in range(_TRIES):
        email = f"signup{r.randrange(10**9)}@example.org"
        if audience.find(subscriber_hash(email)) is None and not audience.is_forgotten(email):
            break
    else:
        return None
    locale = r.choices([loc for loc, _ in LOCALES], weights=[w for _, w in LOCALES])[0]
    names = {"FNAME": r.choice(locale.given)[0], "LNAME": r.choice(locale.family)[0]}
    data = MemberInput(email, status=SUBSCRIBED, merge_fields=names, language=locale.code[:2])
    member, _new = upsert(account, audience, data, Upsert(update_existing=False), now)
    member.source = "Hosted Signup Form"
    return _described(audience, member, None)


def _pick(audience: Audience, r: random.Random, statuses: set[str]) -> Member | None:
    for _ in range(_TRIES):
        ref = r.randrange(audience.ref_count)
        if ref in audience.erased:
            continue
        member = audience.member(ref)
        if member.status in statuses:
            return member
    return None


def _described(audience: Audience, member: Member, old_status: str | None) -> Json:
    return {
        "email": member.email_address,
        "list_id": audience.id,
        "subscriber_hash": member.id,
        "old_status": old_status,
        "new_status": member.status,
    }
