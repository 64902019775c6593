"""Satisfaction ratings, the user field schema, groups and deleted users, as plain records."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from connector.zendesk import DeletedUser, FieldOption, Group, UnexpectedResponse, UserField
from tests.test_connector_zendesk_fixtures import BASE, fixture, make_connector

RATINGS = f"{BASE}/api/v2/satisfaction_ratings.json"
USER_FIELDS = f"{BASE}/api/v2/user_fields.json"
GROUPS = f"{BASE}/api/v2/groups.json"
DELETED = f"{BASE}/api/v2/deleted_users.json"
RATINGS1 = fixture("satisfaction_ratings_page1.json")
RATINGS2 = fixture("satisfaction_ratings_page2.json")


def query_of(call: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


# --- satisfaction ratings ----------------------------------------------------------------------


@responses.activate
def test_bad_ratings_are_read_page_after_page_by_links_next() -> None:
    responses.get(RATINGS, json=RATINGS1)
    responses.get(RATINGS, json=RATINGS2)

    ratings = list(make_connector().satisfaction_ratings_since(1_700_000_000, score="bad"))

    expected = [
        r["id"] for r in RATINGS1["satisfaction_ratings"] + RATINGS2["satisfaction_ratings"]
    ]
    assert [r["id"] for r in ratings] == expected
    assert {r["score"] for r in ratings} == {"bad"}
    assert query_of(responses.calls[0]) == {
        "page[size]": ["100"],
        "start_time": ["1700000000"],
        "score": ["bad"],
    }
    assert responses.calls[1].request.url == RATINGS1["links"]["next"]


@responses.activate
def test_has_more_without_a_next_link_asks_for_the_page_after_the_cursor() -> None:
    first = copy.deepcopy(RATINGS1)
    first["links"]["next"] = None
    responses.get(RATINGS, json=first)
    responses.get(RATINGS, json=RATINGS2)

    assert len(list(make_connector().satisfaction_ratings_since(0))) == 4
    assert query_of(responses.calls[1])["page[after]"] == [first["meta"]["after_cursor"]]
    assert query_of(responses.calls[1])["page[size]"] == ["100"]


@responses.activate
def test_a_next_link_that_points_back_at_a_page_already_read_raises() -> None:
    looping = copy.deepcopy(RATINGS1)
    looping["links"]["next"] = f"{RATINGS}?page%5Bsize%5D=100&start_time=0"
    responses.get(RATINGS, json=looping)

    with pytest.raises(UnexpectedResponse, match="came back again"):
        list(make_connector().satisfaction_ratings_since(0))

    assert len(responses.calls) == 1


@responses.activate
def test_has_more_with_no_way_to_the_next_page_is_an_error() -> None:
    stuck = copy.deepcopy(RATINGS1)
    stuck["links"]["next"] = None
    stuck["meta"]["after_cursor"] = None
    responses.get(RATINGS, json=stuck)

    with pytest.raises(UnexpectedResponse, match=r"neither links\.next nor a cursor"):
        list(make_connector().satisfaction_ratings_since(0))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"start_time": 0, "score": "terrible"}, "unknown score 'terrible'"),
        ({"start_time": "2024-01-01"}, "start_time must be Unix seconds"),
        ({"start_time": 0, "end_time": 1.5}, "end_time must be Unix seconds"),
    ],
    ids=["unknown-score", "start-time-as-text", "end-time-as-float"],
)
def test_a_bad_rating_filter_is_refused_before_any_request(
    arguments: dict[str, Any], message: str
) -> None:
    with responses.RequestsMock() as mock, pytest.raises(ValueError, match=message):
        make_connector().satisfaction_ratings_since(**arguments)  # refused before iterating
    assert len(mock.calls) == 0


# --- the user field schema ---------------------------------------------------------------------


@responses.activate
def test_user_fields_come_with_their_types_option_tags_and_checkbox_tags() -> None:
    responses.get(USER_FIELDS, json=fixture("user_fields.json"))

    fields = {field.key: field for field in make_connector().user_fields()}

    assert fields["vip"] == UserField(360010000004, "vip", "checkbox", "VIP", True, (), "vip")
    assert fields["plan_join_date"].type == "date" and fields["plan_join_date"].tag is None
    assert fields["product_line"].options[0] == FieldOption("Product Line A", "product_line_a")
    assert [o.tag for o in fields["social_influence"].options] == [
        "social_influence_high",
        "social_influence_medium",
        "social_influence_low",
    ]


@responses.activate
def test_user_fields_on_more_than_one_page_are_all_read() -> None:
    body = fixture("user_fields.json")
    first = {**body, "user_fields": body["user_fields"][:2], "next_page": f"{USER_FIELDS}?page=2"}
    second = {**body, "user_fields": body["user_fields"][2:], "next_page": None}
    responses.get(USER_FIELDS, json=first)
    responses.get(USER_FIELDS, json=second)

    keys = [field.key for field in make_connector().user_fields()]

    assert keys == [field["key"] for field in body["user_fields"]]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda f: f.pop("key"), r"user_fields\[1\] \(id 360010000002\): 'key' should be str"),
        (lambda f: f.update(id="7"), r"user_fields\[1\] \(id '7'\): 'id' should be int"),
        (
            lambda f: f.update(custom_field_options=[{"name": "x"}]),
            r"custom_field_options\[0\]: 'value' should be str",
        ),
    ],
    ids=["no-key", "id-as-text", "option-without-value"],
)
@responses.activate
def test_a_user_field_without_what_callers_need_is_an_error_naming_it(
    damage: Any, message: str
) -> None:
    body = fixture("user_fields.json")
    damage(body["user_fields"][1])
    responses.get(USER_FIELDS, json=body)

    with pytest.raises(UnexpectedResponse, match=message):
        make_connector().user_fields()


# --- groups and deleted users ------------------------------------------------------------------


@responses.activate
def test_groups_are_ids_and_names() -> None:
    responses.get(GROUPS, json=fixture("groups.json"))

    groups = make_connector().groups()

    assert Group(368900000004, "VIP Support") in groups
    assert len(groups) == len(fixture("groups.json")["groups"])


@responses.activate
def test_deleted_users_say_whether_they_were_permanently_deleted() -> None:
    body = fixture("deleted_users.json")
    first = copy.deepcopy(body)
    first["deleted_users"] = body["deleted_users"][:1]
    first["meta"].update(has_more=True, after_cursor="first")
    first["links"]["next"] = f"{DELETED}?page%5Bsize%5D=100&page%5Bafter%5D=first"
    second = {**body, "deleted_users": body["deleted_users"][1:]}
    responses.get(DELETED, json=first)
    responses.get(DELETED, json=second)

    deleted = list(make_connector().deleted_users())

    assert deleted == [
        DeletedUser(368000000081, "Permanently Deleted User", None, permanently_deleted=True),
        DeletedUser(
            368000000432,
            "Olivia Garcia",
            "olivia.garcia432@mail.example",
            permanently_deleted=False,
        ),
        DeletedUser(
            368000000467, "Lucas Jones", "lucas.jones467@shop.example", permanently_deleted=False
        ),
    ]
    assert query_of(responses.calls[0]) == {"page[size]": ["100"]}
