"""Merge fields: an audience's custom member fields, their definitions and the values they take."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sandbox.mailchimp.problems import BLANK, FieldError, invalid, json_type

TYPES = (
    "text",
    "number",
    "address",
    "phone",
    "date",
    "url",
    "imageurl",
    "radio",
    "dropdown",
    "birthday",
    "zip",
)
DATE_FORMATS = {"MM/DD/YYYY": "%m/%d/%Y", "DD/MM/YYYY": "%d/%m/%Y"}
BIRTHDAY_FORMATS = ("MM/DD", "DD/MM")
TAG_PATTERN = re.compile(r"^[A-Z0-9_]{1,10}$")
ADDRESS_PARTS = ("addr1", "city", "state", "zip")
_TEXT_LIMIT = 255
_URL = re.compile(r"^https?://[^\s/$.?#].[^\s]*$", re.IGNORECASE)
_ZIP = re.compile(r"^\d{5}(-\d{4})?$")


@dataclass
class MergeField:
    merge_id: int
    tag: str
    name: str
    type: str
    required: bool = False
    default_value: str = ""
    public: bool = True
    display_order: int = 0
    options: dict[str, Any] = field(default_factory=dict)
    help_text: str = ""


def seeded_merge_fields() -> list[MergeField]:
    return [
        MergeField(1, "FNAME", "First Name", "text", display_order=2, options={"size": 25}),
        MergeField(2, "LNAME", "Last Name", "text", display_order=3, options={"size": 25}),
        MergeField(
            3, "PHONE", "Phone Number", "phone", display_order=4, options={"phone_format": "none"}
        ),
        MergeField(
            4, "BIRTHDAY", "Birthday", "birthday", display_order=5, options={"date_format": "MM/DD"}
        ),
    ]


def default_options(kind: str) -> dict[str, Any]:
    defaults: dict[str, dict[str, Any]] = {
        "text": {"size": 25},
        "phone": {"phone_format": "none"},
        "date": {"date_format": "MM/DD/YYYY"},
        "birthday": {"date_format": "MM/DD"},
        "address": {"default_country": 164},
    }
    return dict(defaults.get(kind, {}))


def value_problem(merge_field: MergeField, value: Any) -> str | None:
    """Why `value` cannot go in `merge_field`, or None. An empty value clears the field."""
    if value is None or value == "":
        return None
    kind = merge_field.type
    if kind == "address":
        return _address_problem(value)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return f"Expected a {kind} value as a string, got {type(value).__name__}."
    text = str(value)
    if kind == "text":
        return f"Must be at most {_TEXT_LIMIT} characters." if len(text) > _TEXT_LIMIT else None
    if kind == "number":
        return None if _is_number(text) else "Please enter a number."
    if kind in ("url", "imageurl"):
        return None if _URL.match(text) else "Please enter a valid URL (http:// or https://)."
    if kind == "zip":
        return None if _ZIP.match(text) else "Please enter a valid US zip code (12345)."
    if kind in ("radio", "dropdown"):
        choices = merge_field.options.get("choices", [])
        return None if text in choices else f"Must be one of: {', '.join(choices)}."
    if kind == "date":
        return _date_problem(text, merge_field.options.get("date_format", "MM/DD/YYYY"))
    if kind == "birthday":
        return _birthday_problem(text, merge_field.options.get("date_format", "MM/DD"))
    return None  # phone: any text, as with phone_format "none"


def check_values(
    values: Any, fields: list[MergeField], *, new_member: bool, skip_required: bool, where: str
) -> list[FieldError]:
    """Every problem with a member's `merge_fields`, each naming the merge tag."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        return [FieldError(where, "Merge fields must be an object keyed by merge tag.")]
    by_tag = {f.tag: f for f in fields}
    errors = [
        FieldError(f"{where}.{tag}", f"{tag} is not a merge field of this audience.")
        for tag in values
        if tag not in by_tag
    ]
    for tag, value in values.items():
        if tag in by_tag and (message := value_problem(by_tag[tag], value)) is not None:
            errors.append(FieldError(f"{where}.{tag}", message))
    if new_member and not skip_required:
        errors += [
            FieldError(f"{where}.{f.tag}", BLANK)
            for f in fields
            if f.required and values.get(f.tag) in (None, "") and not f.default_value
        ]
    return errors


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _date_problem(text: str, date_format: str) -> str | None:
    for pattern in ("%Y-%m-%d", DATE_FORMATS.get(date_format, "%m/%d/%Y")):
        try:
            datetime.strptime(text, pattern)
        except ValueError:
            continue
        return None
    return f"Please enter the date as YYYY-MM-DD or {date_format}."


def _birthday_problem(text: str, date_format: str) -> str | None:
    match = re.fullmatch(r"(\d{2})/(\d{2})", text)
    if match:
        first, second = int(match[1]), int(match[2])
        month, day = (first, second) if date_format == "MM/DD" else (second, first)
        try:
            date(2000, month, day)  # a leap year, so 02/29 is a birthday
        except ValueError:
            pass
        else:
            return None
    return f"Please enter a birthday as {date_format} (e.g. 04/25)."


def _address_problem(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "An address is an object with addr1, addr2, city, state, zip and country."
    missing = [part for part in ADDRESS_PARTS if not str(value.get(part) or "").strip()]
    return f"The address is missing {', '.join(missing)}." if missing else None


def new_merge_field(body: Any, existing: list[MergeField]) -> MergeField:
    """The merge field a POST body defines, or the 400 that says what is wrong with it."""
    if not isinstance(body, dict):
        invalid([FieldError("", f"Schema describes object, {json_type(body)} found instead")])
    errors: list[FieldError] = []
    name, kind = body.get("name"), body.get("type")
    if not isinstance(name, str) or not name.strip():
        errors.append(FieldError("name", BLANK))
    if kind not in TYPES:
        errors.append(FieldError("type", f"{kind!r} is not one of: {', '.join(TYPES)}."))
    for key, expected in (
        ("required", bool),
        ("public", bool),
        ("display_order", int),
        ("default_value", str),
        ("help_text", str),
        ("options", dict),
    ):
        if key in body and (
            not isinstance(body[key], expected) or (expected is int and isinstance(body[key], bool))
        ):
            errors.append(
                FieldError(
                    key,
                    f"Schema describes {_schema_name(expected)}, "
                    f"{json_type(body[key])} found instead",
                )
            )
    options = {**default_options(str(kind)), **(body.get("options") or {})}
    if kind in ("radio", "dropdown"):
        choices = options.get("choices")
        if (
            not isinstance(choices, list)
            or not choices
            or not all(isinstance(c, str) for c in choices)
        ):
            errors.append(FieldError("options.choices", f"A {kind} field needs a list of choices."))
    if kind == "date" and options.get("date_format") not in DATE_FORMATS:
        errors.append(FieldError("options.date_format", f"Use one of {', '.join(DATE_FORMATS)}."))
    if kind == "birthday" and options.get("date_format") not in BIRTHDAY_FORMATS:
        errors.append(
            FieldError("options.date_format", f"Use one of {', '.join(BIRTHDAY_FORMATS)}.")
        )
    merge_id = max((f.merge_id for f in existing), default=0) + 1
    tag = _tag_for(body.get("tag"), str(name or ""), merge_id, existing, errors)
    if errors:
        invalid(errors)
    if any(f.tag == tag for f in existing):
        invalid(
            [FieldError("tag", f"The merge tag {tag} is already used by this audience.")],
            detail=f'A Merge Field with the tag "{tag}" already exists for this list.',
        )
    return MergeField(
        merge_id=merge_id,
        tag=tag,
        name=str(name).strip(),
        type=str(kind),
        required=bool(body.get("required", False)),
        default_value=str(body.get("default_value", "")),
        public=bool(body.get("public", True)),
        display_order=int(body.get("display_order", merge_id + 1)),
        options=options,
        help_text=str(body.get("help_text", "")),
    )


def _tag_for(
    given: Any, name: str, merge_id: int, existing: list[MergeField], errors: list[FieldError]
) -> str:
    if given is None:
        made = re.sub(r"[^A-Z0-9_]", "", name.upper())[:10]
        taken = {f.tag for f in existing}
        return made if made and made not in taken else f"MMERGE{merge_id}"
    tag = given.upper() if isinstance(given, str) else ""
    if not TAG_PATTERN.match(tag):
        errors.append(FieldError("tag", "A merge tag is 1 to 10 letters, digits or underscores."))
    return tag


def _schema_name(expected: type) -> str:
    return {bool: "boolean", int: "integer", str: "string", dict: "object"}[expected]
