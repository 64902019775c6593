"""The POST bodies the sandbox accepts, read and checked against collectors.md's argument tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.surveymonkey import checks
from sandbox.surveymonkey.checks import BAD_BODY
from sandbox.surveymonkey.errors import fail
from sandbox.surveymonkey.seed import REQUIRED_BODY_LINKS

EMULATED_COLLECTORS = ("email", "weblink")
OTHER_COLLECTORS = ("sms", "popup_invitation", "embedded_survey", "popup_survey")
POPUP_FIELDS = (
    "width",
    "height",
    "border_color",
    "is_branding_enabled",
    "headline",
    "message",
    "sample_rate",
    "primary_button",
    "secondary_button",
)
COLLECTOR_TEXTS = ("name", "thank_you_message", "disqualification_message", "closed_page_message")
COLLECTOR_NULLABLE_TEXTS = ("disqualification_url", "redirect_url", "password", "sender_email")
COLLECTOR_FIELDS = (
    "type",
    *COLLECTOR_TEXTS,
    *COLLECTOR_NULLABLE_TEXTS,
    "close_date",
    "display_survey_results",
    "edit_response_type",
    "anonymous_type",
    "allow_multiple_responses",
    "response_limit",
    "redirect_type",
)
MESSAGE_TYPES = ("invite", "reminder", "thank_you")
RECIPIENT_STATUSES = {
    "reminder": ("has_not_responded", "partially_responded"),
    "thank_you": ("completed", "responded", "partially_responded"),
}
MESSAGE_FIELDS = (
    "type",
    "recipient_status",
    "subject",
    "body_text",
    "body_html",
    "embed_first_question",
    "is_branding_enabled",
)
CONTACT_FIELDS = (
    "email",
    "phone_number",
    "first_name",
    "last_name",
    "custom_fields",
    "extra_fields",
)
CUSTOM_FIELD_KEYS = ("1", "2", "3", "4", "5", "6")


def _not_emulated(body: dict[str, Any], *copy_fields: str) -> None:
    for name in copy_fields:
        if name in body:
            raise fail(BAD_BODY, f"'{name}' (copying) is not emulated by the sandbox.")


def collector_body(raw: Any) -> tuple[str, dict[str, Any]]:
    """(type, settings) of a new collector."""
    body = checks.body_object(raw)
    _not_emulated(body, "from_collector_id")
    kind = checks.required_text(body, "type")
    if kind in OTHER_COLLECTORS:
        raise fail(
            BAD_BODY,
            f"'type' {kind!r} is valid but not emulated by the sandbox; use 'email' or 'weblink'.",
        )
    checks.choice(body, "type", EMULATED_COLLECTORS)
    popup = sorted(set(body) & set(POPUP_FIELDS))
    if popup:
        raise fail(BAD_BODY, f"'{popup[0]}' applies to popup collectors only, not to {kind!r}.")
    checks.no_unknown_fields(body, COLLECTOR_FIELDS)
    options: dict[str, Any] = {}
    for name in COLLECTOR_TEXTS:
        options[name] = checks.text(body, name)
    for name in COLLECTOR_NULLABLE_TEXTS:
        options[name] = checks.text(body, name, nullable=True)
    options["close_date"] = checks.date(body, "close_date")
    options["display_survey_results"] = checks.boolean(body, "display_survey_results")
    options["allow_multiple_responses"] = checks.boolean(body, "allow_multiple_responses")
    options["edit_response_type"] = checks.choice(
        body, "edit_response_type", ("until_complete", "never", "always")
    )
    options["anonymous_type"] = checks.choice(
        body, "anonymous_type", ("not_anonymous", "partially_anonymous", "fully_anonymous")
    )
    options["response_limit"] = checks.integer(body, "response_limit")
    options["redirect_type"] = checks.choice(body, "redirect_type", ("url", "close", "loop"))
    if kind == "email" and options["allow_multiple_responses"]:
        raise fail(BAD_BODY, "'allow_multiple_responses' is not available for email collectors.")
    if options["redirect_type"] == "loop" and not (
        kind == "weblink" and options["allow_multiple_responses"]
    ):
        raise fail(
            BAD_BODY,
            "'redirect_type' 'loop' needs a weblink collector with "
            "'allow_multiple_responses': true.",
        )
    return kind, {name: value for name, value in options.items() if name in body}


@dataclass(frozen=True)
class MessageBody:
    type: str
    recipient_status: str | None
    subject: str | None
    body: str | None
    embed_first_question: bool
    is_branding_enabled: bool


def message_body(raw: Any) -> MessageBody:
    body = checks.body_object(raw)
    _not_emulated(body, "from_collector_id", "from_message_id", "include_recipients")
    kind = checks.required_text(body, "type")
    if kind == "sms":
        raise fail(BAD_BODY, "'type' 'sms' needs an sms collector; this is an email collector.")
    checks.choice(body, "type", MESSAGE_TYPES)
    checks.no_unknown_fields(body, MESSAGE_FIELDS)
    allowed = RECIPIENT_STATUSES.get(kind)
    status = checks.text(body, "recipient_status", nullable=True)
    if allowed is None and status is not None:
        raise fail(BAD_BODY, "'recipient_status' applies to reminder and thank_you messages only.")
    if allowed is not None:
        status = checks.choice(body, "recipient_status", allowed) or allowed[0]
    text = checks.text(body, "body_html") or checks.text(body, "body_text")
    for name in ("body_html", "body_text"):
        given = checks.text(body, name)
        missing = [link for link in REQUIRED_BODY_LINKS if given is not None and link not in given]
        if missing:
            raise fail(
                BAD_BODY,
                f"'{name}' must include {', '.join(REQUIRED_BODY_LINKS)}; "
                f"it lacks {', '.join(missing)}.",
            )
    return MessageBody(
        type=kind,
        recipient_status=status,
        subject=checks.text(body, "subject"),
        body=text,
        embed_first_question=bool(checks.boolean(body, "embed_first_question")),
        is_branding_enabled=checks.boolean(body, "is_branding_enabled") is not False,
    )


@dataclass(frozen=True)
class ContactInput:
    email: str
    first_name: str
    last_name: str
    custom_fields: dict[str, str] | None
    extra_fields: dict[str, str]


@dataclass(frozen=True)
class BulkBody:
    contacts: list[ContactInput]
    contact_ids: list[str]
    contact_list_ids: list[str]


def bulk_body(raw: Any) -> BulkBody:
    body = checks.body_object(raw)
    checks.no_unknown_fields(body, ("contacts", "contact_ids", "contact_list_ids"))
    listed = body.get("contacts")
    if listed is not None and not isinstance(listed, list):
        raise fail(BAD_BODY, "'contacts' must be an array of contact objects.")
    contacts = [_contact(item, f"contacts[{n}].") for n, item in enumerate(listed or [])]
    bulk = BulkBody(
        contacts, checks.id_list(body, "contact_ids"), checks.id_list(body, "contact_list_ids")
    )
    if not (bulk.contacts or bulk.contact_ids or bulk.contact_list_ids):
        raise fail(BAD_BODY, "Give at least one of 'contacts', 'contact_ids', 'contact_list_ids'.")
    return bulk


def _contact(item: Any, where: str) -> ContactInput:
    if not isinstance(item, dict):
        raise fail(BAD_BODY, f"'{where.rstrip('.')}' must be a contact object.")
    checks.no_unknown_fields(item, CONTACT_FIELDS, where)
    email = checks.text(item, "email", where)
    if email is None:
        raise fail(BAD_BODY, f"'{where}email' is required for an email collector.")
    checks.text(item, "phone_number", where, nullable=True)
    custom = checks.string_map(item, "custom_fields", where)
    for key in custom or {}:
        if key not in CUSTOM_FIELD_KEYS:
            raise fail(BAD_BODY, f"'{where}custom_fields' keys are '1' to '6', got {key!r}.")
    return ContactInput(
        email=email,
        first_name=checks.text(item, "first_name", where, nullable=True) or "",
        last_name=checks.text(item, "last_name", where, nullable=True) or "",
        custom_fields=custom,
        extra_fields=checks.string_map(item, "extra_fields", where) or {},
    )


def send_body(raw: Any) -> int | None:
    """The scheduled date, if one was given."""
    body = checks.body_object(raw)
    checks.no_unknown_fields(body, ("scheduled_date",))
    return checks.date(body, "scheduled_date")
