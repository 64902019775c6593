"""What a request says about one member, checked against the shape Mailchimp's schema gives it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sandbox.mailchimp.model import WRITABLE_STATUSES
from sandbox.mailchimp.problems import BLANK, FieldError, json_type

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
_STRINGS = ("email_type", "language", "ip_signup", "ip_opt")
_TIMES = ("timestamp_signup", "timestamp_opt")
_EMAIL_TYPES = ("html", "text")


@dataclass
class MemberInput:
    email_address: str
    status: str | None = None
    status_if_new: str | None = None
    merge_fields: dict[str, Any] | None = None
    tags: list[str] | None = None
    email_type: str | None = None
    language: str | None = None
    vip: bool | None = None
    ip_signup: str | None = None
    ip_opt: str | None = None
    timestamp_signup: int | None = None
    timestamp_opt: int | None = None


def looks_like_email(text: str) -> bool:
    return bool(_EMAIL.match(text))


def parse_member(body: Any, where: str = "") -> tuple[MemberInput | None, list[FieldError]]:
    """The member a body describes, or every way its shape is wrong (fields prefixed by `where`)."""
    if not isinstance(body, dict):
        return None, [
            FieldError(where, f"Schema describes object, {json_type(body)} found instead")
        ]
    errors: list[FieldError] = []

    def problem(name: str, message: str) -> None:
        errors.append(FieldError(f"{where}{name}", message))

    email = body.get("email_address")
    if email is None or email == "":
        problem("email_address", BLANK)
    elif not isinstance(email, str):
        problem("email_address", f"Schema describes string, {json_type(email)} found instead")
    for name in ("status", "status_if_new"):
        value = body.get(name)
        if value is not None and value not in WRITABLE_STATUSES:
            problem(
                name,
                f"The value you selected is not a valid choice: {value!r} is not one of "
                f"{', '.join(WRITABLE_STATUSES)}.",
            )
    for name in _STRINGS:
        if name in body and not isinstance(body[name], str):
            problem(name, f"Schema describes string, {json_type(body[name])} found instead")
    if isinstance(body.get("email_type"), str) and body["email_type"] not in _EMAIL_TYPES:
        problem("email_type", "The email type must be html or text.")
    if "vip" in body and not isinstance(body["vip"], bool):
        problem("vip", f"Schema describes boolean, {json_type(body['vip'])} found instead")
    merge_fields = body.get("merge_fields")
    if merge_fields is not None and not isinstance(merge_fields, dict):
        problem("merge_fields", f"Schema describes object, {json_type(merge_fields)} found instead")
    tags = body.get("tags")
    if tags is not None and (
        not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags)
    ):
        problem("tags", "Tags must be an array of non-empty tag names.")
    times: dict[str, int | None] = {}
    for name in _TIMES:
        times[name] = _timestamp(body.get(name), f"{where}{name}", errors)
    if errors:
        return None, errors
    return MemberInput(
        email_address=str(email),
        status=body.get("status"),
        status_if_new=body.get("status_if_new"),
        merge_fields=merge_fields,
        tags=[t.strip() for t in tags] if tags is not None else None,
        email_type=body.get("email_type"),
        language=body.get("language"),
        vip=body.get("vip"),
        ip_signup=body.get("ip_signup"),
        ip_opt=body.get("ip_opt"),
        timestamp_signup=times["timestamp_signup"],
        timestamp_opt=times["timestamp_opt"],
    ), []


def parse_time(text: str) -> int | None:
    """Unix seconds from an ISO 8601 date-time (UTC when it names no offset), or None."""
    try:
        when = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp())


def _timestamp(value: Any, field: str, errors: list[FieldError]) -> int | None:
    if value is None or value == "":
        return None
    parsed = parse_time(value) if isinstance(value, str) else None
    if parsed is None:
        errors.append(
            FieldError(field, "Please use ISO 8601 time, e.g. 2015-10-21T15:41:36+00:00.")
        )
    return parsed
