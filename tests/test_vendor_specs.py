"""Behaviour of tests/vendor_specs.py, checked with the specs' own examples where they exist."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from tests import vendor_specs
from tests.vendor_specs import SchemaNotInSpec, assert_valid, load_spec, response_schema

OFFICIAL = vendor_specs.SPECS_DIR / "zendesk" / "official-components.yml"


def example(schema_name: str) -> Any:
    """The `example` Zendesk's official components give for one schema (a fresh copy)."""
    return copy.deepcopy(load_spec(OFFICIAL)["components"]["schemas"][schema_name]["example"])


def member(**changes: Any) -> dict[str, Any]:
    """A realistic Mailchimp list member, as GET /lists/{list_id}/members/{hash} returns it."""
    body: dict[str, Any] = {
        "id": "e9b2c3a1f0d4e5b6a7c8d9e0f1a2b3c4",
        "email_address": "ada@example.com",
        "unique_email_id": "a1b2c3d4e5",
        "contact_id": "c0ffee0123456789",
        "full_name": "Ada Lovelace",
        "web_id": 123456789,
        "email_type": "html",
        "status": "subscribed",
        "consents_to_one_to_one_messaging": True,
        "merge_fields": {"FNAME": "Ada", "LNAME": "Lovelace", "ZDID": 35436},
        "interests": {"9143cf3bd1": True},
        "stats": {"avg_open_rate": 0.5, "avg_click_rate": 0.1},
        "ip_signup": "",
        "timestamp_signup": "",
        "ip_opt": "198.51.100.7",
        "timestamp_opt": "2024-05-01T10:00:00+00:00",
        "member_rating": 2,
        "last_changed": "2024-05-01T10:00:00+00:00",
        "language": "en",
        "vip": False,
        "email_client": "",
        "location": {"latitude": 0, "longitude": 0, "gmtoff": 0, "dstoff": 0, "timezone": ""},
        "source": "API - Generic",
        "tags_count": 1,
        "tags": [{"id": 101, "name": "zendesk-vip"}],
        "list_id": "a1b2c3d4e5",
        "_links": [
            {"rel": "self", "href": "https://us1.api.mailchimp.com/3.0/lists/x", "method": "GET"}
        ],
    }
    body.update(changes)
    return body


def failure(api: str, method: str, path: str, status: int, body: Any) -> str:
    with pytest.raises(AssertionError) as caught:
        assert_valid(api, method, path, status, body)
    return str(caught.value)


def wrapped(wrapper: str, schema_name: str) -> Any:
    """An official example as a body: "" as is, "key" → {key: ex}, "key[]" → {key: [ex]}."""
    body = example(schema_name)
    if wrapper.endswith("[]"):
        return {wrapper[:-2]: [body]}
    return {wrapper: body} if wrapper else body


@pytest.mark.parametrize(
    ("method", "path", "wrapper", "schema_name"),
    [
        (
            "GET",
            "/api/v2/incremental/users/cursor",
            "",
            "CursorBasedExportIncrementalUsersResponse",
        ),
        (
            "GET",
            "/api/v2/incremental/tickets/cursor",
            "",
            "CursorBasedExportIncrementalTicketsResponse",
        ),
        (
            "GET",
            "/api/v2/satisfaction_ratings",
            "satisfaction_ratings[]",
            "SatisfactionRatingObject",
        ),
        ("GET", "/api/v2/user_fields", "user_fields[]", "UserFieldObject"),
        ("GET", "/api/v2/groups", "groups[]", "GroupObject"),
        ("GET", "/api/v2/job_statuses/{job_status_id}", "job_status", "JobStatusObject"),
        ("PUT", "/api/v2/users/update_many", "job_status", "JobStatusObject"),
        ("PUT", "/api/v2/tickets/update_many", "job_status", "JobStatusObject"),
        ("GET", "/api/v2/users/{user_id}", "user", "UserForAdmin"),
        ("GET", "/api/v2/users/me", "user", "UserForAdmin"),  # users.yml + official UserObject
    ],
)
def test_zendesk_official_examples_validate(
    method: str, path: str, wrapper: str, schema_name: str
) -> None:
    assert_valid("zendesk", method, path, 200, wrapped(wrapper, schema_name))


def test_incremental_users_cursor_rejects_a_string_end_of_stream_naming_its_path() -> None:
    body = example("CursorBasedExportIncrementalUsersResponse")
    body["end_of_stream"] = "true"
    message = failure("zendesk", "GET", "/api/v2/incremental/users/cursor", 200, body)
    assert "$.end_of_stream: 'true' is not of type 'boolean'" in message


def test_documented_nulls_are_accepted_and_undocumented_ones_are_not() -> None:
    body = example("CursorBasedExportIncrementalUsersResponse")  # before_cursor: null (nullable)
    body["after_cursor"] = None  # nullable too
    assert_valid("zendesk", "GET", "/api/v2/incremental/users/cursor", 200, body)
    body["end_of_stream"] = None  # `type: boolean`, not nullable
    message = failure("zendesk", "GET", "/api/v2/incremental/users/cursor", 200, body)
    assert "$.end_of_stream: None is not of type 'boolean'" in message


def test_the_nullable_enum_erratum_admits_null_priority_and_nothing_else() -> None:
    """OpenAPI 3.0.3: `nullable` does not widen an `enum`; KNOWN_SPEC_ERRATA lists null there."""
    body = example("CursorBasedExportIncrementalTicketsResponse")
    body["tickets"][0].update(assignee_id=None, priority=None)  # both `nullable: true`
    assert_valid("zendesk", "GET", "/api/v2/incremental/tickets/cursor", 200, body)
    body["tickets"][0]["priority"] = "critical"
    message = failure("zendesk", "GET", "/api/v2/incremental/tickets/cursor", 200, body)
    assert "$.tickets[0].priority: 'critical' is not one of" in message


def test_job_status_queued_validates_and_broken_one_lists_every_error() -> None:
    queued = {
        **dict.fromkeys(("message", "progress", "results"), None),
        **{"id": "8b72", "job_type": "bulk_update", "status": "queued", "total": 2, "url": "u"},
    }
    assert_valid("zendesk", "PUT", "/api/v2/users/update_many", 200, {"job_status": queued})
    broken = {"job_status": {**example("JobStatusObject"), "progress": "2", "total": "2"}}
    broken["job_status"]["results"][0].pop("success")
    message = failure("zendesk", "PUT", "/api/v2/users/update_many", 200, broken)
    assert "$.job_status.progress: '2' is not of type 'integer', 'null'" in message
    assert "$.job_status.total: '2' is not of type 'integer', 'null'" in message
    assert "$.job_status.results:" in message  # the result lacking `success` fits no oneOf branch
    assert "(3 errors)" in message


def test_user_with_wrong_types_fails_every_user_variant() -> None:
    message = failure("zendesk", "GET", "/api/v2/users/{user_id}", 200, {"user": {"id": "x"}})
    assert "$.user: " in message and "is not valid under any of the given schemas" in message
    assert "  $.user.id: 'x' is not of type 'integer'" in message  # the anyOf branches' reasons
    assert "  $.user: 'name' is a required property" in message


def test_error_list_is_capped() -> None:
    users = [{"id": f"bad-{n}", "name": n} for n in range(30)]
    body = {**example("CursorBasedExportIncrementalUsersResponse"), "users": users}
    message = failure("zendesk", "GET", "/api/v2/incremental/users/cursor", 200, body)
    assert len(message.splitlines()) == vendor_specs.MAX_LINES + 2
    assert message.splitlines()[-1].startswith("... and ")


def test_mailchimp_member_validates_and_bad_status_enum_fails() -> None:
    path = "/lists/{list_id}/members/{subscriber_hash}"
    assert_valid("mailchimp", "GET", path, 200, member())
    assert_valid("mailchimp", "PUT", path, 200, member(status="unsubscribed"))
    message = failure("mailchimp", "GET", path, 200, member(status="active", vip="no"))
    assert "$.status: 'active' is not one of ['subscribed', 'unsubscribed'," in message
    assert "$.vip: 'no' is not of type 'boolean'" in message


def test_mailchimp_ping() -> None:
    assert_valid("mailchimp", "GET", "/ping", 200, {"health_status": "Everything's Chimpy!"})
    message = failure("mailchimp", "GET", "/ping", 200, {"health_status": 1})
    assert "$.health_status: 1 is not of type 'string'" in message


def test_mailchimp_undeclared_status_uses_the_default_problem_document() -> None:
    problem = {
        "type": "https://mailchimp.com/developer/marketing/docs/errors/",
        "title": "Resource Not Found",
        "status": 404,
        "detail": "The requested resource could not be found.",
        "instance": "995c5cb0-3280-4a6e-808b-3b096d0bb219",
    }
    assert_valid("mailchimp", "GET", "/lists/{list_id}/members/{subscriber_hash}", 404, problem)
    del problem["instance"]
    message = failure("mailchimp", "GET", "/ping", 401, problem)
    assert "$: 'instance' is a required property" in message


def test_surveymonkey_has_no_schema_and_says_why() -> None:
    with pytest.raises(SchemaNotInSpec, match=r"SurveyMonkey publishes .* as markdown only"):
        response_schema("surveymonkey", "GET", "/v3/surveys/{id}/collectors", 200)


def test_path_not_in_spec_is_named() -> None:
    with pytest.raises(SchemaNotInSpec, match=r"'/api/v2/no_such_thing'"):
        response_schema("zendesk", "GET", "/api/v2/no_such_thing", 200)
    with pytest.raises(SchemaNotInSpec, match=r"relative to basePath /3\.0"):
        response_schema("mailchimp", "GET", "/3.0/ping", 200)


def test_bodyless_response_and_dangling_ref_are_reported() -> None:
    path = "/lists/{list_id}/members/{subscriber_hash}/actions/delete-permanent"
    with pytest.raises(SchemaNotInSpec, match=r"no schema for POST .*delete-permanent 204"):
        response_schema("mailchimp", "POST", path, 204)
    with pytest.raises(SchemaNotInSpec, match=r"#/components/schemas/DeletedUserObject"):
        response_schema("zendesk", "GET", "/api/v2/deleted_users", 200)
    with pytest.raises(SchemaNotInSpec, match=r"declares no 404 \(nor default\) response"):
        response_schema("zendesk", "GET", "/api/v2/users/{user_id}", 404)
    with pytest.raises(ValueError, match="unknown api"):
        response_schema("freshdesk", "GET", "/", 200)


def test_yaml_timestamps_stay_strings() -> None:
    assert example("GroupObject")["created_at"] == "2009-07-20T22:55:29Z"


def test_every_erratum_is_documented_and_applies_to_a_file() -> None:
    for erratum in vendor_specs.KNOWN_SPEC_ERRATA:
        assert erratum.what and erratum.why and erratum.evidence
        assert list(vendor_specs.SPECS_DIR.glob(erratum.files)), erratum.files


SYNTHETIC = """\
openapi: {version}
paths:
  /things:
    get:
      responses:
        "200":
          content:
            application/json:
              schema: {{$ref: '#/components/schemas/Thing'}}
components:
  schemas:
    Thing:
      type: object
      required: [name]
      properties:
        name: {{type: {name_type}}}
        note: {{type: string, nullable: true}}
"""


@pytest.mark.parametrize(
    ("version", "name_type", "validator", "null_note_ok"),
    [
        ("3.0.3", "string", "Draft4Validator", True),
        ("3.1.0", "[string, 'null']", "Draft202012Validator", False),
    ],
)
def test_openapi_version_picks_the_dialect(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    version: str,
    name_type: str,
    validator: str,
    null_note_ok: bool,
) -> None:
    (tmp_path / "mailchimp").mkdir()
    spec = SYNTHETIC.format(version=version, name_type=name_type)
    (tmp_path / "mailchimp" / "things.yml").write_text(spec, encoding="utf-8")
    monkeypatch.setattr(vendor_specs, "SPECS_DIR", tmp_path)
    assert type(response_schema("mailchimp", "GET", "/things", 200)).__name__ == validator
    assert_valid("mailchimp", "GET", "/things", 200, {"name": "a"})
    if version.startswith("3.1"):  # 2020-12 type lists work; 3.0's `nullable` means nothing
        assert_valid("mailchimp", "GET", "/things", 200, {"name": None})
    with_null_note = {"name": "a", "note": None}
    assert (
        response_schema("mailchimp", "GET", "/things", 200).is_valid(with_null_note) is null_note_ok
    )
    assert "'name' is a required property" in failure("mailchimp", "GET", "/things", 200, {})
