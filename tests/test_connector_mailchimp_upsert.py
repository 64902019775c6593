"""The Mailchimp upsert: new members get `status_if_new`, existing ones keep their status."""

from __future__ import annotations

import json
from typing import Any

import pytest
import responses

from connector.errors import FatalError
from connector.mailchimp import MemberUpdate, subscriber_hash
from tests.mailchimp_connector_helpers import (
    LIST_ID,
    LIST_URL,
    PROBLEM,
    Waits,
    assert_no_secret,
    body_of,
    connector,
    fixture,
    problem,
)

JSON = {"Content-Type": "application/json"}
UNSUBSCRIBED = "lead1@example.net"  # as in batch_create.json / batch_update.json
CLEANED = "giulia.esposito17@example.org"


class FakeBatchEndpoint:
    """`POST /lists/{id}` over a dict of address → status, with the real endpoint's pitfall:
    with `update_existing`, a given `status` is applied to existing members too."""

    def __init__(self, statuses: dict[str, str]) -> None:
        self.statuses = {email.lower(): status for email, status in statuses.items()}
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: Any) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)
        self.bodies.append(body)
        answer: dict[str, list[Any]] = {"new_members": [], "updated_members": [], "errors": []}
        for member in body["members"]:
            email = member["email_address"]
            key = email.lower()
            if key in self.statuses and not body["update_existing"]:
                answer["errors"].append(
                    {
                        "email_address": email,
                        "error": f"{email} is already a list member",
                        "error_code": "ERROR_CONTACT_EXISTS",
                        "field": "",
                        "field_message": "",
                    }
                )
            elif key in self.statuses:
                self.statuses[key] = member.get("status", self.statuses[key])
                answer["updated_members"].append(
                    {"email_address": email, "status": self.statuses[key]}
                )
            elif "status" not in member:
                answer["errors"].append(
                    {
                        "email_address": email,
                        "error": "This value should not be blank.",
                        "error_code": "ERROR_GENERIC",
                        "field": "status",
                        "field_message": "This value should not be blank.",
                    }
                )
            else:
                self.statuses[key] = member["status"]
                answer["new_members"].append({"email_address": email, "status": member["status"]})
        return 200, JSON, json.dumps(answer)

    def sizes(self) -> list[tuple[bool, int]]:
        return [(b["update_existing"], len(b["members"])) for b in self.bodies]


def updates(*emails: str) -> list[MemberUpdate]:
    return [MemberUpdate(email, {"FNAME": "Synced"}) for email in emails]


def test_new_members_are_created_and_existing_ones_updated_without_a_status() -> None:
    members = [
        MemberUpdate("ann.new@example.org", {"FNAME": "Ann"}),
        MemberUpdate("bob.new@example.org"),
        MemberUpdate(UNSUBSCRIBED, {"FNAME": "Una"}),
        MemberUpdate(CLEANED),
        MemberUpdate("cat.new@example.org", {"BIRTHDAY": "31/31"}),
    ]
    update_answer = fixture("batch_update.json")
    update_answer["errors"] = []  # gone@example.org is another test's
    with responses.RequestsMock() as rsps:
        rsps.post(LIST_URL, json=fixture("batch_create.json"))
        rsps.post(LIST_URL, json=update_answer)
        result = connector().upsert(LIST_ID, members, "subscribed")
        create, update = (body_of(call) for call in rsps.calls)
    assert create["update_existing"] is False
    assert [m["status"] for m in create["members"]] == ["subscribed"] * 5
    assert update["update_existing"] is True
    assert [m["email_address"] for m in update["members"]] == [UNSUBSCRIBED, CLEANED]
    assert not any("status" in m or "status_if_new" in m for m in update["members"])
    assert update["members"][0]["merge_fields"] == {"FNAME": "Una"}
    assert "merge_fields" not in update["members"][1]  # nothing to write but the address
    outcomes = {o.email: (o.action, o.status) for o in result.outcomes}
    assert outcomes == {
        "ann.new@example.org": ("created", "subscribed"),
        "bob.new@example.org": ("created", "subscribed"),
        UNSUBSCRIBED: ("updated", "unsubscribed"),
        CLEANED: ("updated", "cleaned"),
        "cat.new@example.org": ("failed", None),
    }
    (failed,) = result.failed
    assert failed.error_code == "ERROR_GENERIC" and failed.field == "merge_fields.BIRTHDAY"
    assert failed.message == (
        "Your merge fields were invalid. (Please enter a birthday as MM/DD (e.g. 04/25).)"
    )


@pytest.mark.parametrize("status_if_new", ["subscribed", "pending", "transactional"])
def test_an_unsubscribed_or_cleaned_member_keeps_its_status(status_if_new: str) -> None:
    audience = FakeBatchEndpoint({"un@example.org": "unsubscribed", "cl@example.org": "cleaned"})
    with responses.RequestsMock() as rsps:
        rsps.add_callback(responses.POST, LIST_URL, callback=audience)
        result = connector().upsert(
            LIST_ID, updates("un@example.org", "cl@example.org", "new@example.org"), status_if_new
        )
    assert audience.statuses == {
        "un@example.org": "unsubscribed",
        "cl@example.org": "cleaned",
        "new@example.org": status_if_new,
    }
    assert {o.email: o.action for o in result.outcomes} == {
        "un@example.org": "updated",
        "cl@example.org": "updated",
        "new@example.org": "created",
    }


def test_501_new_members_go_as_500_then_1() -> None:
    audience = FakeBatchEndpoint({})
    members = [MemberUpdate(f"m{n}@example.org") for n in range(501)]
    with responses.RequestsMock() as rsps:
        rsps.add_callback(responses.POST, LIST_URL, callback=audience)
        result = connector().upsert(LIST_ID, members, "subscribed")
    assert sorted(audience.sizes()) == [(False, 1), (False, 500)]
    assert len(result.created) == 501 and not result.failed


def test_existing_members_are_gathered_into_full_update_batches() -> None:
    """600 existing spread over two create batches: updates go as 500 + 100, not 500 + 100 +..."""
    existing = {f"old{n}@example.org": "subscribed" for n in range(600)}
    audience = FakeBatchEndpoint(existing)
    members = [MemberUpdate(f"old{n}@example.org") for n in range(600)]
    members += [MemberUpdate(f"new{n}@example.org") for n in range(400)]
    with responses.RequestsMock() as rsps:
        rsps.add_callback(responses.POST, LIST_URL, callback=audience)
        result = connector().upsert(LIST_ID, members, "pending")
    assert sorted(audience.sizes()) == [(False, 500), (False, 500), (True, 100), (True, 500)]
    assert (len(result.created), len(result.updated), len(result.failed)) == (400, 600, 0)


def test_members_known_to_exist_skip_the_create_pass() -> None:
    """700 known members and 300 new ones: 500 + 200 updates and 300 creates, one call each."""
    audience = FakeBatchEndpoint({f"old{n}@example.org": "unsubscribed" for n in range(700)})
    members = [
        MemberUpdate(f"old{n}@example.org", {"FNAME": "Old"}, exists=True) for n in range(700)
    ]
    members += [MemberUpdate(f"new{n}@example.org") for n in range(300)]
    with responses.RequestsMock() as rsps:
        rsps.add_callback(responses.POST, LIST_URL, callback=audience)
        result = connector().upsert(LIST_ID, members, "subscribed")
    assert sorted(audience.sizes()) == [(False, 300), (True, 200), (True, 500)]
    updates_sent = [m for b in audience.bodies if b["update_existing"] for m in b["members"]]
    assert not any("status" in m for m in updates_sent)
    assert {audience.statuses[f"old{n}@example.org"] for n in range(700)} == {"unsubscribed"}
    assert (len(result.created), len(result.updated), len(result.failed)) == (300, 700, 0)


def test_a_member_wrongly_thought_to_exist_is_added_with_status_if_new() -> None:
    """The caller's record was stale: the update pass refuses it, the PUT adds it as new."""
    audience = FakeBatchEndpoint({"here@example.org": "subscribed"})
    put_url = f"{LIST_URL}/members/{subscriber_hash('gone@example.org')}"
    members = [
        MemberUpdate("here@example.org", {"FNAME": "Here"}, exists=True),
        MemberUpdate("gone@example.org", {"FNAME": "Gone"}, exists=True),
    ]
    with responses.RequestsMock() as rsps:
        rsps.add_callback(responses.POST, LIST_URL, callback=audience)
        rsps.put(put_url, json=fixture("member_put.json"))
        result = connector().upsert(LIST_ID, members, "pending")
        put = body_of(rsps.calls[1])
    assert audience.sizes() == [(True, 2)]
    assert put["status_if_new"] == "pending" and "status" not in put
    assert {o.email: o.action for o in result.outcomes} == {
        "here@example.org": "updated",
        "gone@example.org": "updated",
    }


def test_a_member_refused_for_lack_of_a_status_goes_through_put_with_status_if_new() -> None:
    """It existed at the create pass and not at the update pass (or the API wants a status)."""
    create_answer = {
        "new_members": [],
        "updated_members": [],
        "errors": [
            {
                "email_address": "gone@example.org",
                "error": "gone@example.org is already a list member",
                "error_code": "ERROR_CONTACT_EXISTS",
                "field": "",
                "field_message": "",
            }
        ],
    }
    update_answer = fixture("batch_update.json")
    update_answer["updated_members"] = []
    put_url = f"{LIST_URL}/members/{subscriber_hash('gone@example.org')}"
    with responses.RequestsMock() as rsps:
        rsps.post(LIST_URL, json=create_answer)
        rsps.post(LIST_URL, json=update_answer)
        rsps.put(put_url, json=fixture("member_put.json"))
        result = connector().upsert(LIST_ID, updates("gone@example.org"), "pending")
        put = body_of(rsps.calls[2])
    assert put == {
        "email_address": "gone@example.org",
        "status_if_new": "pending",
        "merge_fields": {"FNAME": "Synced"},
    }
    (outcome,) = result.outcomes
    assert (outcome.action, outcome.status) == ("updated", "subscribed")


def test_a_put_refused_with_400_is_the_members_failure() -> None:
    create_answer = {
        "new_members": [],
        "updated_members": [],
        "errors": [{"email_address": "dee@example.org", "error_code": "ERROR_CONTACT_EXISTS"}],
    }
    update_answer = {
        "new_members": [],
        "updated_members": [],
        "errors": [{"email_address": "dee@example.org", "field": "status", "error": "blank"}],
    }
    with responses.RequestsMock() as rsps:
        rsps.post(LIST_URL, json=create_answer)
        rsps.post(LIST_URL, json=update_answer)
        rsps.put(
            f"{LIST_URL}/members/{subscriber_hash('dee@example.org')}",
            status=400,
            json=fixture("problem_400_merge_fields.json"),
            headers=PROBLEM,
        )
        result = connector().upsert(LIST_ID, updates("dee@example.org"), "subscribed")
    (failed,) = result.failed
    assert failed.error_code == "HTTP_400"
    assert failed.message is not None and "Your merge fields were invalid." in failed.message


def test_a_compliance_error_is_the_members_outcome_not_an_exception() -> None:
    email = "sophia.moore37@mail.example"
    with responses.RequestsMock() as rsps:
        rsps.post(LIST_URL, json=fixture("batch_compliance.json"))
        result = connector().upsert(LIST_ID, updates(email), "subscribed")
        assert len(rsps.calls) == 1  # neither updated nor PUT: refused is refused
    (failed,) = result.failed
    assert failed.email == email and failed.field == "status"
    assert failed.message is not None and "in compliance state" in failed.message
    assert "A unsubscribed member cannot become subscribed." in failed.message


def test_addresses_are_matched_in_any_letter_case() -> None:
    with responses.RequestsMock() as rsps:
        rsps.post(LIST_URL, json=fixture("batch_create.json"))
        result = connector().upsert(LIST_ID, [MemberUpdate("  Ann.New@Example.ORG ")], "pending")
        assert body_of(rsps.calls[0])["members"][0]["email_address"] == "Ann.New@Example.ORG"
    assert [(o.email, o.action) for o in result.outcomes] == [("Ann.New@Example.ORG", "created")]


def test_duplicates_and_unusable_members_fail_without_being_sent() -> None:
    audience = FakeBatchEndpoint({})
    members = [
        MemberUpdate("ann@example.org"),
        MemberUpdate("ANN@example.org"),
        MemberUpdate("not an address"),
        MemberUpdate("bob@example.org", {"FNAME": {1, 2}}),
        MemberUpdate("cat@example.org", {"": "x"}),
    ]
    with responses.RequestsMock() as rsps:
        rsps.add_callback(responses.POST, LIST_URL, callback=audience)
        result = connector().upsert(LIST_ID, members, "subscribed")
    assert [m["email_address"] for b in audience.bodies for m in b["members"]] == [
        "ann@example.org"
    ]
    failures = {(o.email, o.error_code, o.field) for o in result.failed}
    assert failures == {
        ("ANN@example.org", "DUPLICATE_INPUT", "email_address"),
        ("not an address", "INVALID_INPUT", "email_address"),
        ("bob@example.org", "INVALID_INPUT", "merge_fields"),
        ("cat@example.org", "INVALID_INPUT", "merge_fields"),
    }
    assert len(result.outcomes) == len(members)


def test_a_member_the_answer_does_not_mention_fails_rather_than_vanishes() -> None:
    with responses.RequestsMock() as rsps:
        rsps.post(LIST_URL, json={"new_members": [], "updated_members": [], "errors": []})
        result = connector().upsert(LIST_ID, updates("ann@example.org"), "subscribed")
    (failed,) = result.failed
    assert failed.error_code == "MISSING_FROM_ANSWER"


def test_a_batch_that_keeps_failing_fails_each_of_its_members_as_data() -> None:
    waits = Waits()
    with responses.RequestsMock() as rsps:
        rsps.post(LIST_URL, status=503, json=problem(503, "Service Unavailable", "later"))
        result = connector(waits, max_attempts=3).upsert(
            LIST_ID, updates("a@example.org", "b@example.org"), "subscribed"
        )
        assert len(rsps.calls) == 3
    assert [o.error_code for o in result.outcomes] == ["RETRIES_EXHAUSTED"] * 2
    message = result.outcomes[0].message or ""
    assert "POST /3.0/lists/6e57235ec6 answered 503" in message and "after 3 attempts" in message
    assert len(waits.seconds) == 2
    assert_no_secret(*result.outcomes)


def test_a_bodiless_429_on_a_batch_is_retried() -> None:
    waits = Waits()
    audience = FakeBatchEndpoint({})
    with responses.RequestsMock() as rsps:
        rsps.post(LIST_URL, status=429, body=b"")
        rsps.add_callback(responses.POST, LIST_URL, callback=audience)
        result = connector(waits).upsert(LIST_ID, updates("a@example.org"), "subscribed")
    assert [o.action for o in result.outcomes] == ["created"] and len(waits.seconds) == 1


def test_a_batch_refused_as_a_whole_raises() -> None:
    with responses.RequestsMock() as rsps:
        rsps.post(LIST_URL, status=401, json=fixture("problem_401.json"), headers=PROBLEM)
        with pytest.raises(FatalError) as raised:
            connector().upsert(LIST_ID, updates("a@example.org"), "subscribed")
    assert raised.value.status == 401
    assert_no_secret(raised.value)


def test_outcomes_stream_as_batches_finish() -> None:
    audience = FakeBatchEndpoint({})
    members = (MemberUpdate(f"m{n}@example.org") for n in range(1200))
    with responses.RequestsMock() as rsps:
        rsps.add_callback(responses.POST, LIST_URL, callback=audience)
        stream = connector(max_connections=1).upsert_stream(LIST_ID, members, "subscribed")
        first = next(stream)
        assert len(audience.bodies) == 1  # one batch sent, the rest not yet read
        rest = list(stream)
    assert first.action == "created" and len(rest) == 1199


@pytest.mark.parametrize("status", ["archived", "Subscribed", ""], ids=repr)
def test_status_if_new_must_be_a_status_a_member_can_be_given(status: str) -> None:
    with pytest.raises(ValueError, match="status_if_new must be one of subscribed"):
        connector().upsert(LIST_ID, updates("a@example.org"), status)


def test_upsert_takes_member_updates_only() -> None:
    with pytest.raises(TypeError, match="item 0 is a dict"):
        connector().upsert(LIST_ID, [{"email": "a@example.org"}], "subscribed")  # type: ignore[list-item]
