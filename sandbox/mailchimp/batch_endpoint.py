"""`POST /lists/{list_id}`: subscribe, unsubscribe or update up to 500 members in one call.

It answers 200 even when members are refused: each refusal is one entry of `errors[]`, and the
other members are still written. A body that is not the right shape is a 400 for the whole call.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from sandbox.mailchimp.endpoints import Endpoints
from sandbox.mailchimp.member_input import MemberInput, parse_member
from sandbox.mailchimp.model import subscriber_hash
from sandbox.mailchimp.params import flag
from sandbox.mailchimp.problems import BLANK, FieldError, invalid, json_type
from sandbox.mailchimp.render import link
from sandbox.mailchimp.writes import GENERIC, Refused, Upsert, upsert
from sandbox.service import Json

MAX_BATCH = 500


class BatchEndpoint(Endpoints):
    def on_batch_members(self, request: Request, list_id: str) -> Response:
        audience = self.account.audience(list_id)
        body = self.body_object(request)
        inputs = _parse_batch(body)
        how = Upsert(
            update_existing=body.get("update_existing", False),
            sync_tags=body.get("sync_tags", False),
            skip_merge_validation=bool(flag(request, "skip_merge_validation")),
            batch=True,
        )
        skip_duplicates = bool(flag(request, "skip_duplicate_check"))
        base, now = self.base(request), self.now()
        created: list[Json] = []
        updated: list[Json] = []
        errors: list[Json] = []
        seen: set[str] = set()
        for data in inputs:
            key = subscriber_hash(data.email_address.strip())
            if key in seen:
                if not skip_duplicates:
                    errors.append(_duplicate(data.email_address))
                continue
            seen.add(key)
            try:
                member, is_new = upsert(self.account, audience, data, how, now)
            except Refused as refused:
                errors.append(_error_entry(data.email_address, refused))
                continue
            (created if is_new else updated).append(self.member_body(audience, member, base))
        href = f"{base}/lists/{audience.id}"
        return self.answer(
            request,
            {
                "new_members": created,
                "updated_members": updated,
                "errors": errors,
                "total_created": len(created),
                "total_updated": len(updated),
                "error_count": len(errors),
                "_links": [
                    link("parent", href, schema="Definitions/Lists/Response.json"),
                    link(
                        "batch-sub-unsub-members", href, "POST", "Definitions/Lists/BatchPOST.json"
                    ),
                ],
            },
        )


def _parse_batch(body: dict[str, Any]) -> list[MemberInput]:
    """The members of a batch body, or a 400 naming every field of every member that is wrong."""
    members = body.get("members")
    if members is None:
        invalid([FieldError("members", BLANK)])
    if not isinstance(members, list):
        invalid(
            [FieldError("members", f"Schema describes array, {json_type(members)} found instead")]
        )
    errors: list[FieldError] = []
    if len(members) > MAX_BATCH:
        errors.append(
            FieldError(
                "members",
                f"A batch may hold at most {MAX_BATCH} members; this one has {len(members)}.",
            )
        )
    for name in ("update_existing", "sync_tags"):
        if name in body and not isinstance(body[name], bool):
            errors.append(
                FieldError(name, f"Schema describes boolean, {json_type(body[name])} found instead")
            )
    inputs: list[MemberInput] = []
    for n, entry in enumerate(members):
        data, problems = parse_member(entry, where=f"members[{n}].")
        errors += problems
        if data is not None:
            inputs.append(data)
    if errors:
        invalid(errors)
    return inputs


def _error_entry(email: str, refused: Refused) -> Json:
    return {
        "email_address": email,
        "error": refused.detail,
        "error_code": refused.code,
        "field": ", ".join(e.field for e in refused.errors),
        "field_message": "; ".join(e.message for e in refused.errors),
    }


def _duplicate(email: str) -> Json:
    return {
        "email_address": email,
        "error": f"{email} appears more than once in this batch; only its first entry was used.",
        "error_code": GENERIC,
        "field": "email_address",
        "field_message": "Send each address once, or set skip_duplicate_check=true.",
    }
