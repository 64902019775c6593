"""SurveyMonkey's list resources, page after page (overview.md, "Pagination").

Each page is `{"data": [...], "page", "per_page", "total", "links": {"next": URL, ...}}`; the
last page has no `links.next`. The paginator follows `links.next` as given, but only on the API's
own host (the session carries the bearer token) and never to a page it has already read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from connector.errors import safe_path
from connector.surveymonkey.problems import SERVICE, UnexpectedAnswer

Fetch = Callable[[str, Mapping[str, Any] | None], Any]


class Pages:
    def __init__(
        self, fetch: Fetch, base_url: str, path: str, params: Mapping[str, Any] | None = None
    ) -> None:
        self._fetch = fetch
        self._origin = _origin(base_url)
        self._path = path
        self._params = params

    def __iter__(self) -> Iterator[list[dict[str, Any]]]:
        where: str = self._path
        params = self._params
        seen: set[str] = set()
        last_page = 0
        while True:
            answer = self._fetch(where, params)
            data = answer.get("data") if isinstance(answer, dict) else None
            if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
                raise UnexpectedAnswer(
                    SERVICE, "GET", safe_path(where), 200, "a list page without a 'data' list"
                )
            number = answer.get("page")
            if isinstance(number, int):
                if number <= last_page:
                    raise UnexpectedAnswer(
                        SERVICE,
                        "GET",
                        safe_path(where),
                        200,
                        f"page {number} came after page {last_page}; stopped rather than loop",
                    )
                last_page = number
            yield data
            links = answer.get("links")
            following = links.get("next") if isinstance(links, dict) else None
            if not following:
                return
            if not isinstance(following, str) or _origin(following) != self._origin:
                raise UnexpectedAnswer(
                    SERVICE,
                    "GET",
                    safe_path(where),
                    200,
                    f"'links.next' leads off the API's host: {safe_path(str(following))!r} "
                    "(not followed: the session carries the token)",
                )
            if following in seen:
                raise UnexpectedAnswer(
                    SERVICE,
                    "GET",
                    safe_path(where),
                    200,
                    f"'links.next' goes back to a page already read ({safe_path(following)}); "
                    "stopped rather than loop",
                )
            seen.add(following)
            where, params = following, None

    def items(self) -> Iterator[dict[str, Any]]:
        for page in self:
            yield from page


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower().rpartition("@")[2]
