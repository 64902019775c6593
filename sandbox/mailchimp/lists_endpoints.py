"""Audiences (lists) and their merge fields."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from sandbox.mailchimp.account import AudienceInfo
from sandbox.mailchimp.audience import Audience
from sandbox.mailchimp.endpoints import Endpoints
from sandbox.mailchimp.merge_fields import TYPES, new_merge_field
from sandbox.mailchimp.model import ARCHIVED, CLEANED, SUBSCRIBED, UNSUBSCRIBED, subscriber_hash
from sandbox.mailchimp.params import choice, flag, paging
from sandbox.mailchimp.problems import not_found
from sandbox.mailchimp.render import collection_links, iso, link, merge_field_json
from sandbox.service import Json

MAX_AUDIENCES = 100


class ListsEndpoints(Endpoints):
    def on_lists(self, request: Request) -> Response:
        count, offset = paging(request)
        totals = flag(request, "include_total_contacts") or False
        audiences = list(self.account.audiences.values())
        email = request.args.get("email")
        if email:
            audiences = [a for a in audiences if a.find(subscriber_hash(email)) is not None]
        base = self.base(request)
        return self.answer(
            request,
            {
                "lists": [
                    self._list_body(a, base, totals) for a in audiences[offset : offset + count]
                ],
                "total_items": len(audiences),
                "constraints": {
                    "may_create": len(self.account.audiences) < MAX_AUDIENCES,
                    "max_instances": MAX_AUDIENCES,
                    "current_total_instances": len(self.account.audiences),
                },
                "_links": collection_links(f"{base}/lists", base, "Definitions/Lists"),
            },
        )

    def on_list(self, request: Request, list_id: str) -> Response:
        audience = self.account.audience(list_id)
        totals = flag(request, "include_total_contacts") or False
        return self.answer(request, self._list_body(audience, self.base(request), totals))

    def _list_body(self, audience: Audience, base: str, totals: bool) -> Json:
        info: AudienceInfo = self.account.infos[audience.id]
        spec = info.spec
        counts = audience.status_counts()
        href = f"{base}/lists/{audience.id}"
        stats: Json = {
            "member_count": counts[SUBSCRIBED],
            "unsubscribe_count": counts[UNSUBSCRIBED],
            "cleaned_count": counts[CLEANED],
            "member_count_since_send": counts[SUBSCRIBED],
            "unsubscribe_count_since_send": counts[UNSUBSCRIBED],
            "cleaned_count_since_send": counts[CLEANED],
            "campaign_count": 0,
            "campaign_last_sent": "",
            "merge_field_count": len(self.account.merge_fields[audience.id]),
            "avg_sub_rate": 0,
            "avg_unsub_rate": 0,
            "target_sub_rate": 0,
            "open_rate": 0,
            "click_rate": 0,
            "last_sub_date": iso(audience.latest(SUBSCRIBED)),
            "last_unsub_date": iso(audience.latest(UNSUBSCRIBED)),
        }
        if totals:
            stats["total_contacts"] = sum(counts.values()) - counts[ARCHIVED]
        return {
            "id": audience.id,
            "web_id": info.web_id,
            "name": spec.name,
            "contact": {
                "company": spec.company,
                "address1": "1 Sandbox Way",
                "address2": "",
                "city": "Atlanta",
                "state": "GA",
                "zip": "30308",
                "country": "US",
                "phone": "",
            },
            "permission_reminder": "You are receiving this email because you shop with us.",
            "use_archive_bar": False,
            "campaign_defaults": {
                "from_name": spec.company,
                "from_email": spec.from_email,
                "subject": "",
                "language": "en",
            },
            "notify_on_subscribe": "",
            "notify_on_unsubscribe": "",
            "date_created": iso(info.date_created),
            "list_rating": 3,
            "email_type_option": False,
            "subscribe_url_short": f"https://eepurl.com/{audience.id[:6]}",
            "subscribe_url_long": f"https://example.us1.list-manage.com/subscribe?id={audience.id}",
            "beamer_address": f"us1-{audience.id}@inbound.mailchimp.com",
            "visibility": "prv",
            "double_optin": False,
            "has_welcome": False,
            "marketing_permissions": False,
            "modules": [],
            "stats": stats,
            "_links": [
                link("self", href, schema="Definitions/Lists/Response.json"),
                link("parent", f"{base}/lists"),
                link("members", f"{href}/members"),
                link("segments", f"{href}/segments"),
                link("merge-fields", f"{href}/merge-fields"),
                link("batch-sub-unsub-members", href, "POST", "Definitions/Lists/BatchPOST.json"),
            ],
        }

    # --- merge fields ---------------------------------------------------------------------------

    def on_merge_fields(self, request: Request, list_id: str) -> Response:
        audience = self.account.audience(list_id)
        count, offset = paging(request)
        kind = choice(request, "type", TYPES)
        required = flag(request, "required")
        fields = [
            f
            for f in self.account.merge_fields[audience.id]
            if (kind is None or f.type == kind) and (required is None or f.required == required)
        ]
        base = self.base(request)
        href = f"{base}/lists/{audience.id}/merge-fields"
        return self.answer(
            request,
            {
                "merge_fields": [
                    merge_field_json(f, audience.id, base) for f in fields[offset : offset + count]
                ],
                "list_id": audience.id,
                "total_items": len(fields),
                "_links": collection_links(
                    href, f"{base}/lists/{audience.id}", "Definitions/Lists/MergeFields"
                ),
            },
        )

    def on_merge_field(self, request: Request, list_id: str, merge_id: int) -> Response:
        audience = self.account.audience(list_id)
        for merge_field in self.account.merge_fields[audience.id]:
            if merge_field.merge_id == merge_id:
                return self.answer(
                    request, merge_field_json(merge_field, audience.id, self.base(request))
                )
        not_found(f"audience {audience.id} has no merge field {merge_id}")

    def on_add_merge_field(self, request: Request, list_id: str) -> Response:
        audience = self.account.audience(list_id)
        fields = self.account.merge_fields[audience.id]
        merge_field = new_merge_field(self.json_body(request), fields)
        fields.append(merge_field)
        return self.answer(request, merge_field_json(merge_field, audience.id, self.base(request)))
