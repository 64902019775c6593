"""Tags (static segments), the saved segment, and merge fields."""

from __future__ import annotations

from typing import Any

import pytest
from mailchimp_marketing.api_client import ApiClientError

from sandbox.server import SandboxServer
from tests.mailchimp_helpers import Api, md5, problem_of


@pytest.fixture
def api(sandbox: SandboxServer) -> Api:
    return Api(sandbox)


def segment_named(api: Api, name: str) -> dict[str, Any]:
    segments = api.get(f"/lists/{api.list_id()}/segments", count=100).json()["segments"]
    return next(s for s in segments if s["name"] == name)


def tag_names(api: Api, email: str) -> list[str]:
    member = api.get(f"/lists/{api.list_id()}/members/{md5(email)}").json()
    return sorted(tag["name"] for tag in member["tags"])


# --- tags on one member ---------------------------------------------------------------------------


def test_member_tags_are_added_and_removed(mailchimp_client: Any, api: Api) -> None:
    list_id = api.list_id()
    email = next(m["email_address"] for m in api.members() if not m["tags"])
    answer = mailchimp_client.lists.update_list_member_tags(
        list_id,
        md5(email),
        {"tags": [{"name": "VIP", "status": "active"}, {"name": "Gold Tier", "status": "active"}]},
    )
    assert answer.status_code == 204
    assert tag_names(api, email) == ["Gold Tier", "VIP"]
    mailchimp_client.lists.update_list_member_tags(
        list_id, md5(email), {"tags": [{"name": "vip", "status": "inactive"}]}
    )
    assert tag_names(api, email) == ["Gold Tier"]
    gold = segment_named(api, "Gold Tier")
    assert gold["type"] == "static" and gold["member_count"] == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"tags": [{"name": "VIP"}]},
        {"tags": [{"name": "", "status": "active"}]},
        {"tags": [{"name": "VIP", "status": "on"}]},
    ],
    ids=["no-tags", "no-status", "blank-name", "unknown-status"],
)
def test_bad_tag_bodies_are_400(api: Api, body: dict[str, Any]) -> None:
    email = api.email_with("subscribed")
    response = api.call("POST", f"/lists/{api.list_id()}/members/{md5(email)}/tags", body)
    assert problem_of(response, 400)["errors"][0]["field"].startswith("tags")


def test_tagging_someone_who_is_not_a_member_is_404(api: Api) -> None:
    response = api.call(
        "POST",
        f"/lists/{api.list_id()}/members/{md5('stranger@example.org')}/tags",
        {"tags": [{"name": "VIP", "status": "active"}]},
    )
    assert problem_of(response, 404)["title"] == "Resource Not Found"


# --- segments -------------------------------------------------------------------------------------


def test_seeded_tags_are_static_segments_counting_their_subscribed_members(api: Api) -> None:
    newsletter = segment_named(api, "Newsletter")
    tagged = [m for m in api.members() if "Newsletter" in m["tags"]]
    assert newsletter["member_count"] == sum(
        m["status"] in ("subscribed", "pending") for m in tagged
    )
    with_everyone = api.get(
        f"/lists/{api.list_id()}/segments/{newsletter['id']}",
        include_cleaned="true",
        include_unsubscribed="TRUE",
        include_transactional="True",
    ).json()
    assert with_everyone["member_count"] == len(tagged)


def test_type_static_leaves_out_the_saved_segment(mailchimp_client: Any, api: Api) -> None:
    list_id = api.list_id()
    everything = mailchimp_client.lists.list_segments(list_id)["segments"]
    assert {s["type"] for s in everything} == {"static", "saved"}
    static = mailchimp_client.lists.list_segments(list_id, type="static")
    assert {s["type"] for s in static["segments"]} == {"static"}
    assert static["total_items"] == len(everything) - 1


def test_create_a_static_segment_from_addresses(mailchimp_client: Any, api: Api) -> None:
    list_id = api.list_id()
    emails = [api.email_with("subscribed", skip=n) for n in range(3)]
    segment = mailchimp_client.lists.create_segment(
        list_id, {"name": "Zendesk VIPs", "static_segment": [*emails, "stranger@example.org"]}
    )
    assert segment["type"] == "static" and segment["member_count"] == 3
    members = mailchimp_client.lists.get_segment_members_list(list_id, segment["id"])
    assert sorted(m["email_address"] for m in members["members"]) == sorted(emails)
    with pytest.raises(ApiClientError) as raised:
        mailchimp_client.lists.create_segment(list_id, {"name": "zendesk vips"})
    assert raised.value.status_code == 400


def test_batch_segment_members_adds_and_removes(mailchimp_client: Any, api: Api) -> None:
    list_id = api.list_id()
    segment = segment_named(api, "Loyalty")
    tagged = next(m["email_address"] for m in api.members() if "Loyalty" in m["tags"])
    untagged = next(
        m["email_address"]
        for m in api.members()
        if "Loyalty" not in m["tags"] and m["status"] == "subscribed"
    )
    answer = mailchimp_client.lists.batch_segment_members(
        {"members_to_add": [untagged, "stranger@example.org"], "members_to_remove": [tagged]},
        list_id,
        segment["id"],
    )
    assert [m["email_address"] for m in answer["members_added"]] == [untagged]
    assert [m["email_address"] for m in answer["members_removed"]] == [tagged]
    assert (answer["total_added"], answer["total_removed"], answer["error_count"]) == (1, 1, 1)
    assert answer["errors"][0]["email_addresses"] == ["stranger@example.org"]
    assert "Loyalty" in tag_names(api, untagged) and "Loyalty" not in tag_names(api, tagged)


def test_adding_a_member_who_already_has_the_tag_changes_nothing(api: Api) -> None:
    segment = segment_named(api, "Loyalty")
    tagged = next(m["email_address"] for m in api.members() if "Loyalty" in m["tags"])
    answer = api.call(
        "POST", f"/lists/{api.list_id()}/segments/{segment['id']}", {"members_to_add": [tagged]}
    ).json()
    assert answer["total_added"] == 0 and answer["error_count"] == 0


@pytest.mark.parametrize("field", ["members_to_add", "members_to_remove"])
def test_more_than_500_addresses_for_a_segment_is_400(api: Api, field: str) -> None:
    segment = segment_named(api, "Loyalty")
    emails = [f"m{n}@example.org" for n in range(501)]
    response = api.call("POST", f"/lists/{api.list_id()}/segments/{segment['id']}", {field: emails})
    assert problem_of(response, 400)["errors"][0]["field"] == field


def test_a_saved_segment_takes_no_members(api: Api) -> None:
    saved = segment_named(api, "Recent subscribers")
    assert saved["type"] == "saved" and saved["options"]["conditions"]
    response = api.call(
        "POST",
        f"/lists/{api.list_id()}/segments/{saved['id']}",
        {"members_to_add": [api.email_with("subscribed")]},
    )
    assert problem_of(response, 400)["title"] == "Invalid Resource"


def test_segment_members_page_to_member_count(api: Api) -> None:
    segment = segment_named(api, "Newsletter")
    path = f"/lists/{api.list_id()}/segments/{segment['id']}/members"
    seen = []
    for offset in range(0, segment["member_count"] + 100, 100):
        seen += [m["id"] for m in api.get(path, count=100, offset=offset).json()["members"]]
    assert len(seen) == len(set(seen)) == segment["member_count"]


# --- merge fields ---------------------------------------------------------------------------------


def test_merge_fields_are_listed_created_and_duplicates_refused(
    mailchimp_client: Any, api: Api
) -> None:
    list_id = api.list_id()
    tags = [f["tag"] for f in mailchimp_client.lists.get_list_merge_fields(list_id)["merge_fields"]]
    assert tags == ["FNAME", "LNAME", "PHONE", "BIRTHDAY"]
    made = mailchimp_client.lists.add_list_merge_field(
        list_id, {"name": "Zendesk ID", "type": "number", "tag": "zdid"}
    )
    assert (made["tag"], made["type"], made["merge_id"]) == ("ZDID", "number", 5)
    listed = mailchimp_client.lists.get_list_merge_fields(list_id)
    assert listed["total_items"] == 5
    with pytest.raises(ApiClientError) as raised:
        mailchimp_client.lists.add_list_merge_field(
            list_id, {"name": "Again", "type": "text", "tag": "ZDID"}
        )
    assert raised.value.status_code == 400 and "ZDID" in raised.value.text


def test_a_new_merge_field_takes_values_of_its_type(api: Api) -> None:
    list_id = api.list_id()
    api.call(
        "POST",
        f"/lists/{list_id}/merge-fields",
        {
            "name": "Plan",
            "type": "dropdown",
            "tag": "PLAN",
            "options": {"choices": ["Free", "Pro"]},
        },
    )
    email = api.email_with("subscribed")
    ok = api.call(
        "PUT",
        f"/lists/{list_id}/members/{md5(email)}",
        {"email_address": email, "status_if_new": "subscribed", "merge_fields": {"PLAN": "Pro"}},
    )
    assert ok.json()["merge_fields"]["PLAN"] == "Pro"
    bad = api.call(
        "PUT",
        f"/lists/{list_id}/members/{md5(email)}",
        {
            "email_address": email,
            "status_if_new": "subscribed",
            "merge_fields": {"PLAN": "Platinum"},
        },
    )
    assert problem_of(bad, 400)["errors"][0]["field"] == "merge_fields.PLAN"


def test_a_required_merge_field_must_be_given_for_new_members(api: Api) -> None:
    list_id = api.list_id()
    api.call(
        "POST",
        f"/lists/{list_id}/merge-fields",
        {"name": "Store", "type": "text", "tag": "STORE", "required": True},
    )
    body = {"email_address": "needs.store@example.org", "status_if_new": "subscribed"}
    path = f"/lists/{list_id}/members/{md5('needs.store@example.org')}"
    assert (
        problem_of(api.call("PUT", path, body), 400)["errors"][0]["field"] == "merge_fields.STORE"
    )
    skipped = api.call("PUT", path, body, skip_merge_validation="True")
    assert skipped.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "text"}, "name"),
        ({"name": "Size", "type": "shoe"}, "type"),
        ({"name": "Size", "type": "text", "tag": "WAY_TOO_LONG_TAG"}, "tag"),
        ({"name": "Plan", "type": "radio"}, "options.choices"),
        ({"name": "Size", "type": "text", "required": "yes"}, "required"),
    ],
    ids=["no-name", "unknown-type", "tag-too-long", "radio-without-choices", "flag-not-boolean"],
)
def test_bad_merge_field_definitions_name_the_field(
    api: Api, body: dict[str, Any], field: str
) -> None:
    response = api.call("POST", f"/lists/{api.list_id()}/merge-fields", body)
    assert field in [e["field"] for e in problem_of(response, 400)["errors"]]


def test_the_clients_capitalised_booleans_are_understood(mailchimp_client: Any, api: Api) -> None:
    """mailchimp-marketing sends `include_unsubscribed=True`, as Python spells it."""
    list_id = api.list_id()
    newsletter = segment_named(api, "Newsletter")
    plain = mailchimp_client.lists.get_segment(list_id, newsletter["id"])
    wider = mailchimp_client.lists.get_segment(list_id, newsletter["id"], include_unsubscribed=True)
    assert wider["member_count"] > plain["member_count"]


@pytest.mark.parametrize(
    ("params", "counted"),
    [
        ({}, True),
        ({"fields": "segments"}, True),
        ({"fields": "segments.id,segments.member_count"}, True),
        ({"fields": "segments.id,segments.name"}, False),
        ({"exclude_fields": "segments.member_count"}, False),
        ({"exclude_fields": "segments"}, False),
    ],
)
def test_a_segments_member_count_is_shown_exactly_when_asked_for(
    api: Api, params: dict[str, str], counted: bool
) -> None:
    everyone = api.get(f"/lists/{api.list_id()}/segments", count=100).json()["segments"]
    answer = api.get(f"/lists/{api.list_id()}/segments", count=100, **params).json()
    shown = answer.get("segments", [])
    assert all(("member_count" in s) is counted for s in shown)
    if counted:
        assert [s["member_count"] for s in shown] == [s["member_count"] for s in everyone]
