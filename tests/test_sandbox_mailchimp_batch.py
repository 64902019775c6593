"""`POST /lists/{list_id}`: batch subscribe and update, member by member."""

from __future__ import annotations

from typing import Any

import pytest
from mailchimp_marketing.api_client import ApiClientError

from sandbox.server import SandboxServer
from tests.mailchimp_helpers import Api, md5, problem_of


@pytest.fixture
def api(sandbox: SandboxServer) -> Api:
    return Api(sandbox)


# --- batch subscribe/update -----------------------------------------------------------------------


def test_batch_adds_new_members_updates_existing_and_lists_errors_per_member(
    mailchimp_client: Any, api: Api
) -> None:
    list_id = api.list_id()
    existing = api.email_with("subscribed")
    body = {
        "members": [
            {
                "email_address": "new.one@example.org",
                "status": "subscribed",
                "merge_fields": {"FNAME": "New"},
            },
            {"email_address": "new.two@example.org", "status": "pending"},
            {"email_address": existing, "status": "subscribed", "merge_fields": {"LNAME": "X"}},
            {"email_address": "not-an-address", "status": "subscribed"},
        ],
        "update_existing": True,
    }
    answer = mailchimp_client.lists.batch_list_members(list_id, body)
    assert [m["email_address"] for m in answer["new_members"]] == [
        "new.one@example.org",
        "new.two@example.org",
    ]
    assert [m["email_address"] for m in answer["updated_members"]] == [existing]
    assert answer["updated_members"][0]["merge_fields"]["LNAME"] == "X"
    assert (answer["total_created"], answer["total_updated"], answer["error_count"]) == (2, 1, 1)
    error = answer["errors"][0]
    assert error["email_address"] == "not-an-address"
    assert error["error_code"] == "ERROR_GENERIC" and error["field"] == "email_address"
    assert (
        api.get(f"/lists/{list_id}/members/{md5('new.two@example.org')}").json()["status"]
        == "pending"
    )


def test_batch_without_update_existing_refuses_existing_members_as_contact_exists(
    mailchimp_client: Any, api: Api
) -> None:
    existing = api.email_with("subscribed")
    answer = mailchimp_client.lists.batch_list_members(
        api.list_id(), {"members": [{"email_address": existing, "status": "subscribed"}]}
    )
    assert answer["total_updated"] == 0
    assert answer["errors"][0]["error_code"] == "ERROR_CONTACT_EXISTS"
    assert "update_existing" in answer["errors"][0]["error"]


def test_batch_update_existing_applies_the_given_status_to_existing_members(
    mailchimp_client: Any, api: Api
) -> None:
    """The documented pitfall: the status meant for new members changes existing ones too."""
    list_id = api.list_id()
    subscribed, unsubscribed = api.email_with("subscribed"), api.email_with("unsubscribed")
    answer = mailchimp_client.lists.batch_list_members(
        list_id,
        {
            "members": [
                {"email_address": subscribed, "status": "unsubscribed"},
                {"email_address": unsubscribed, "status": "subscribed"},
            ],
            "update_existing": True,
        },
    )
    assert [(m["email_address"], m["status"]) for m in answer["updated_members"]] == [
        (subscribed, "unsubscribed")
    ]
    [error] = answer["errors"]
    assert error["email_address"] == unsubscribed
    assert "compliance state" in error["error"] and unsubscribed in error["error"]
    assert (
        api.get(f"/lists/{list_id}/members/{md5(unsubscribed)}").json()["status"] == "unsubscribed"
    )


def test_batch_never_resubscribes_an_unsubscribed_member(api: Api) -> None:
    list_id = api.list_id()
    email = api.email_with("unsubscribed")
    body = {"members": [{"email_address": email, "status": "subscribed"}], "update_existing": True}
    answer = api.call("POST", f"/lists/{list_id}", body).json()
    assert answer["error_count"] == 1 and answer["total_updated"] == 0
    assert api.get(f"/lists/{list_id}/members/{md5(email)}").json()["status"] == "unsubscribed"


def test_batch_of_501_members_is_refused_whole(mailchimp_client: Any, api: Api) -> None:
    members = [{"email_address": f"m{n}@example.org", "status": "subscribed"} for n in range(501)]
    with pytest.raises(ApiClientError) as raised:
        mailchimp_client.lists.batch_list_members(api.list_id(), {"members": members})
    assert raised.value.status_code == 400
    assert '"field":"members"' in raised.value.text
    assert api.get(f"/lists/{api.list_id()}/members/{md5('m0@example.org')}").status_code == 404


def test_batch_of_500_members_is_fine(api: Api) -> None:
    members = [{"email_address": f"m{n}@example.org", "status": "subscribed"} for n in range(500)]
    answer = api.call("POST", f"/lists/{api.list_id()}", {"members": members}).json()
    assert answer["total_created"] == 500 and answer["error_count"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "members"),
        ({"members": "a@example.org"}, "members"),
        ({"members": [{"email_address": "a@example.org", "status": "happy"}]}, "members[0].status"),
        ({"members": [{"status": "subscribed"}]}, "members[0].email_address"),
        ({"members": [], "update_existing": "yes"}, "update_existing"),
        (
            {"members": [{"email_address": "a@example.org", "merge_fields": []}]},
            "members[0].merge_fields",
        ),
    ],
    ids=[
        "no-members",
        "members-not-array",
        "bad-status",
        "no-email",
        "flag-not-boolean",
        "merge-fields-not-object",
    ],
)
def test_a_batch_of_the_wrong_shape_is_a_400_naming_the_member_and_field(
    api: Api, body: dict[str, Any], field: str
) -> None:
    problem = problem_of(api.call("POST", f"/lists/{api.list_id()}", body), 400)
    assert problem["title"] == "Invalid Resource"
    assert field in [error["field"] for error in problem["errors"]]


def test_batch_lists_a_repeated_address_once_as_an_error(api: Api) -> None:
    members = [
        {"email_address": "twice@example.org", "status": "subscribed"},
        {"email_address": "TWICE@example.org", "status": "unsubscribed"},
    ]
    answer = api.call("POST", f"/lists/{api.list_id()}", {"members": members}).json()
    assert answer["total_created"] == 1 and answer["error_count"] == 1
    assert answer["new_members"][0]["status"] == "subscribed"
    quiet = api.call(
        "POST",
        f"/lists/{api.list_id()}",
        {"members": members, "update_existing": True},
        skip_duplicate_check="True",
    ).json()
    assert quiet["error_count"] == 0 and quiet["total_updated"] == 1


def test_batch_tags_are_added_and_sync_tags_replaces_them(api: Api) -> None:
    list_id = api.list_id()
    email = "tagged@example.org"
    first = {
        "members": [
            {"email_address": email, "status": "subscribed", "tags": ["Newsletter", "Spring Sale"]}
        ]
    }
    created = api.call("POST", f"/lists/{list_id}", first).json()["new_members"][0]
    assert sorted(t["name"] for t in created["tags"]) == ["Newsletter", "Spring Sale"]
    again = {
        "members": [{"email_address": email, "tags": ["Loyalty"]}],
        "update_existing": True,
        "sync_tags": True,
    }
    updated = api.call("POST", f"/lists/{list_id}", again).json()["updated_members"][0]
    assert [t["name"] for t in updated["tags"]] == ["Loyalty"]


def test_batch_checks_merge_field_values_per_member(api: Api) -> None:
    members = [
        {
            "email_address": "bday@example.org",
            "status": "subscribed",
            "merge_fields": {"BIRTHDAY": "13/45"},
        },
        {
            "email_address": "ghost@example.org",
            "status": "subscribed",
            "merge_fields": {"SHOESIZE": "44"},
        },
        {
            "email_address": "fine@example.org",
            "status": "subscribed",
            "merge_fields": {"BIRTHDAY": "02/29"},
        },
    ]
    answer = api.call("POST", f"/lists/{api.list_id()}", {"members": members}).json()
    assert answer["total_created"] == 1
    fields = {e["email_address"]: e["field"] for e in answer["errors"]}
    assert fields == {
        "bday@example.org": "merge_fields.BIRTHDAY",
        "ghost@example.org": "merge_fields.SHOESIZE",
    }
