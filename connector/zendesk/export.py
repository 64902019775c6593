"""The cursor-based incremental export of users and tickets, page by page, resumable.

Each page is handed to the caller together with its `after_cursor` before the next page is asked
for, so the caller can store the page and then the cursor: a run that stops anywhere resumes from
the last cursor stored, with no gap and at most one page seen twice.

`end_of_stream` means "everything up to about a minute ago": Zendesk never returns the most
recent minute, so a caller keeps the last cursor and resumes from it on its next run. The last
page (even an empty one) still carries that cursor.

Zendesk (and zenpy, when resuming with `cursor=`) may leave `per_page` out of `after_url`; the
connector adds `per_page` back so that every page holds up to 1000 records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connector.http import JsonApi
from connector.throttle import Throttle
from connector.zendesk.paging import LoopGuard
from connector.zendesk.shapes import (
    Json,
    UnexpectedResponse,
    record_list,
    same_origin,
    url_with,
    with_param,
)

MAX_PER_PAGE = 1000
EXPORTS = ("users", "tickets")


@dataclass(frozen=True)
class ExportPage:
    """One page of the export: the records, and where to resume once they are stored."""

    records: list[Json]
    after_cursor: str | None  # None: Zendesk gave none; keep the resume point you had
    end_of_stream: bool


@dataclass(frozen=True)
class ExportEnd:
    """How an export run ended: the point to resume from next time, and what it read."""

    after_cursor: str | None
    pages: int
    records: int


PageHandler = Callable[[ExportPage], None]


class IncrementalExport:
    """One run of `/api/v2/incremental/{users|tickets}/cursor.json` to `end_of_stream`."""

    def __init__(
        self, api: JsonApi, kind: str, throttle: Throttle, per_page: int = MAX_PER_PAGE
    ) -> None:
        if kind not in EXPORTS:
            raise ValueError(f"Zendesk has cursor exports of {' and '.join(EXPORTS)}, not {kind!r}")
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}, got {per_page}")
        self.api = api
        self.kind = kind
        self.throttle = throttle
        self.per_page = per_page
        self.path = f"/api/v2/incremental/{kind}/cursor.json"

    def run(
        self, on_page: PageHandler, start_time: int | None = None, cursor: str | None = None
    ) -> ExportEnd:
        """Read from `start_time` (Unix seconds, at least a minute ago) or from a stored cursor."""
        url = self._first_url(start_time, cursor)
        guard = LoopGuard("the export cursor")
        if cursor is not None:
            guard.check(cursor, url)
        resume, pages, records = cursor, 0, 0
        while True:
            body = self.api.request("GET", url, extra_throttle=self.throttle)
            page = self._page(body, url)
            if not page.end_of_stream:
                if page.after_cursor is None:
                    raise UnexpectedResponse(
                        "GET", url, "end_of_stream is false but there is no after_cursor"
                    )
                guard.check(page.after_cursor, url)
            on_page(page)
            pages, records = pages + 1, records + len(page.records)
            resume = page.after_cursor or resume
            if page.end_of_stream:
                return ExportEnd(resume, pages, records)
            url = self._next_url(body, page.after_cursor or "")

    def _first_url(self, start_time: int | None, cursor: str | None) -> str:
        if (start_time is None) == (cursor is None):
            given = "both" if cursor is not None else "neither"
            raise ValueError(
                f"{self.kind} export: give exactly one of start_time and cursor (got {given})"
            )
        if cursor is not None:
            if not isinstance(cursor, str) or not cursor.strip():
                raise ValueError(f"{self.kind} export: cursor must be a non-empty string")
            params: dict[str, Any] = {"cursor": cursor}
        else:
            if isinstance(start_time, bool) or not isinstance(start_time, int) or start_time < 0:
                raise ValueError(
                    f"{self.kind} export: start_time must be Unix seconds (an int >= 0), "
                    f"got {start_time!r}"
                )
            params = {"start_time": start_time}
        return url_with(self.api.base_url, self.path, {**params, "per_page": self.per_page})

    def _page(self, body: Any, url: str) -> ExportPage:
        records = record_list(body, self.kind, url)
        after_cursor = body.get("after_cursor")
        if after_cursor is not None and (not isinstance(after_cursor, str) or not after_cursor):
            raise UnexpectedResponse("GET", url, f"after_cursor is {after_cursor!r}")
        end_of_stream = body.get("end_of_stream")
        if not isinstance(end_of_stream, bool):
            raise UnexpectedResponse("GET", url, f"end_of_stream is {end_of_stream!r}, not a bool")
        return ExportPage(records, after_cursor, end_of_stream)

    def _next_url(self, body: Json, after_cursor: str) -> str:
        after_url = body.get("after_url")
        if isinstance(after_url, str) and after_url:
            url = same_origin(after_url, self.api.base_url)
        else:
            url = url_with(self.api.base_url, self.path, {"cursor": after_cursor})
        return with_param(url, "per_page", self.per_page)
