"""Zendesk's pagination: opaque cursors, cursor pagination (`page[size]`, `page[after]`,
`meta.has_more`, `links.next`) and offset pagination (`page`, `per_page`, `next_page`)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict


class BadPageParameter(ValueError):
    pass


def encode_cursor(updated_at: int, index: int) -> str:
    # Zendesk's cursors are base64 of "<time>.0||<id>|"; ours have the same look.
    return base64.urlsafe_b64encode(f"{updated_at}.0||{index}|".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode()).decode()
        stamp, _, rest = text.partition(".0||")
        return int(stamp), int(rest.rstrip("|"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadPageParameter(f"cursor {cursor!r} is not a cursor this endpoint issued") from None


def int_arg(args: MultiDict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadPageParameter(f"{name} must be an integer, got {raw!r}") from None
    if value < low:
        raise BadPageParameter(f"{name} must be at least {low}, got {value}")
    return min(value, high)


def uses_cursor_pagination(args: MultiDict[str, str]) -> bool:
    return "page[size]" in args or "page[after]" in args


def cursor_page(
    base: str,
    args: MultiDict[str, str],
    key: str,
    items: Sequence[Any],
    has_more: bool,
    after_cursor: str | None,
) -> dict[str, Any]:
    """A cursor-paginated body; `base` is the endpoint's absolute URL."""
    kept = [(k, v) for k, v in args.items(multi=True) if k != "page[after]"]
    next_url = f"{base}?{urlencode([*kept, ('page[after]', after_cursor)])}" if has_more else None
    return {
        key: list(items),
        "meta": {"has_more": has_more, "after_cursor": after_cursor, "before_cursor": None},
        "links": {"next": next_url, "prev": None},
    }


def offset_page(
    base: str,
    args: MultiDict[str, str],
    key: str,
    items: Sequence[Any],
    page: int,
    count: int,
    per_page: int,
) -> dict[str, Any]:
    kept = [(k, v) for k, v in args.items(multi=True) if k != "page"]

    def url(number: int) -> str:
        return f"{base}?{urlencode([*kept, ('page', str(number))])}"

    return {
        key: list(items),
        "next_page": url(page + 1) if page * per_page < count else None,
        "previous_page": url(page - 1) if page > 1 else None,
        "count": count,
    }
