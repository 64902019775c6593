"""The Mailchimp emulation: credentials, audiences, and answers for what does not exist."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from mailchimp_marketing.api_client import ApiClientError

from sandbox.server import SandboxServer
from tests.conftest import MAILCHIMP_KEY
from tests.mailchimp_helpers import RETAIL, WHOLESALE, Api, problem_of


@pytest.fixture
def api(sandbox: SandboxServer) -> Api:
    return Api(sandbox)


# --- ping, credentials, audiences -----------------------------------------------------------------


def test_ping_answers_through_the_real_client(mailchimp_client: Any) -> None:
    assert mailchimp_client.ping.get() == {"health_status": "Everything's Chimpy!"}


@pytest.mark.parametrize(
    "auth",
    [("anyone", "wrong-us1"), ("anyone", ""), None],
    ids=["wrong-key", "empty-key", "no-credentials"],
)
def test_wrong_credentials_get_api_key_invalid(api: Api, auth: tuple[str, str] | None) -> None:
    response = requests.get(api.url + "/lists", auth=auth, timeout=10)
    assert problem_of(response, 401)["title"] == "API Key Invalid"


def test_any_user_name_goes_with_the_key(api: Api) -> None:
    response = requests.get(api.url + "/ping", auth=("whoever", MAILCHIMP_KEY), timeout=10)
    assert response.status_code == 200


def test_the_account_has_a_retail_and_a_wholesale_audience(mailchimp_client: Any) -> None:
    answer = mailchimp_client.lists.get_all_lists()
    assert [entry["name"] for entry in answer["lists"]] == [RETAIL, WHOLESALE]
    assert answer["total_items"] == 2
    assert answer["constraints"]["may_create"] is True
    retail = mailchimp_client.lists.get_list(answer["lists"][0]["id"])
    stats = retail["stats"]
    assert stats["member_count"] > 10 * stats["unsubscribe_count"] / 2 > 0
    assert stats["cleaned_count"] > 0


def test_audience_stats_count_members_by_status(api: Api) -> None:
    list_id = api.list_id()
    members = api.members()
    stats = api.get(f"/lists/{list_id}", include_total_contacts="True").json()["stats"]
    assert stats["member_count"] == sum(m["status"] == "subscribed" for m in members)
    assert stats["unsubscribe_count"] == sum(m["status"] == "unsubscribed" for m in members)
    assert stats["cleaned_count"] == sum(m["status"] == "cleaned" for m in members)
    assert stats["total_contacts"] == len(members)


@pytest.mark.parametrize(
    ("path", "what"),
    [
        ("/lists/0000000000", "list"),
        ("/lists/{list_id}/members/" + "0" * 32, "member"),
        ("/lists/{list_id}/segments/1", "segment"),
        ("/lists/{list_id}/merge-fields/99", "merge field"),
        ("/lists/{list_id}/members/not-a-hash", "malformed hash"),
    ],
    ids=["list", "member", "segment", "merge-field", "malformed-hash"],
)
def test_unknown_resources_are_404_resource_not_found(api: Api, path: str, what: str) -> None:
    response = api.get(path.format(list_id=api.list_id()))
    assert problem_of(response, 404)["title"] == "Resource Not Found", what


def test_an_unknown_list_is_404_through_the_client_too(mailchimp_client: Any) -> None:
    with pytest.raises(ApiClientError) as raised:
        mailchimp_client.lists.get_list_members_info("0000000000")
    assert raised.value.status_code == 404
    assert '"Resource Not Found"' in raised.value.text
