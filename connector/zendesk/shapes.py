"""Reading Zendesk's answers strictly: a body in a shape the API does not document is an error
that says which field of which record is wrong, never a record quietly left out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from connector.errors import FatalError, safe_path

SERVICE = "zendesk"
Json = dict[str, Any]


class UnexpectedResponse(FatalError):
    """Zendesk answered with success, but the body is not in the shape its API documents."""

    def __init__(self, method: str, url: str, detail: str) -> None:
        super().__init__(SERVICE, method, safe_path(url), 200, detail)


def record_list(body: Any, key: str, url: str, method: str = "GET") -> list[Json]:
    """`body[key]`, checked to be a list of objects."""
    if not isinstance(body, dict):
        shown = repr(body)[:80]
        raise UnexpectedResponse(method, url, f"expected a JSON object with {key!r}, got {shown}")
    records = body.get(key)
    if not isinstance(records, list):
        raise UnexpectedResponse(method, url, f"the body has no {key!r} list")
    for position, record in enumerate(records):
        if not isinstance(record, dict):
            raise UnexpectedResponse(
                method, url, f"{key}[{position}] is {type(record).__name__}, not an object"
            )
    return records


def need(record: Json, key: str, kind: type | tuple[type, ...], where: str, url: str) -> Any:
    """`record[key]`, which must be present and of `kind` (a bool is not an int here)."""
    value = record.get(key)
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if (
        value is None
        or (isinstance(value, bool) and bool not in kinds)
        or not isinstance(value, kinds)
    ):
        names = " or ".join(k.__name__ for k in kinds)
        raise UnexpectedResponse("GET", url, f"{where}: {key!r} should be {names}, got {value!r}")
    return value


def same_origin(url: str, origin: str, method: str = "GET") -> str:
    """`url` if it points at the account's own origin; credentials never follow a link elsewhere."""
    given, ours = urlsplit(url), urlsplit(origin)
    if (given.scheme, given.netloc.lower()) != (ours.scheme, ours.netloc.lower()):
        raise UnexpectedResponse(
            method,
            url,
            f"the next page is on {given.scheme}://{given.netloc}, not on {origin}; "
            "not following it with the account's credentials",
        )
    return url


def with_param(url: str, name: str, value: object, replace: bool = False) -> str:
    """`url` with `name=value` in its query; a value already there stays unless `replace`."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(key == name for key, _ in query):
        if not replace:
            return url
        query = [(key, v) for key, v in query if key != name]
    query.append((name, str(value)))
    return urlunsplit(parts._replace(query=urlencode(query, safe="[]")))


def url_with(origin: str, path: str, params: Mapping[str, object]) -> str:
    """The absolute URL of `path` on the account, with `params` (None values left out)."""
    query = urlencode([(k, str(v)) for k, v in params.items() if v is not None], safe="[]")
    return f"{origin}{path}?{query}" if query else f"{origin}{path}"
