"""`ZendeskConnector`: the one object the rest of deskbridge talks to Zendesk through."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import requests
from zenpy import Zenpy

from connector.http import CallStats, Edge, JsonApi
from connector.throttle import ZENDESK_QUOTA, Throttle
from connector.zendesk import records
from connector.zendesk.bulk import BulkUpdate, ChunkHandler
from connector.zendesk.changes import Change
from connector.zendesk.export import ExportEnd, IncrementalExport, PageHandler
from connector.zendesk.jobs import BulkOutcome
from connector.zendesk.paging import PAGE_SIZE, ListPages
from connector.zendesk.settings import JobPolling, ZendeskAccount, ZendeskLimits
from connector.zendesk.shapes import Json

RATING_SCORES = (
    "offered",
    "unoffered",
    "received",
    "received_with_comment",
    "received_without_comment",
    "good",
    "good_with_comment",
    "good_without_comment",
    "bad",
    "bad_with_comment",
    "bad_without_comment",
)


class ZendeskConnector:
    """Reads users, tickets, ratings and settings from one Zendesk account; writes bulk updates.

    The caller passes the HTTP session (zenpy puts the account's credentials on it), the edge
    policy (retries, sleeping, timeout), the plan's limits and, for tests, a clock.
    """

    def __init__(
        self,
        account: ZendeskAccount,
        session: requests.Session,
        edge: Edge | None = None,
        limits: ZendeskLimits | None = None,
        polling: JobPolling | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.edge = edge = edge or Edge()
        self.limits = limits = limits or ZendeskLimits()
        self.polling = polling or JobPolling()
        # zenpy only signs the session in (Basic "{email}/token" : token); every call goes
        # through JsonApi, so zenpy's own unbounded sleeping on 429 is never in the path.
        Zenpy(
            subdomain=account.subdomain,
            email=account.email,
            token=account.token,
            session=session,
            disable_cache=True,
            timeout=edge.timeout,
            ratelimit_budget=max(1, int(edge.policy.max_total_wait)),
        )
        self.account_throttle = Throttle(
            limits.requests_per_minute,
            quota=ZENDESK_QUOTA,
            window_seconds=limits.window_seconds,
            reserve=limits.reserve,
            clock=clock,
            sleep=edge.sleep,
        )
        self.export_throttle = Throttle(
            limits.export_requests_per_minute,
            window_seconds=limits.window_seconds,
            clock=clock,
            sleep=edge.sleep,
        )
        self.api = JsonApi("zendesk", account.origin, session, edge, self.account_throttle)
        self.export_throttle.report_waits_to(self.api.stats.count_wait)

    def __repr__(self) -> str:
        return f"ZendeskConnector({self.api.base_url!r})"

    @property
    def stats(self) -> CallStats:
        """Requests made, retries, and 429s met so far."""
        return self.api.stats

    # --- the incremental exports ---------------------------------------------------------------

    def users_since(
        self, on_page: PageHandler, *, start_time: int | None = None, cursor: str | None = None
    ) -> ExportEnd:
        """Every user changed since `start_time` (or since a stored `cursor`), page by page.

        `on_page` gets each page with its `after_cursor` before the next page is asked for.
        """
        export = IncrementalExport(self.api, "users", self.export_throttle)
        return export.run(on_page, start_time=start_time, cursor=cursor)

    def tickets_since(
        self, on_page: PageHandler, *, start_time: int | None = None, cursor: str | None = None
    ) -> ExportEnd:
        """Every ticket changed since `start_time` (or a stored `cursor`); as `users_since`."""
        export = IncrementalExport(self.api, "tickets", self.export_throttle)
        return export.run(on_page, start_time=start_time, cursor=cursor)

    # --- lists ---------------------------------------------------------------------------------

    def satisfaction_ratings_since(
        self, start_time: int, score: str | None = None, end_time: int | None = None
    ) -> Iterator[Json]:
        """Ratings created from `start_time` (Unix seconds), optionally of one `score` filter
        (bad means bad with or without a comment), as Zendesk's own records.

        The arguments are checked at once; the pages are read as the records are taken.
        """
        for name, value in (("start_time", start_time), ("end_time", end_time)):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                raise ValueError(
                    f"satisfaction ratings: {name} must be Unix seconds (an int >= 0), "
                    f"got {value!r}"
                )
        if score is not None and score not in RATING_SCORES:
            raise ValueError(
                f"satisfaction ratings: unknown score {score!r}; one of {', '.join(RATING_SCORES)}"
            )
        params = {
            "page[size]": PAGE_SIZE,
            "start_time": start_time,
            "end_time": end_time,
            "score": score,
        }
        path = "/api/v2/satisfaction_ratings.json"
        pages = ListPages(self.api, path, "satisfaction_ratings", params)
        return (record for page in pages for record in page)

    def user_fields(self) -> list[records.UserField]:
        """The custom user fields: keys, types, dropdown options and their tags, checkbox tags."""
        pages = ListPages(self.api, "/api/v2/user_fields.json", "user_fields")
        return self._all(pages, records.user_field)

    def groups(self) -> list[records.Group]:
        pages = ListPages(self.api, "/api/v2/groups.json", "groups")
        return self._all(pages, records.group)

    def deleted_users(self) -> Iterator[records.DeletedUser]:
        """Soft- and permanently deleted users, 100 a request."""
        path = "/api/v2/deleted_users.json"
        pages = ListPages(self.api, path, "deleted_users", {"page[size]": PAGE_SIZE})
        position = 0
        for page in pages:
            for record in page:
                yield records.deleted_user(record, position, pages.first_url)
                position += 1

    def _all(self, pages: ListPages, parse: Callable[[Json, int, str], Any]) -> list[Any]:
        found: list[Any] = []
        for page in pages:
            found += [
                parse(record, len(found) + n, pages.first_url) for n, record in enumerate(page)
            ]
        return found

    # --- bulk updates --------------------------------------------------------------------------

    def update_users(
        self,
        changes: Iterable[Change],
        on_chunk: ChunkHandler | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> BulkOutcome:
        """Set users' `user_fields` and/or `tags`: `[(user_id, {"user_fields": {...}}), ...]`."""
        return BulkUpdate(self.api, "users", self.polling, self.edge.sleep).run(
            changes, on_chunk, stop
        )

    def update_tickets(
        self,
        changes: Iterable[Change],
        on_chunk: ChunkHandler | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> BulkOutcome:
        """Set tickets' `priority`, `group_id`, `tags` (or `additional_tags`/`remove_tags`)."""
        return BulkUpdate(self.api, "tickets", self.polling, self.edge.sleep).run(
            changes, on_chunk, stop
        )
