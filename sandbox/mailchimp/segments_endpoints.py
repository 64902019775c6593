"""Segments: static ones are the app's tags; the seeded audience also has one saved segment."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from sandbox.mailchimp.account import SEGMENT_STATUSES
from sandbox.mailchimp.audience import Audience
from sandbox.mailchimp.endpoints import Endpoints
from sandbox.mailchimp.member_input import looks_like_email
from sandbox.mailchimp.model import CLEANED, TRANSACTIONAL, UNSUBSCRIBED, Segment, subscriber_hash
from sandbox.mailchimp.params import choice, flag, paging, refuse_unemulated, shown
from sandbox.mailchimp.problems import BLANK, FieldError, invalid, invalid_field, json_type
from sandbox.mailchimp.render import collection_links, link, segment_json
from sandbox.service import Json

MAX_SEGMENT_BATCH = 500
SEGMENT_TYPES = ("saved", "static", "fuzzy")
NOT_ON_LIST = "These email addresses are not members of this audience."
UNEMULATED_SEGMENT_FILTERS = (
    "since_created_at",
    "before_created_at",
    "since_updated_at",
    "before_updated_at",
)


class SegmentsEndpoints(Endpoints):
    def on_segments(self, request: Request, list_id: str) -> Response:
        audience = self.account.audience(list_id)
        count, offset = paging(request)
        refuse_unemulated(request, UNEMULATED_SEGMENT_FILTERS)
        kind = choice(request, "type", SEGMENT_TYPES)
        statuses = _statuses(request)
        segments = [
            s for s in self.account.segments[audience.id].values() if kind in (None, s.type)
        ]
        base = self.base(request)
        href = f"{base}/lists/{audience.id}/segments"
        counted = shown(request, "segments.member_count")  # a count scans the audience
        return self.answer(
            request,
            {
                "segments": [
                    self._segment_body(audience, s, base, statuses, counted)
                    for s in segments[offset : offset + count]
                ],
                "list_id": audience.id,
                "total_items": len(segments),
                "_links": collection_links(
                    href, f"{base}/lists/{audience.id}", "Definitions/Lists/Segments"
                ),
            },
        )

    def on_segment(self, request: Request, list_id: str, segment_id: int) -> Response:
        audience = self.account.audience(list_id)
        segment = self.account.segment(list_id, segment_id)
        body = self._segment_body(audience, segment, self.base(request), _statuses(request))
        return self.answer(request, body)

    def on_create_segment(self, request: Request, list_id: str) -> Response:
        audience = self.account.audience(list_id)
        body = self.body_object(request)
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            invalid_field("name", BLANK)
        if "options" in body:
            invalid_field(
                "options",
                "the sandbox emulates static segments (tags) only: send static_segment, "
                "not options with conditions.",
            )
        emails = _addresses(body, "static_segment", limit=None)
        name = name.strip()
        if any(s.name.lower() == name.lower() for s in self.account.segments[audience.id].values()):
            invalid_field(
                "name", f'A segment or tag named "{name}" already exists in this audience.'
            )
        now = self.now()
        segment = self.account.new_segment(audience.id, name, now)
        for email in emails:
            ref = audience.find(subscriber_hash(email)) if looks_like_email(email) else None
            if ref is not None:
                self.account.retag(audience, audience.member(ref), now, add={segment.id})
        return self.answer(
            request, self._segment_body(audience, segment, self.base(request), SEGMENT_STATUSES)
        )

    def on_segment_batch(self, request: Request, list_id: str, segment_id: int) -> Response:
        audience = self.account.audience(list_id)
        segment = self.account.segment(list_id, segment_id)
        if not segment.is_tag:
            invalid_field(
                "segment_id",
                f"segment {segment.id} is a saved segment: only static ones take members.",
            )
        body = self.body_object(request)
        to_add = _addresses(body, "members_to_add", MAX_SEGMENT_BATCH)
        to_remove = _addresses(body, "members_to_remove", MAX_SEGMENT_BATCH)
        base, now = self.base(request), self.now()
        added, add_strangers = self._retag(audience, segment, to_add, True, now, base)
        removed, remove_strangers = self._retag(audience, segment, to_remove, False, now, base)
        errors: list[Json] = []
        strangers = add_strangers + [e for e in remove_strangers if e not in add_strangers]
        if strangers:
            errors.append({"email_addresses": strangers, "error": NOT_ON_LIST})
        href = f"{base}/lists/{audience.id}/segments/{segment.id}"
        return self.answer(
            request,
            {
                "members_added": added,
                "members_removed": removed,
                "errors": errors,
                "total_added": len(added),
                "total_removed": len(removed),
                "error_count": len(strangers),
                "_links": [
                    link("parent", href, schema="Definitions/Lists/Segments/Response.json"),
                    link("self", href, "POST", "Definitions/Lists/Segments/BatchPOST.json"),
                ],
            },
        )

    def on_segment_members(self, request: Request, list_id: str, segment_id: int) -> Response:
        audience = self.account.audience(list_id)
        segment = self.account.segment(list_id, segment_id)
        count, offset = paging(request)
        refs = audience.refs(self.account.segment_filter(list_id, segment, _statuses(request)))
        base = self.base(request)
        href = f"{base}/lists/{audience.id}/segments/{segment.id}/members"
        members = self.member_page(audience, refs, offset, count, base)
        return self.answer(
            request,
            {
                "members": members,
                "total_items": len(refs),
                "_links": collection_links(
                    href,
                    f"{base}/lists/{audience.id}/segments/{segment.id}",
                    "Definitions/Lists/Segments/Members",
                ),
            },
        )

    # --- helpers --------------------------------------------------------------------------------

    def _segment_body(
        self,
        audience: Audience,
        segment: Segment,
        base: str,
        statuses: frozenset[str],
        counted: bool = True,
    ) -> Json:
        wanted = self.account.segment_filter(audience.id, segment, statuses)
        size = len(audience.refs(wanted)) if counted else 0  # 0 is cut from the answer
        return segment_json(segment, audience.id, size, base)

    def _retag(
        self, audience: Audience, segment: Segment, emails: list[str], on: bool, now: int, base: str
    ) -> tuple[list[Json], list[str]]:
        """Put the tag on (or take it off) each address; the members changed, and the strangers."""
        changes: list[Json] = []
        strangers: list[str] = []
        for email in emails:
            ref = audience.find(subscriber_hash(email)) if looks_like_email(email) else None
            if ref is None:
                strangers.append(email)
                continue
            tag = {segment.id}
            member = audience.member(ref)
            changed = self.account.retag(
                audience, member, now, add=tag if on else set(), remove=set() if on else tag
            )
            if changed is not None:
                changes.append(self.member_body(audience, changed, base))
        return changes, strangers


def _statuses(request: Request) -> frozenset[str]:
    """Segments show subscribed and pending members, and the others only when asked."""
    included = {
        status
        for status, name in (
            (CLEANED, "include_cleaned"),
            (TRANSACTIONAL, "include_transactional"),
            (UNSUBSCRIBED, "include_unsubscribed"),
        )
        if flag(request, name)
    }
    return SEGMENT_STATUSES | included


def _addresses(body: dict[str, Any], name: str, limit: int | None) -> list[str]:
    value = body.get(name, [])
    if not isinstance(value, list):
        invalid_field(name, f"Schema describes array, {json_type(value)} found instead")
    errors = [
        FieldError(f"{name}[{n}]", f"Schema describes string, {json_type(item)} found instead")
        for n, item in enumerate(value)
        if not isinstance(item, str)
    ]
    if limit is not None and len(value) > limit:
        errors.append(
            FieldError(name, f"At most {limit} addresses a call; this one has {len(value)}.")
        )
    if errors:
        invalid(errors)
    return [item.strip() for item in value]
