"""Mailchimp's errors: `application/problem+json` bodies, with `errors[]` for field problems."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import NoReturn

from werkzeug.wrappers import Response

from sandbox.service import Json, Rejection, json_response

PROBLEM_TYPE = "https://mailchimp.com/developer/marketing/docs/errors/"
CONTENT_TYPE = "application/problem+json; charset=utf-8"

INVALID_RESOURCE = "Invalid Resource"
NOT_VALIDATED = (
    "The resource submitted could not be validated. "
    "For field-specific details, see the 'errors' array."
)
MERGE_FIELDS_INVALID = "Your merge fields were invalid."
NOT_FOUND = "Resource Not Found"
MEMBER_EXISTS = "Member Exists"
COMPLIANCE = "Member In Compliance State"
FORGOTTEN = "Forgotten Email Not Subscribed"
BAD_EMAIL = "Please provide a valid email address."
BLANK = "This value should not be blank."


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def as_json(self) -> Json:
        return {"field": self.field, "message": self.message}


def problem(
    status: int, title: str, detail: str, errors: list[FieldError] | None = None
) -> Response:
    body: Json = {
        "type": PROBLEM_TYPE,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": str(uuid.uuid4()),
    }
    if errors is not None:
        body["errors"] = [error.as_json() for error in errors]
    return json_response(body, status, content_type=CONTENT_TYPE)


def fail(status: int, title: str, detail: str, errors: list[FieldError] | None = None) -> NoReturn:
    raise Rejection(problem(status, title, detail, errors))


def not_found(what: str) -> NoReturn:
    fail(404, NOT_FOUND, f"The requested resource could not be found: {what}.")


def invalid(errors: list[FieldError], detail: str = NOT_VALIDATED) -> NoReturn:
    fail(400, INVALID_RESOURCE, detail, errors)


def invalid_field(field: str, message: str) -> NoReturn:
    invalid([FieldError(field, message)])


# --- the per-address refusals, worded as Mailchimp words them ------------------------------------


def exists_detail(email: str) -> str:
    return f"{email} is already a list member. Use PUT to insert or update list members."


def exists_in_batch(email: str) -> str:
    return (
        f"{email} is already a list member, do you want to update? "
        "please provide update_existing:true in the request body"
    )


def compliance_detail(email: str) -> str:
    return (
        f"{email} is already a list member in compliance state due to unsubscribe, bounce, "
        "or compliance review and cannot be subscribed."
    )


def forgotten_detail(email: str) -> str:
    return (
        f"{email} was permanently deleted and cannot be re-imported. "
        "The contact must re-subscribe to get back on the list."
    )


def json_type(value: object) -> str:
    """The JSON name of a value's type, as Mailchimp's schema errors say it."""
    if value is None:
        return "NULL"
    for kind, name in (
        (bool, "boolean"),
        (int, "integer"),
        (float, "number"),
        (str, "string"),
        (list, "array"),
        (dict, "object"),
    ):
        if isinstance(value, kind):
            return name
    return type(value).__name__
