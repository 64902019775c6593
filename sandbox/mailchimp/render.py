"""The JSON Mailchimp answers with: members, audiences, segments, merge fields, and their links."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sandbox.mailchimp.merge_fields import MergeField
from sandbox.mailchimp.model import UNSUBSCRIBED, Member, Segment
from sandbox.service import Json

SCHEMAS = "https://us1.api.mailchimp.com/schema/3.0"


def iso(timestamp: int | None) -> str:
    """Mailchimp's timestamps: ISO 8601 in UTC with an explicit offset; "" when unset."""
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def link(rel: str, href: str, method: str = "GET", schema: str | None = None) -> Json:
    entry: Json = {"rel": rel, "href": href, "method": method}
    if schema is not None:
        entry["schema" if method in ("POST", "PUT", "PATCH") else "targetSchema"] = (
            f"{SCHEMAS}/{schema}"
        )
    return entry


def collection_links(href: str, parent: str, item_schema: str) -> list[Json]:
    return [
        link("self", href, schema=f"{item_schema}/CollectionResponse.json"),
        link("parent", parent),
    ]


def member_json(member: Member, list_id: str, base: str) -> Json:
    href = f"{base}/lists/{list_id}/members/{member.id}"
    body: Json = {
        "id": member.id,
        "email_address": member.email_address,
        "unique_email_id": member.unique_email_id,
        "contact_id": member.contact_id,
        "full_name": member.full_name,
        "web_id": member.web_id,
        "email_type": member.email_type,
        "status": member.status,
    }
    if member.status == UNSUBSCRIBED and member.unsubscribe_reason:
        body["unsubscribe_reason"] = member.unsubscribe_reason
    location = member.location
    body |= {
        "consents_to_one_to_one_messaging": True,
        "merge_fields": dict(member.merge_fields),
        "stats": {"avg_open_rate": member.avg_open_rate, "avg_click_rate": member.avg_click_rate},
        "ip_signup": member.ip_signup,
        "timestamp_signup": iso(member.timestamp_signup),
        "ip_opt": member.ip_opt,
        "timestamp_opt": iso(member.timestamp_opt),
        "member_rating": member.member_rating,
        "last_changed": iso(member.last_changed),
        "language": member.language,
        "vip": member.vip,
        "email_client": "",
        "location": {
            "latitude": location.latitude,
            "longitude": location.longitude,
            "gmtoff": location.gmtoff,
            "dstoff": location.dstoff,
            "country_code": location.country_code,
            "timezone": location.timezone,
            "region": location.region,
        },
        "source": member.source,
        "tags_count": 0,
        "tags": [],
        "list_id": list_id,
        "_links": [
            link("self", href, schema="Definitions/Lists/Members/Response.json"),
            link("parent", f"{base}/lists/{list_id}/members"),
            link("update", href, "PATCH", "Definitions/Lists/Members/PATCH.json"),
            link("upsert", href, "PUT", "Definitions/Lists/Members/PUT.json"),
            link("delete", href, "DELETE"),
            link("delete_permanent", f"{href}/actions/delete-permanent", "POST"),
        ],
    }
    return body


def with_tags(body: Json, tags: list[tuple[int, str]]) -> Json:
    """Fill in a member's tags (segment id and name), which only the account can name."""
    body["tags"] = [{"id": tag_id, "name": name} for tag_id, name in tags]
    body["tags_count"] = len(tags)
    return body


def segment_json(segment: Segment, list_id: str, member_count: int, base: str) -> Json:
    href = f"{base}/lists/{list_id}/segments/{segment.id}"
    body: Json = {
        "id": segment.id,
        "name": segment.name,
        "member_count": member_count,
        "type": segment.type,
        "created_at": iso(segment.created_at),
        "updated_at": iso(segment.updated_at),
    }
    if not segment.is_tag:
        body["options"] = {"match": "all", "conditions": segment.conditions}
    body["list_id"] = list_id
    body["_links"] = [
        link("self", href, schema="Definitions/Lists/Segments/Response.json"),
        link("parent", f"{base}/lists/{list_id}/segments"),
        link("update", href, "PATCH", "Definitions/Lists/Segments/PATCH.json"),
        link("delete", href, "DELETE"),
        link("members", f"{href}/members"),
    ]
    return body


def merge_field_json(merge_field: MergeField, list_id: str, base: str) -> Json:
    href = f"{base}/lists/{list_id}/merge-fields/{merge_field.merge_id}"
    return {
        "merge_id": merge_field.merge_id,
        "tag": merge_field.tag,
        "name": merge_field.name,
        "type": merge_field.type,
        "required": merge_field.required,
        "default_value": merge_field.default_value,
        "public": merge_field.public,
        "display_order": merge_field.display_order,
        "options": dict(merge_field.options),
        "help_text": merge_field.help_text,
        "list_id": list_id,
        "_links": [
            link("self", href, schema="Definitions/Lists/MergeFields/Response.json"),
            link("parent", f"{base}/lists/{list_id}/merge-fields"),
            link("update", href, "PATCH", "Definitions/Lists/MergeFields/PATCH.json"),
            link("delete", href, "DELETE"),
        ],
    }


# --- `fields` and `exclude_fields` ---------------------------------------------------------------


def _tree(paths: list[str]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path in paths:
        node = tree
        for name in path.split("."):
            node = node.setdefault(name, {})
    return tree


def _keep(value: Any, tree: dict[str, Any]) -> Any:
    if not tree:
        return value
    if isinstance(value, list):
        return [_keep(item, tree) for item in value]
    if isinstance(value, dict):
        return {key: _keep(value[key], sub) for key, sub in tree.items() if key in value}
    return value


def _drop(value: Any, tree: dict[str, Any]) -> Any:
    if isinstance(value, list):
        return [_drop(item, tree) for item in value]
    if isinstance(value, dict):
        return {
            key: _drop(item, tree[key]) if key in tree else item
            for key, item in value.items()
            if key not in tree or tree[key]
        }
    return value


def project(body: Json, fields: list[str] | None, exclude: list[str] | None) -> Json:
    """Apply `fields` (keep only these dotted paths) and `exclude_fields` (drop these)."""
    if fields:
        body = _keep(body, _tree(fields))
    if exclude:
        body = _drop(body, _tree(exclude))
    return body
