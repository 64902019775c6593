"""What every group of Mailchimp endpoints shares: the account, the clock, bodies and members."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from werkzeug.wrappers import Request, Response

from sandbox.mailchimp.account import Account
from sandbox.mailchimp.audience import Audience
from sandbox.mailchimp.model import Member, subscriber_hash
from sandbox.mailchimp.params import field_lists
from sandbox.mailchimp.problems import FieldError, fail, invalid, json_type, not_found
from sandbox.mailchimp.render import member_json, project, with_tags
from sandbox.service import Json, World, json_response

_HEX_HASH = re.compile(r"^[0-9a-fA-F]{32}$")


class Endpoints:
    world: World
    account: Account

    def now(self) -> int:
        return int(self.world.clock.now())

    @staticmethod
    def base(request: Request) -> str:
        """Where this API is served, for the `_links` of what it answers."""
        return request.host_url.rstrip("/") + "/3.0"

    def json_body(self, request: Request) -> Any:
        try:
            return json.loads(request.get_data(as_text=True) or "null")
        except json.JSONDecodeError as error:
            fail(
                400,
                "JSON Parse Exception",
                f"We encountered an unspecified JSON parsing error: {error}.",
            )

    def body_object(self, request: Request) -> dict[str, Any]:
        body = self.json_body(request)
        if not isinstance(body, dict):
            invalid([FieldError("", f"Schema describes object, {json_type(body)} found instead")])
        return body

    @staticmethod
    def answer(request: Request, body: Json) -> Response:
        """200 with `body`, cut down to the request's `fields` and `exclude_fields`."""
        fields, exclude = field_lists(request)
        return json_response(project(body, fields, exclude))

    # --- members --------------------------------------------------------------------------------

    @staticmethod
    def hash_in_path(key: str) -> str:
        """The subscriber hash a path names: the hash, or (Mailchimp allows it) the address."""
        if "@" in key:
            return subscriber_hash(key)
        if not _HEX_HASH.match(key):
            not_found(f"{key!r} is neither a subscriber hash nor an email address")
        return key.lower()

    def member_at(self, audience: Audience, key: str) -> Member:
        """The member the path names, archived ones included; 404 when there is none."""
        ref = audience.find(self.hash_in_path(key))
        if ref is None:
            not_found(f"audience {audience.id} has no member {key}")
        return audience.member(ref)

    def member_page(
        self, audience: Audience, refs: Sequence[int], offset: int, count: int, base: str
    ) -> list[Json]:
        """The members at `refs[offset : offset + count]`, as the API shows them."""
        return [
            self.member_body(audience, audience.member(ref), base)
            for ref in refs[offset : offset + count]
        ]

    def member_body(self, audience: Audience, member: Member, base: str) -> Json:
        body = member_json(member, audience.id, base)
        # Every merge field of the audience is there, "" where the member has no value.
        values = member.merge_fields
        fields = self.account.merge_fields[audience.id]
        body["merge_fields"] = {f.tag: values.get(f.tag, "") for f in fields}
        return with_tags(body, self.account.tags_of(audience.id, member))
