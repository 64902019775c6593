"""One audience's members: listing, reading, adding, updating, tagging, archiving, erasing."""

from __future__ import annotations

import dataclasses

from werkzeug.wrappers import Request, Response

from sandbox.mailchimp.audience import Audience, MemberFilter
from sandbox.mailchimp.endpoints import Endpoints
from sandbox.mailchimp.member_input import MemberInput, parse_member
from sandbox.mailchimp.model import ARCHIVED, STATUSES, subscriber_hash
from sandbox.mailchimp.params import choice, flag, paging, refuse_unemulated, time_param
from sandbox.mailchimp.problems import FieldError, fail, invalid, invalid_field
from sandbox.mailchimp.render import collection_links
from sandbox.mailchimp.writes import Refused, Upsert, upsert

UNEMULATED_MEMBER_FILTERS = (
    "email_type",
    "since_timestamp_opt",
    "before_timestamp_opt",
    "unique_email_id",
    "interest_category_id",
    "interest_ids",
    "interest_match",
    "sort_field",
    "sort_dir",
    "since_last_campaign",
    "unsubscribed_since",
)
TAG_STATUSES = ("active", "inactive")


class MembersEndpoints(Endpoints):
    def on_members(self, request: Request, list_id: str) -> Response:
        audience = self.account.audience(list_id)
        count, offset = paging(request)
        refuse_unemulated(request, UNEMULATED_MEMBER_FILTERS)
        if flag(request, "vip_only"):
            invalid_field("vip_only", "the sandbox does not emulate the vip_only filter.")
        status = choice(request, "status", STATUSES)
        wanted = MemberFilter(
            changed_after=time_param(request, "since_last_changed"),
            changed_before=time_param(request, "before_last_changed"),
        )
        if status is not None:
            wanted = dataclasses.replace(wanted, statuses=frozenset({status}))
        refs = audience.refs(wanted)
        base = self.base(request)
        href = f"{base}/lists/{audience.id}/members"
        members = self.member_page(audience, refs, offset, count, base)
        return self.answer(
            request,
            {
                "members": members,
                "list_id": audience.id,
                "total_items": len(refs),
                "_links": collection_links(
                    href, f"{base}/lists/{audience.id}", "Definitions/Lists/Members"
                ),
            },
        )

    def on_member(self, request: Request, list_id: str, subscriber_hash: str) -> Response:
        audience = self.account.audience(list_id)
        member = self.member_at(audience, subscriber_hash)
        return self.answer(request, self.member_body(audience, member, self.base(request)))

    def on_add_member(self, request: Request, list_id: str) -> Response:
        audience = self.account.audience(list_id)
        data = self._member_input(request)
        how = Upsert(
            update_existing=False,
            skip_merge_validation=bool(flag(request, "skip_merge_validation")),
        )
        return self._write(request, audience, data, how)

    def on_put_member(self, request: Request, list_id: str, subscriber_hash: str) -> Response:
        audience = self.account.audience(list_id)
        data = self._member_input(request)
        in_path = self.hash_in_path(subscriber_hash)
        if _hash_of(data) != in_path:
            invalid_field(
                "email_address",
                f"The subscriber hash in the path ({in_path}) is not the MD5 of the lower-cased "
                f"email_address {data.email_address!r} ({_hash_of(data)}).",
            )
        how = Upsert(
            update_existing=True,
            new_status_field="status_if_new",
            skip_merge_validation=bool(flag(request, "skip_merge_validation")),
        )
        return self._write(request, audience, data, how)

    def on_archive_member(self, request: Request, list_id: str, subscriber_hash: str) -> Response:
        audience = self.account.audience(list_id)
        member = self.member_at(audience, subscriber_hash)
        if member.status != ARCHIVED:
            archived = dataclasses.replace(
                member,
                status=ARCHIVED,
                status_before_archive=member.status,
                last_changed=self.now(),
            )
            audience.save(archived)
        return Response(status=204)

    def on_erase_member(self, request: Request, list_id: str, subscriber_hash: str) -> Response:
        audience = self.account.audience(list_id)
        member = self.member_at(audience, subscriber_hash)
        audience.erase(member.ref)
        return Response(status=204)

    def on_member_tags(self, request: Request, list_id: str, subscriber_hash: str) -> Response:
        audience = self.account.audience(list_id)
        member = self.member_at(audience, subscriber_hash)
        body = self.body_object(request)
        tags = body.get("tags")
        if not isinstance(tags, list):
            invalid_field("tags", "Required fields were not provided: tags (an array).")
        errors = [
            FieldError(f"tags[{n}]", "Each tag is {name, status} with status active or inactive.")
            for n, tag in enumerate(tags)
            if not isinstance(tag, dict)
            or not isinstance(tag.get("name"), str)
            or not tag["name"].strip()
            or tag.get("status") not in TAG_STATUSES
        ]
        if "is_syncing" in body and not isinstance(body["is_syncing"], bool):
            errors.append(FieldError("is_syncing", "is_syncing must be a boolean."))
        if errors:
            invalid(errors)
        now = self.now()
        names = {tag["name"].strip(): tag["status"] == "active" for tag in tags}
        add = {self.account.tag_named(audience.id, n, now).id for n, on in names.items() if on}
        off = {n.lower() for n, on in names.items() if not on}
        remove = {t for t, n in self.account.tags_of(audience.id, member) if n.lower() in off}
        self.account.retag(audience, member, now, add=add, remove=remove)
        return Response(status=204)

    # --- shared by POST and PUT -----------------------------------------------------------------

    def _member_input(self, request: Request) -> MemberInput:
        data, errors = parse_member(self.json_body(request))
        if data is None:
            invalid(errors)
        return data

    def _write(
        self, request: Request, audience: Audience, data: MemberInput, how: Upsert
    ) -> Response:
        try:
            member, _created = upsert(self.account, audience, data, how, self.now())
        except Refused as refused:
            fail(400, refused.title, refused.detail, refused.errors or None)
        return self.answer(request, self.member_body(audience, member, self.base(request)))


def _hash_of(data: MemberInput) -> str:
    return subscriber_hash(data.email_address.strip())
