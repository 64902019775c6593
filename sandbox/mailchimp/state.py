"""The whole account as `/_sandbox/state` shows it: every audience, field, segment and member."""

from __future__ import annotations

from sandbox.mailchimp.account import Account
from sandbox.mailchimp.audience import Audience, MemberFilter
from sandbox.mailchimp.model import STATUSES, Member
from sandbox.mailchimp.render import iso
from sandbox.service import Json

EVERYONE = MemberFilter(statuses=frozenset(STATUSES))


def account_state(account: Account) -> Json:
    return {"lists": [_audience_state(account, a) for a in account.audiences.values()]}


def _audience_state(account: Account, audience: Audience) -> Json:
    segments = []
    for segment in account.segments[audience.id].values():
        entry: Json = {
            "id": segment.id,
            "name": segment.name,
            "type": segment.type,
            "member_count": account.segment_size(audience.id, segment),
        }
        if segment.is_tag:
            tagged = audience.refs(MemberFilter(statuses=frozenset(STATUSES), tag=segment.id))
            entry["member_emails"] = [audience.member(ref).email_address for ref in tagged]
        segments.append(entry)
    return {
        "id": audience.id,
        "name": audience.spec.name,
        "status_counts": audience.status_counts(),
        "merge_fields": [
            {
                "merge_id": f.merge_id,
                "tag": f.tag,
                "name": f.name,
                "type": f.type,
                "required": f.required,
                "options": f.options,
            }
            for f in account.merge_fields[audience.id]
        ],
        "segments": segments,
        "members": [
            _member_state(account, audience.id, audience.member(ref))
            for ref in audience.refs(EVERYONE)
        ],
        "forgotten": sorted(audience.forgotten),
    }


def _member_state(account: Account, list_id: str, member: Member) -> Json:
    return {
        "id": member.id,
        "email_address": member.email_address,
        "status": member.status,
        "status_before_archive": member.status_before_archive,
        "merge_fields": member.merge_fields,
        "tags": [name for _id, name in account.tags_of(list_id, member)],
        "vip": member.vip,
        "timestamp_signup": iso(member.timestamp_signup),
        "timestamp_opt": iso(member.timestamp_opt),
        "last_changed": iso(member.last_changed),
    }
