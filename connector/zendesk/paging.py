"""Zendesk's list pagination, followed to the end with a guard against pages that never end.

Cursor pagination (`page[size]`, `meta.has_more`, `links.next`) is what Zendesk recommends; a
few endpoints still answer with offset pagination (`next_page`) when asked without `page[size]`,
so both are followed. The next page's URL is the server's own, used as given once it is known to
point at the account.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from connector.errors import safe_path
from connector.http import JsonApi
from connector.zendesk.shapes import (
    Json,
    UnexpectedResponse,
    record_list,
    same_origin,
    url_with,
    with_param,
)

PAGE_SIZE = 100  # the most Zendesk's cursor pagination gives


class LoopGuard:
    """Remembers the pages already asked for; a page asked for twice means the paging loops."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._seen: set[str] = set()

    def check(self, marker: str, url: str, shown: str | None = None) -> None:
        if marker in self._seen:
            raise UnexpectedResponse(
                "GET",
                url,
                f"{self.what} {shown or marker!r} came back again: the paging would never end",
            )
        self._seen.add(marker)


class ListPages:
    """The pages (lists of records under `key`) of one list endpoint, first to last."""

    def __init__(
        self, api: JsonApi, path: str, key: str, params: Mapping[str, Any] | None = None
    ) -> None:
        self.api = api
        self.key = key
        self.first_url = url_with(api.base_url, path, params or {})

    def __iter__(self) -> Iterator[list[Json]]:
        guard = LoopGuard("the next-page link")
        url: str | None = self.first_url
        while url is not None:
            guard.check(_normalized(url), url, safe_path(url))
            body = self.api.request("GET", url)
            yield record_list(body, self.key, url)
            url = self._next(body, url)

    def _next(self, body: Json, url: str) -> str | None:
        meta, links = body.get("meta"), body.get("links")
        if isinstance(meta, dict):
            if not meta.get("has_more"):
                return None
            link = links.get("next") if isinstance(links, dict) else None
            if isinstance(link, str) and link:
                return same_origin(link, self.api.base_url)
            cursor = meta.get("after_cursor")
            if isinstance(cursor, str) and cursor:
                return with_param(url, "page[after]", cursor, replace=True)
            raise UnexpectedResponse(
                "GET", url, "meta.has_more is true but there is neither links.next nor a cursor"
            )
        link = body.get("next_page")
        if isinstance(link, str) and link:
            return same_origin(link, self.api.base_url)
        return None


def _normalized(url: str) -> str:
    """The same page however its URL is spelled: query parameters decoded and sorted."""
    parts = urlsplit(url)
    return f"{parts.path}?{sorted(parse_qsl(parts.query, keep_blank_values=True))}"
