"""Field checks that answer as SurveyMonkey does: 1002 for a bad body, 1003 for a bad query.

Each failure names the field (`contacts[3].email`) and says what it should have been.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from werkzeug.datastructures import MultiDict

from sandbox.surveymonkey.errors import fail

BAD_BODY, BAD_QUERY = "1002", "1003"
MAX_PAGE_SIZE = 1000  # "Max Page Size: 1000 resources" (overview.md, Response Limits)


def body_object(body: Any) -> dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise fail(BAD_BODY, f"The body must be a JSON object, got {type(body).__name__}.")
    return body


def no_unknown_fields(body: Mapping[str, Any], known: Iterable[str], where: str = "") -> None:
    unknown = sorted(set(body) - set(known))
    if unknown:
        names = ", ".join(f"'{where}{name}'" for name in unknown)
        raise fail(BAD_BODY, f"Unknown field {names}; known fields: {', '.join(sorted(known))}.")


def text(body: Mapping[str, Any], name: str, where: str = "", nullable: bool = False) -> str | None:
    value = body.get(name)
    if value is None and (nullable or name not in body):
        return None
    if not isinstance(value, str):
        raise fail(BAD_BODY, f"'{where}{name}' must be a string, got {_kind(value)}.")
    return value


def required_text(body: Mapping[str, Any], name: str, where: str = "") -> str:
    if body.get(name) is None:
        raise fail(BAD_BODY, f"'{where}{name}' is required.")
    value = text(body, name, where)
    assert value is not None
    return value


def boolean(body: Mapping[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if name in body and not isinstance(value, bool):
        raise fail(BAD_BODY, f"'{name}' must be a boolean, got {_kind(value)}.")
    return value


def integer(body: Mapping[str, Any], name: str, minimum: int = 1) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise fail(BAD_BODY, f"'{name}' must be an integer of at least {minimum}, got {value!r}.")
    return value


def choice(
    body: Mapping[str, Any], name: str, allowed: Iterable[str], where: str = ""
) -> str | None:
    value = text(body, name, where)
    options = tuple(allowed)
    if value is not None and value not in options:
        quoted = ", ".join(f"'{option}'" for option in options)
        raise fail(BAD_BODY, f"'{where}{name}' must be one of {quoted}, got {value!r}.")
    return value


def string_map(body: Mapping[str, Any], name: str, where: str = "") -> dict[str, str] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise fail(BAD_BODY, f"'{where}{name}' must be an object, got {_kind(value)}.")
    for key, item in value.items():
        if not isinstance(item, str):
            raise fail(BAD_BODY, f"'{where}{name}.{key}' must be a string, got {_kind(item)}.")
    return dict(value)


def id_list(body: Mapping[str, Any], name: str) -> list[str]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise fail(BAD_BODY, f"'{name}' must be an array of ids, got {_kind(value)}.")
    ids = []
    for position, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, (str, int)) or not str(item).isdigit():
            raise fail(BAD_BODY, f"'{name}[{position}]' must be an id string, got {item!r}.")
        ids.append(str(item))
    return ids


def date(body: Mapping[str, Any], name: str) -> int | None:
    """A date string as the reference writes them, YYYY-MM-DDTHH:MM:SS+HH:MM, UTC if no offset."""
    value = text(body, name, nullable=True)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise fail(
            BAD_BODY,
            f"'{name}' must be a date string like 2015-10-06T12:56:55+00:00, got {value!r}.",
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def page_args(args: MultiDict[str, str]) -> tuple[int, int]:
    """(page, per_page) from the query; per_page defaults to 50 and may be at most 1000."""
    page = _query_int(args, "page", 1, 1, 2_147_483_647)
    per_page = _query_int(args, "per_page", 50, 1, MAX_PAGE_SIZE)
    return page, per_page


def query_choice(args: MultiDict[str, str], name: str, allowed: Iterable[str]) -> str | None:
    value = args.get(name)
    options = tuple(allowed)
    if value is not None and value not in options:
        raise fail(BAD_QUERY, f"'{name}' must be one of {', '.join(options)}, got {value!r}.")
    return value


def query_list(args: MultiDict[str, str], name: str, allowed: Iterable[str]) -> list[str]:
    raw = args.get(name)
    if not raw:
        return []
    options = tuple(allowed)
    values = [value.strip() for value in raw.split(",")]
    for value in values:
        if value not in options:
            raise fail(BAD_QUERY, f"'{name}' may list {', '.join(options)}; got {value!r}.")
    return values


def query_date(args: MultiDict[str, str], name: str) -> int | None:
    """A date query parameter, YYYY-MM-DDTHH:MM:SS (no offset: UTC)."""
    raw = args.get(name)
    if raw is None:
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise fail(
            BAD_QUERY, f"'{name}' must be a date like 2015-10-06T12:56:55, got {raw!r}."
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def _query_int(args: MultiDict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise fail(BAD_QUERY, f"'{name}' must be an integer from {low} to {high}, got {raw!r}.")
    return int(raw)


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), f"{type(value).__name__} {value!r}")
