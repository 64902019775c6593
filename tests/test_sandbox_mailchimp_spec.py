"""Every emulated Mailchimp endpoint answers with a body that Mailchimp's own schema accepts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
import requests

from sandbox.server import SandboxServer
from tests.mailchimp_helpers import Api, md5
from tests.vendor_specs import SchemaNotInSpec, assert_valid


@dataclass(frozen=True)
class Case:
    method: str
    template: str  # as the spec names the path (relative to basePath /3.0)
    status: int
    call: Callable[[Api], requests.Response]


def _list(api: Api) -> str:
    return api.list_id()


def _member(api: Api) -> str:
    return md5(api.email_with("subscribed"))


def _segment(api: Api) -> int:
    segments = api.get(f"/lists/{_list(api)}/segments").json()["segments"]
    return int(next(s["id"] for s in segments if s["name"] == "Newsletter"))


CASES = {
    "ping": Case("GET", "/ping", 200, lambda api: api.get("/ping")),
    "lists": Case("GET", "/lists", 200, lambda api: api.get("/lists")),
    "list": Case("GET", "/lists/{list_id}", 200, lambda api: api.get(f"/lists/{_list(api)}")),
    "batch-members": Case(
        "POST",
        "/lists/{list_id}",
        200,
        lambda api: api.call(
            "POST",
            f"/lists/{_list(api)}",
            {
                "members": [
                    {"email_address": "spec.new@example.org", "status": "subscribed"},
                    {"email_address": api.email_with("unsubscribed"), "status": "subscribed"},
                    {"email_address": api.email_with("subscribed"), "status": "subscribed"},
                ],
                "update_existing": True,
            },
        ),
    ),
    "members": Case(
        "GET", "/lists/{list_id}/members", 200, lambda api: api.get(f"/lists/{_list(api)}/members")
    ),
    "add-member": Case(
        "POST",
        "/lists/{list_id}/members",
        200,
        lambda api: api.call(
            "POST",
            f"/lists/{_list(api)}/members",
            {"email_address": "spec.post@example.org", "status": "pending", "tags": ["Spec"]},
        ),
    ),
    "member": Case(
        "GET",
        "/lists/{list_id}/members/{subscriber_hash}",
        200,
        lambda api: api.get(f"/lists/{_list(api)}/members/{_member(api)}"),
    ),
    "put-member": Case(
        "PUT",
        "/lists/{list_id}/members/{subscriber_hash}",
        200,
        lambda api: api.call(
            "PUT",
            f"/lists/{_list(api)}/members/{md5('spec.put@example.org')}",
            {"email_address": "spec.put@example.org", "status_if_new": "unsubscribed"},
        ),
    ),
    "archive-member": Case(
        "DELETE",
        "/lists/{list_id}/members/{subscriber_hash}",
        204,
        lambda api: api.call("DELETE", f"/lists/{_list(api)}/members/{_member(api)}"),
    ),
    "erase-member": Case(
        "POST",
        "/lists/{list_id}/members/{subscriber_hash}/actions/delete-permanent",
        204,
        lambda api: api.call(
            "POST", f"/lists/{_list(api)}/members/{_member(api)}/actions/delete-permanent"
        ),
    ),
    "member-tags": Case(
        "POST",
        "/lists/{list_id}/members/{subscriber_hash}/tags",
        204,
        lambda api: api.call(
            "POST",
            f"/lists/{_list(api)}/members/{_member(api)}/tags",
            {"tags": [{"name": "Spec", "status": "active"}]},
        ),
    ),
    "segments": Case(
        "GET",
        "/lists/{list_id}/segments",
        200,
        lambda api: api.get(f"/lists/{_list(api)}/segments"),
    ),
    "create-segment": Case(
        "POST",
        "/lists/{list_id}/segments",
        200,
        lambda api: api.call(
            "POST",
            f"/lists/{_list(api)}/segments",
            {"name": "Spec", "static_segment": [api.email_with("subscribed")]},
        ),
    ),
    "segment": Case(
        "GET",
        "/lists/{list_id}/segments/{segment_id}",
        200,
        lambda api: api.get(f"/lists/{_list(api)}/segments/{_segment(api)}"),
    ),
    "segment-batch": Case(
        "POST",
        "/lists/{list_id}/segments/{segment_id}",
        200,
        lambda api: api.call(
            "POST",
            f"/lists/{_list(api)}/segments/{_segment(api)}",
            {
                "members_to_add": [api.email_with("subscribed", skip=2), "nobody@example.org"],
                "members_to_remove": [api.email_with("subscribed", skip=3)],
            },
        ),
    ),
    "segment-members": Case(
        "GET",
        "/lists/{list_id}/segments/{segment_id}/members",
        200,
        lambda api: api.get(f"/lists/{_list(api)}/segments/{_segment(api)}/members"),
    ),
    "merge-fields": Case(
        "GET",
        "/lists/{list_id}/merge-fields",
        200,
        lambda api: api.get(f"/lists/{_list(api)}/merge-fields"),
    ),
    "add-merge-field": Case(
        "POST",
        "/lists/{list_id}/merge-fields",
        200,
        lambda api: api.call(
            "POST",
            f"/lists/{_list(api)}/merge-fields",
            {"name": "Plan", "type": "radio", "options": {"choices": ["Free", "Pro"]}},
        ),
    ),
    "merge-field": Case(
        "GET",
        "/lists/{list_id}/merge-fields/{merge_id}",
        200,
        lambda api: api.get(f"/lists/{_list(api)}/merge-fields/1"),
    ),
    "error-404": Case(
        "GET",
        "/lists/{list_id}/members/{subscriber_hash}",
        404,
        lambda api: api.get(f"/lists/{_list(api)}/members/{md5('nobody@example.org')}"),
    ),
    "error-400": Case(
        "PUT",
        "/lists/{list_id}/members/{subscriber_hash}",
        400,
        lambda api: api.call(
            "PUT",
            f"/lists/{_list(api)}/members/{_member(api)}",
            {"email_address": "wrong@example.org", "status_if_new": "subscribed"},
        ),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_answer_validates_against_mailchimps_schema(sandbox: SandboxServer, case: Case) -> None:
    response = case.call(Api(sandbox))
    assert response.status_code == case.status, response.text
    body = response.json() if response.content else None
    try:
        assert_valid("mailchimp", case.method, case.template, case.status, body)
    except SchemaNotInSpec as missing:
        assert body is None, "a body was sent where the spec documents none"
        pytest.skip(str(missing))
