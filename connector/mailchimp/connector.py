"""The Mailchimp connector: an audience's members, tags and merge fields, in plain records.

    connector = MailchimpConnector(api_key, base_url, requests.Session(), Edge())
    audience = connector.check(list_id)
    for page in connector.members(list_id): ...
    result = connector.upsert(list_id, [MemberUpdate("ann@example.org", {"FNAME": "Ann"})],
                              status_if_new="subscribed")

Every call goes through the shared retry policy (`connector.retry`) and error classification
(`connector.errors`); at most `max_connections` (10 or fewer) requests are in flight at once.
An existing member's subscription status is never changed (see `upsert`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import requests

from connector.errors import FatalError
from connector.http import CallStats, Edge
from connector.mailchimp import merge_fields, tags
from connector.mailchimp.audiences import (
    check_name_or_id,
    match_audience,
    not_found_detail,
    read_audiences,
)
from connector.mailchimp.members import PAGE_SIZE, MemberWalk
from connector.mailchimp.records import (
    Audience,
    AudienceRef,
    MemberOutcome,
    MemberUpdate,
    MergeFieldsResult,
    RemovalOutcome,
    Tag,
    TagResult,
    UpsertResult,
    subscriber_hash,
)
from connector.mailchimp.transport import MAX_CONNECTIONS, SERVICE, Transport
from connector.mailchimp.upsert import Upsert

_AUDIENCE_FIELDS = [
    "id",
    "name",
    "stats.member_count",
    "stats.unsubscribe_count",
    "stats.cleaned_count",
    "stats.total_contacts",
]


class AudienceNotFound(FatalError):
    """The key's account has no audience with this id."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class MailchimpConnector:
    def __init__(
        self,
        api_key: str,
        base_url: str,
        session: requests.Session,
        edge: Edge | None = None,
        max_connections: int = MAX_CONNECTIONS,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        """`base_url` is the API root, e.g. `default_base_url(api_key)` or a sandbox's `/3.0`.

        The session gets a connection pool of `max_connections` mounted for the API's origin.
        """
        self._transport = Transport(api_key, base_url, session, edge or Edge(), max_connections)
        self._now = now
        self._segments: dict[str, dict[str, dict[str, Any]]] = {}  # list id -> name -> segment

    def __repr__(self) -> str:
        transport = self._transport
        return (
            f"MailchimpConnector(base_url={transport.base_url!r}, "
            f"max_connections={transport.max_connections})"
        )

    @property
    def stats(self) -> CallStats:
        """Requests sent, retries and 429s seen, over this connector's life."""
        return self._transport.stats

    # --- the audience ---------------------------------------------------------------------------

    def check(self, list_id: str) -> Audience:
        """That the key works and the audience exists: its name and member counts."""
        self._transport.call(lambda: self._transport.ping.get())
        body = self._audience(list_id)
        stats = body.get("stats") or {}
        return Audience(
            id=str(body.get("id", list_id)),
            name=str(body.get("name", "")),
            member_count=int(stats.get("member_count") or 0),
            unsubscribe_count=int(stats.get("unsubscribe_count") or 0),
            cleaned_count=int(stats.get("cleaned_count") or 0),
            total_contacts=stats.get("total_contacts"),
        )

    def audiences(self) -> list[AudienceRef]:
        """Every audience of the account (`GET /lists`, in pages of 1000)."""
        return read_audiences(self._transport)

    def find_audience(self, name_or_id: str) -> AudienceRef:
        """The audience with this id, else this name (exact, then letter case aside).

        Raises `AudienceNotFound` naming the account's audiences, or `AmbiguousAudience` when
        the name fits several of them.
        """
        check_name_or_id(name_or_id)
        known = self.audiences()
        found = match_audience(known, name_or_id)
        if found is None:
            raise AudienceNotFound(
                SERVICE, "GET", "/lists", None, not_found_detail(known, name_or_id)
            )
        return found

    def _audience(self, list_id: str) -> dict[str, Any]:
        lists = self._transport.lists
        try:
            body = self._transport.call(
                lambda: lists.get_list(
                    list_id, fields=_AUDIENCE_FIELDS, include_total_contacts=True
                )
            )
        except FatalError as error:
            if error.status != 404:
                raise
            raise AudienceNotFound(
                SERVICE,
                error.method,
                error.path,
                404,
                f"no audience with the id {list_id!r} in this account ({error.detail})",
            ) from None
        if not isinstance(body, dict):
            raise FatalError(SERVICE, "GET", f"/lists/{list_id}", 200, "no audience in the answer")
        return body

    # --- members --------------------------------------------------------------------------------

    def members(
        self,
        list_id: str,
        since_last_changed: datetime | None = None,
        offset: int = 0,
        page_size: int = PAGE_SIZE,
        *,
        before_last_changed: datetime | None = None,
        status: str | None = None,
    ) -> MemberWalk:
        """The audience's members (archived ones aside) in pages, from `offset` on.

        With `since_last_changed` / `before_last_changed`, only members changed after / before
        it; with `status`, only members of that status. See `MemberWalk` for what happens when
        members change during the walk, and for `next_since`.
        """
        return MemberWalk(
            self._transport,
            list_id,
            since_last_changed,
            offset,
            page_size,
            self._now,
            before_last_changed,
            status,
        )

    def upsert(
        self, list_id: str, members: Iterable[MemberUpdate], status_if_new: str
    ) -> UpsertResult:
        """Add new members with `status_if_new`, update existing ones' merge fields only.

        Every member comes back with an outcome: created, updated or failed (with the error
        code, message and field); a member's own error never raises. See `upsert.py` for how an
        existing member's status is kept.
        """
        return UpsertResult(tuple(self.upsert_stream(list_id, members, status_if_new)))

    def upsert_stream(
        self, list_id: str, members: Iterable[MemberUpdate], status_if_new: str
    ) -> Iterator[MemberOutcome]:
        """`upsert`, with outcomes handed over as batches finish (memory flat in the input)."""
        return Upsert(self._transport, list_id, status_if_new).run(members)

    def archive(self, list_id: str, email: str) -> RemovalOutcome:
        """Archive the member (`DELETE`); one who is not on the list is reported, not raised."""
        lists = self._transport.lists
        return self._remove(list_id, email, "archived", lists.delete_list_member)

    def erase(self, list_id: str, email: str) -> RemovalOutcome:
        """Erase the member's personal data for good (`actions/delete-permanent`).

        If an erase succeeded but its answer was lost, the retry finds no member and the
        outcome is `not_on_list`: either way the data is gone.
        """
        lists = self._transport.lists
        return self._remove(list_id, email, "erased", lists.delete_list_member_permanent)

    def _remove(
        self, list_id: str, email: str, done: str, operation: Callable[[str, str], Any]
    ) -> RemovalOutcome:
        if not isinstance(email, str) or "@" not in email:
            raise ValueError(f"not an email address: {email!r}")
        key = subscriber_hash(email)
        try:
            self._transport.call(lambda: operation(list_id, key))
        except FatalError as error:
            if error.status != 404:
                raise
            self._audience(list_id)  # a missing audience raises; a missing member is data
            return RemovalOutcome(email.strip(), "not_on_list")
        return RemovalOutcome(email.strip(), "archived" if done == "archived" else "erased")

    # --- tags and merge fields ------------------------------------------------------------------

    def ensure_tag(self, list_id: str, name: str) -> Tag:
        """The tag (static segment) with this name, letter case aside; created if missing.

        The audience's segments are listed once for the connector's life (a run): later tags
        are found in that listing without a call, and only a tag missing from it is looked for
        again before it is created.
        """
        name = tags.tag_name(name)
        known = self._segments.get(list_id)
        if known is None:
            known = self._segments[list_id] = tags.segments_by_name(self._transport, list_id)
        tag = tags.ensure_tag(self._transport, list_id, name, known)
        if tag.created:
            known[tag.name.strip().lower()] = {"id": tag.id, "name": tag.name, "type": "static"}
        return tag

    def tag_members(
        self, list_id: str, name: str, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> TagResult:
        """Put the tag on `add` and take it off `remove`, 500 addresses a call each way (the
        tag found as `ensure_tag` finds it)."""
        tag = self.ensure_tag(list_id, name)
        return tags.tag_members(self._transport, list_id, tag, add, remove)

    def ensure_merge_fields(self, list_id: str, wanted: Mapping[str, str]) -> MergeFieldsResult:
        """Create the missing merge fields of `wanted` (tag → type); a type mismatch raises."""
        return merge_fields.ensure_merge_fields(self._transport, list_id, wanted)
