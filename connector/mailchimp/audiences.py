"""The account's audiences, and the one the admin's config names "by name or id".

`GET /lists` is read in pages of 1000 by offset. An admin writes `audience = "Retail customers"`
where Mailchimp says "Retail Customers": an exact id wins, then an exact name, then a name with
letter case and surrounding whitespace aside. Mailchimp lets two audiences share a name, so a
name that fits more than one audience is refused rather than guessed.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from functools import partial
from typing import Any

from connector.errors import FatalError
from connector.mailchimp.records import AudienceRef
from connector.mailchimp.transport import SERVICE, Transport

LIST_PAGE = 1000  # the most Mailchimp gives in one page
LIST_FIELDS = ("lists.id", "lists.name", "total_items")
SHOWN = 20  # audiences named in a "not found" message


class AmbiguousAudience(FatalError):
    """More than one audience of the account answers to the name: name it by its id."""


def read_audiences(transport: Transport, page_size: int = LIST_PAGE) -> list[AudienceRef]:
    """Every audience of the account, in Mailchimp's order, each once."""
    seen: dict[str, AudienceRef] = {}
    for audience in _pages(transport, page_size):
        seen.setdefault(audience.id, audience)  # an audience deleted mid-walk shifts the rest
    return list(seen.values())


def _pages(transport: Transport, page_size: int) -> Iterator[AudienceRef]:
    offset = 0
    while True:
        body = transport.call(
            partial(
                transport.lists.get_all_lists,
                fields=list(LIST_FIELDS),
                count=page_size,
                offset=offset,
            )
        )
        where = f"/lists?offset={offset}"
        raw = body.get("lists") if isinstance(body, dict) else None
        total = body.get("total_items") if isinstance(body, dict) else None
        if not isinstance(raw, list) or isinstance(total, bool) or not isinstance(total, int):
            raise FatalError(SERVICE, "GET", where, 200, "the answer has no lists or total_items")
        yield from (_ref(entry, where) for entry in raw)
        offset += len(raw)
        if not raw or offset >= total:  # offset only grows, so this ends
            return


def _ref(entry: Any, where: str) -> AudienceRef:
    if (
        not isinstance(entry, dict)
        or not isinstance(entry.get("id"), str)
        or not isinstance(entry.get("name"), str)
    ):
        raise FatalError(SERVICE, "GET", where, 200, f"not an audience: {entry!r:.200}")
    return AudienceRef(id=entry["id"], name=entry["name"])


def check_name_or_id(name_or_id: str) -> None:
    if not isinstance(name_or_id, str) or not name_or_id.strip():
        raise ValueError(f"an audience is named by a non-empty name or id, got {name_or_id!r}")


def match_audience(audiences: Sequence[AudienceRef], name_or_id: str) -> AudienceRef | None:
    """The audience `name_or_id` names, or None; a name that fits several raises."""
    check_name_or_id(name_or_id)
    by_id = [a for a in audiences if a.id == name_or_id.strip()]
    if by_id:
        return by_id[0]
    wanted = _loose(name_or_id)
    for candidates in (
        [a for a in audiences if a.name == name_or_id],
        [a for a in audiences if _loose(a.name) == wanted],
    ):
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            raise AmbiguousAudience(
                SERVICE,
                "GET",
                "/lists",
                None,
                f"{len(candidates)} audiences answer to the name {name_or_id!r}: "
                f"{_listed(candidates)}; name the one you mean by its id",
            )
    return None


def not_found_detail(audiences: Sequence[AudienceRef], name_or_id: str) -> str:
    """Why nothing matched, with what the account has (at most `SHOWN` of them)."""
    if not audiences:
        return f"no audience named or with the id {name_or_id!r}: the account has no audiences"
    close = difflib.get_close_matches(
        _loose(name_or_id), [_loose(a.name) for a in audiences], n=1, cutoff=0.6
    )
    hint = next(
        (f" (did you mean {a.name!r}?)" for a in audiences if [_loose(a.name)] == close), ""
    )
    more = len(audiences) - SHOWN
    rest = f" and {more} more" if more > 0 else ""
    return (
        f"no audience named or with the id {name_or_id!r}{hint}; the account has "
        f"{len(audiences)}: {_listed(audiences[:SHOWN])}{rest}"
    )


def _loose(name: str) -> str:
    return name.strip().casefold()


def _listed(audiences: Sequence[AudienceRef]) -> str:
    return ", ".join(f"{a.name!r} (id {a.id})" for a in audiences)
