"""Writing one member: PUT and POST, the consent rules, archiving and erasing."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from mailchimp_marketing.api_client import ApiClientError

from sandbox.server import SandboxServer
from tests.conftest import MAILCHIMP_KEY
from tests.mailchimp_helpers import Api, md5, problem_of


@pytest.fixture
def api(sandbox: SandboxServer) -> Api:
    return Api(sandbox)


def put(api: Api, email: str, list_id: str | None = None, **fields: Any) -> Any:
    body = {"email_address": email, **fields}
    return api.call("PUT", f"/lists/{list_id or api.list_id()}/members/{md5(email)}", body)


# --- one member at a time -------------------------------------------------------------------------


def test_put_with_status_if_new_leaves_an_unsubscribed_member_unsubscribed(
    mailchimp_client: Any, api: Api
) -> None:
    list_id = api.list_id()
    email = api.email_with("unsubscribed")
    member = mailchimp_client.lists.set_list_member(
        list_id,
        md5(email),
        {"email_address": email, "status_if_new": "subscribed", "merge_fields": {"FNAME": "Kim"}},
    )
    assert member["status"] == "unsubscribed"
    assert member["merge_fields"]["FNAME"] == "Kim"


def test_put_adds_a_new_member_with_status_if_new(mailchimp_client: Any, api: Api) -> None:
    email = "Brand.New@Example.org"
    member = mailchimp_client.lists.set_list_member(
        api.list_id(), md5(email), {"email_address": email, "status_if_new": "pending"}
    )
    assert member["status"] == "pending" and member["id"] == md5(email)
    assert member["email_address"] == email
    assert member["merge_fields"] == {"FNAME": "", "LNAME": "", "PHONE": "", "BIRTHDAY": ""}


def test_put_with_nothing_changed_leaves_last_changed_alone(api: Api) -> None:
    email = api.email_with("subscribed")
    before = api.get(f"/lists/{api.list_id()}/members/{md5(email)}").json()
    after = put(api, email, status_if_new="subscribed").json()
    assert after["last_changed"] == before["last_changed"]


@pytest.mark.parametrize(
    ("status", "wanted", "allowed"),
    [
        ("unsubscribed", "subscribed", False),
        ("unsubscribed", "pending", True),
        ("cleaned", "subscribed", False),
        ("cleaned", "pending", False),
        ("subscribed", "unsubscribed", True),
        ("pending", "subscribed", True),
        ("transactional", "subscribed", True),
    ],
    ids=[
        "unsubscribed-to-subscribed",
        "unsubscribed-reconfirms",
        "cleaned-to-subscribed",
        "cleaned-to-pending",
        "subscribed-unsubscribes",
        "pending-confirms",
        "transactional-opts-in",
    ],
)
def test_consent_rules_between_statuses(api: Api, status: str, wanted: str, allowed: bool) -> None:
    email = api.email_with(status)
    response = put(api, email, status_if_new="subscribed", status=wanted)
    if allowed:
        assert response.status_code == 200 and response.json()["status"] == wanted
        return
    problem = problem_of(response, 400)
    assert problem["title"] == "Member In Compliance State"
    assert problem["detail"] == (
        f"{email} is already a list member in compliance state due to unsubscribe, bounce, "
        "or compliance review and cannot be subscribed."
    )
    assert api.get(f"/lists/{api.list_id()}/members/{md5(email)}").json()["status"] == status


def test_a_forgotten_address_cannot_be_added_by_any_route(api: Api) -> None:
    list_id = api.list_id()
    email = api.forgotten()[0]
    for response in (
        put(api, email, status_if_new="pending"),
        api.call(
            "POST", f"/lists/{list_id}/members", {"email_address": email, "status": "pending"}
        ),
    ):
        assert problem_of(response, 400)["title"] == "Forgotten Email Not Subscribed"
    batch = api.call(
        "POST", f"/lists/{list_id}", {"members": [{"email_address": email, "status": "subscribed"}]}
    ).json()
    assert batch["error_count"] == 1 and "permanently deleted" in batch["errors"][0]["error"]


def test_a_hash_that_is_not_the_emails_is_a_400(api: Api) -> None:
    response = api.call(
        "PUT",
        f"/lists/{api.list_id()}/members/{md5('someone@example.org')}",
        {"email_address": "other@example.org", "status_if_new": "subscribed"},
    )
    problem = problem_of(response, 400)
    assert problem["errors"][0]["field"] == "email_address"


def test_the_path_may_name_the_address_instead_of_its_hash(api: Api) -> None:
    email = api.email_with("subscribed")
    member = api.get(f"/lists/{api.list_id()}/members/{email.upper()}").json()
    assert member["email_address"] == email


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status_if_new": "subscribed"}, "email_address"),
        ({"email_address": "nobody@example.org"}, "status_if_new"),
        ({"email_address": "nobody@example.org", "status_if_new": "maybe"}, "status_if_new"),
        (
            {"email_address": "nobody@example.org", "status_if_new": "subscribed", "vip": "yes"},
            "vip",
        ),
        (
            {
                "email_address": "nobody@example.org",
                "status_if_new": "subscribed",
                "merge_fields": {"PHONE": ["555"]},
            },
            "merge_fields.PHONE",
        ),
    ],
    ids=[
        "no-email",
        "no-status-for-a-new-member",
        "unknown-status",
        "vip-not-boolean",
        "merge-value-not-text",
    ],
)
def test_put_names_the_field_that_is_wrong(api: Api, body: dict[str, Any], field: str) -> None:
    response = api.call("PUT", f"/lists/{api.list_id()}/members/{md5('nobody@example.org')}", body)
    problem = problem_of(response, 400)
    assert problem["title"] == "Invalid Resource"
    assert field in [error["field"] for error in problem["errors"]]


def test_a_body_that_is_not_json_is_a_parse_exception(api: Api) -> None:
    response = api.call("POST", f"/lists/{api.list_id()}", None)
    assert problem_of(response, 400)["title"] == "Invalid Resource"
    broken = api.root + f"/3.0/lists/{api.list_id()}"
    response = requests.post(broken, data="{members:", auth=("u", MAILCHIMP_KEY), timeout=10)
    assert problem_of(response, 400)["title"] == "JSON Parse Exception"


def test_post_of_an_existing_member_is_member_exists(api: Api) -> None:
    email = api.email_with("subscribed")
    response = api.call(
        "POST", f"/lists/{api.list_id()}/members", {"email_address": email, "status": "subscribed"}
    )
    problem = problem_of(response, 400)
    assert problem["title"] == "Member Exists" and "Use PUT" in problem["detail"]


# --- archive and erase ----------------------------------------------------------------------------


def test_archive_hides_a_member_until_it_is_added_back(mailchimp_client: Any, api: Api) -> None:
    list_id = api.list_id()
    email = api.email_with("subscribed")
    total = api.get(f"/lists/{list_id}/members").json()["total_items"]
    mailchimp_client.lists.delete_list_member(list_id, md5(email))
    assert api.get(f"/lists/{list_id}/members/{md5(email)}").json()["status"] == "archived"
    assert api.get(f"/lists/{list_id}/members").json()["total_items"] == total - 1
    archived = api.get(f"/lists/{list_id}/members", status="archived").json()
    assert [m["email_address"] for m in archived["members"]] == [email]
    back = mailchimp_client.lists.set_list_member(
        list_id, md5(email), {"email_address": email, "status_if_new": "subscribed"}
    )
    assert back["status"] == "subscribed"
    assert api.get(f"/lists/{list_id}/members").json()["total_items"] == total


def test_an_archived_unsubscriber_is_still_not_resubscribable(api: Api) -> None:
    list_id = api.list_id()
    email = api.email_with("unsubscribed")
    api.call("DELETE", f"/lists/{list_id}/members/{md5(email)}")
    response = put(api, email, status_if_new="subscribed")
    assert problem_of(response, 400)["title"] == "Member In Compliance State"


def test_erase_then_re_add_is_forgotten_email_not_subscribed(
    mailchimp_client: Any, api: Api
) -> None:
    list_id = api.list_id()
    email = api.email_with("subscribed")
    answer = mailchimp_client.lists.delete_list_member_permanent(list_id, md5(email))
    assert answer.status_code == 204
    assert api.get(f"/lists/{list_id}/members/{md5(email)}").status_code == 404
    with pytest.raises(ApiClientError) as raised:
        mailchimp_client.lists.set_list_member(
            list_id, md5(email), {"email_address": email, "status_if_new": "subscribed"}
        )
    assert raised.value.status_code == 400
    assert "Forgotten Email Not Subscribed" in raised.value.text
    assert email in api.forgotten()


def test_every_change_moves_last_changed(api: Api) -> None:
    list_id = api.list_id()
    email = api.email_with("subscribed", skip=1)
    before = api.get(f"/lists/{list_id}/members/{md5(email)}").json()["last_changed"]
    api.call(
        "POST",
        f"/lists/{list_id}/members/{md5(email)}/tags",
        {"tags": [{"name": "Fresh", "status": "active"}]},
    )
    after = api.get(f"/lists/{list_id}/members/{md5(email)}").json()["last_changed"]
    assert after > before
