"""Reading an audience's members in pages of up to 1000, by offset, also incrementally.

Members can change while the pages are read, and an offset only means something in the order
the audience has at that moment:

- A member added during the walk lands after the pages already read (or is picked up by the next
  incremental read): nothing is lost.
- A member removed from the listing (archived, erased) before the current offset shifts every
  later member one place forward, so the next page would start one member too late. The walk
  watches `total_items`: when it shrinks by n between two pages, it steps back n places and reads
  again, dropping what the previous page already gave. A removal after the offset costs only the
  re-read of n members.
- A member whose data changes during the walk may have been read before the change: the next
  incremental read (`since_last_changed`) must start from when this walk started, which the walk
  offers as `next_since` (a few minutes early, for the clocks' sake).

A removal and an addition between the same two pages cancel out in `total_items` and can still
shift a member past the walk; a periodic full read (or the incremental one) catches it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from connector.errors import FatalError
from connector.mailchimp.records import Member, MemberPage
from connector.mailchimp.transport import SERVICE, Transport

PAGE_SIZE = 1000
STATUSES = ("subscribed", "unsubscribed", "cleaned", "pending", "transactional", "archived")
CLOCK_MARGIN = timedelta(minutes=5)
MEMBER_FIELDS = (
    "members.email_address",
    "members.status",
    "members.tags",
    "members.merge_fields",
    "members.last_changed",
    "members.id",
    "total_items",
)


class PaginationLoop(FatalError):
    """The audience answered the same offset with the same total twice in one walk."""


class MemberWalk:
    """The pages of one audience's members, from `offset` to the end.

    `next_since` is the `since_last_changed` to give the next incremental read once every page
    of this walk is stored.
    """

    def __init__(
        self,
        transport: Transport,
        list_id: str,
        since_last_changed: datetime | None,
        offset: int,
        page_size: int,
        now: Callable[[], datetime],
        before_last_changed: datetime | None = None,
        status: str | None = None,
    ) -> None:
        for name, moment in (
            ("since_last_changed", since_last_changed),
            ("before_last_changed", before_last_changed),
        ):
            if moment is not None and moment.tzinfo is None:
                raise ValueError(f"{name} must be timezone-aware (e.g. in UTC)")
        if status is not None and status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise ValueError(f"offset must be a whole number, 0 or more, got {offset!r}")
        if not 1 <= page_size <= PAGE_SIZE:
            raise ValueError(f"page_size must be from 1 to {PAGE_SIZE}, got {page_size!r}")
        self._transport = transport
        self.list_id = list_id
        self.since_last_changed = since_last_changed
        self.before_last_changed = before_last_changed
        self.status = status
        self.start_offset = offset
        self.page_size = page_size
        self.next_since = now() - CLOCK_MARGIN
        self._fetched: set[tuple[int, int]] = set()  # (offset, total_items): the loop guard

    def __iter__(self) -> Iterator[MemberPage]:
        self._fetched.clear()
        offset = self.start_offset
        known_total: int | None = None
        previous_ids: frozenset[str] = frozenset()
        while True:
            body = self._fetch(offset)
            total = _whole(body.get("total_items"), "total_items", self._where(offset))
            if known_total is not None and total < known_total and offset > self.start_offset:
                offset = max(self.start_offset, offset - (known_total - total))
                known_total = total
                continue
            raw = body.get("members")
            if not isinstance(raw, list):
                raise self._malformed(offset, "the answer has no members array")
            members = [self._member(entry, offset, n) for n, entry in enumerate(raw)]
            fresh = tuple(m for m in members if m.id not in previous_ids)
            next_offset = offset + len(raw)
            last = len(raw) < self.page_size or next_offset >= total
            yield MemberPage(fresh, offset, None if last else next_offset, total)
            if last:
                return
            known_total, previous_ids = total, frozenset(m.id for m in members)
            offset = next_offset

    def _fetch(self, offset: int) -> dict[str, Any]:
        params: dict[str, Any] = {
            "fields": list(MEMBER_FIELDS),
            "count": self.page_size,
            "offset": offset,
        }
        if self.since_last_changed is not None:
            params["since_last_changed"] = self.since_last_changed.isoformat(timespec="seconds")
        if self.before_last_changed is not None:
            params["before_last_changed"] = self.before_last_changed.isoformat(timespec="seconds")
        if self.status is not None:
            params["status"] = self.status
        body = self._transport.call(
            lambda: self._transport.lists.get_list_members_info(self.list_id, **params)
        )
        if not isinstance(body, dict):
            raise self._malformed(offset, "the answer is not a JSON object")
        total = body.get("total_items")
        if (offset, total) in self._fetched:
            raise PaginationLoop(
                SERVICE,
                "GET",
                self._where(offset),
                None,
                f"offset {offset} was read twice with the same total ({total}): the pages are "
                "not moving forward; read the audience again from the start",
            )
        self._fetched.add((offset, total) if isinstance(total, int) else (offset, -1))
        return body

    def _member(self, entry: Any, offset: int, n: int) -> Member:
        where = f"member {n} of the page at offset {offset}"
        if not isinstance(entry, dict):
            raise self._malformed(offset, f"{where} is not an object")
        email, status, member_id = (entry.get(k) for k in ("email_address", "status", "id"))
        if not isinstance(email, str) or not email:
            raise self._malformed(offset, f"{where} has no email_address")
        if not isinstance(status, str) or not isinstance(member_id, str):
            raise self._malformed(offset, f"{where} ({email}) has no status or id")
        tags = entry.get("tags") or []
        merge_fields = entry.get("merge_fields") or {}
        if not isinstance(tags, list) or not isinstance(merge_fields, dict):
            raise self._malformed(offset, f"{where} ({email}) has malformed tags or merge_fields")
        changed = entry.get("last_changed")
        try:
            last_changed = datetime.fromisoformat(changed) if changed else None
        except (TypeError, ValueError):
            raise self._malformed(
                offset, f"{where} ({email}) has a last_changed that is not ISO 8601: {changed!r}"
            ) from None
        return Member(
            id=member_id,
            email=email,
            status=status,
            tags=tuple(str(t.get("name")) for t in tags if isinstance(t, dict)),
            merge_fields=merge_fields,
            last_changed=last_changed,
        )

    def _where(self, offset: int) -> str:
        return f"/lists/{self.list_id}/members?offset={offset}"

    def _malformed(self, offset: int, detail: str) -> FatalError:
        return FatalError(SERVICE, "GET", self._where(offset), 200, detail)


def _whole(value: Any, name: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FatalError(SERVICE, "GET", where, 200, f"{name} is missing or not a count")
    return value
