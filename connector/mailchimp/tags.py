"""Tags, which Mailchimp's API calls static segments: find or create one, add and remove members.

`POST /lists/{id}/segments/{segment_id}` takes at most 500 addresses to add and 500 to remove a
call; chunks of both go together, concurrently on the transport's connections. Every address
comes back as added, removed, unchanged (already as asked) or failed with Mailchimp's reason (an
address that is not a member of the audience). Adding or removing again is harmless, so the calls
are retried like reads; an address settled by a call whose answer was lost shows as unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from itertools import zip_longest
from typing import Any

from connector.errors import FatalError, RetriesExhausted
from connector.mailchimp.records import EmailProblem, Tag, TagResult, email_key
from connector.mailchimp.transport import SERVICE, Transport

SEGMENT_BATCH = 500
_PAGE = 1000
_SEGMENT_FIELDS = [
    "segments.id",
    "segments.name",
    "segments.type",
    "total_items",
]


def segments_by_name(transport: Transport, list_id: str) -> dict[str, dict[str, Any]]:
    """Every segment of the audience by its name (trimmed, letter case aside; the first of a
    name): one listing, retried whole."""
    found: dict[str, dict[str, Any]] = transport.call(lambda: _by_name(transport, list_id))
    return found


def _by_name(transport: Transport, list_id: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for segment in _segments(transport, list_id):
        found.setdefault(str(segment.get("name", "")).strip().lower(), segment)
    return found


def ensure_tag(
    transport: Transport,
    list_id: str,
    name: str,
    known: dict[str, dict[str, Any]] | None = None,
) -> Tag:
    """The tag named `name` (letter case aside), created if the audience has none.

    `known` (from `segments_by_name`) spares the listing when the tag is in it already.
    """
    name = tag_name(name)
    lists = transport.lists
    if known is not None and name.lower() in known:
        return _static(known[name.lower()], name, list_id)

    def find() -> Tag | None:
        segment = _by_name(transport, list_id).get(name.lower())
        return _static(segment, name, list_id) if segment is not None else None

    def create() -> Tag:
        body = {"name": name, "static_segment": []}
        answer = transport.attempt(lambda: lists.create_segment(list_id, body))
        return _tag(answer, created=True)

    return transport.find_or_create(find, create, known_missing=known is not None)


def tag_name(name: object) -> str:
    """The name trimmed; a tag needs one."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("a tag needs a non-empty name")
    return name.strip()


def _segments(transport: Transport, list_id: str) -> Iterator[dict[str, Any]]:
    """Every segment of the audience, a page at a time (one try each: `find` is retried whole)."""
    lists, offset = transport.lists, 0
    while True:
        page = transport.attempt(
            partial(
                lists.list_segments, list_id, fields=_SEGMENT_FIELDS, count=_PAGE, offset=offset
            )
        )
        segments = page.get("segments") if isinstance(page, dict) else None
        if not isinstance(segments, list):
            raise FatalError(SERVICE, "GET", f"/lists/{list_id}/segments", 200, "no segments array")
        yield from (s for s in segments if isinstance(s, dict))
        offset += len(segments)
        if not segments or offset >= int(page.get("total_items") or 0):
            return


def _static(segment: dict[str, Any], name: str, list_id: str) -> Tag:
    """The segment as a tag; a saved or fuzzy segment of that name is for the admin to rename."""
    if segment.get("type") != "static":
        raise FatalError(
            SERVICE,
            "GET",
            f"/lists/{list_id}/segments",
            None,
            f"{name!r} is the name of a {segment.get('type')} segment, not a tag: "
            "rename one of them",
        )
    return _tag(segment, created=False)


def _tag(segment: Any, created: bool) -> Tag:
    if not isinstance(segment, dict) or not isinstance(segment.get("id"), int):
        raise FatalError(SERVICE, "POST", "/segments", 200, f"not a segment: {segment!r:.200}")
    count = segment.get("member_count")
    return Tag(
        id=segment["id"],
        name=str(segment.get("name", "")),
        member_count=count if isinstance(count, int) else None,
        created=created,
    )


def tag_members(
    transport: Transport,
    list_id: str,
    tag: Tag,
    add: Iterable[str],
    remove: Iterable[str],
) -> TagResult:
    to_add, to_remove = _unique(add, "add"), _unique(remove, "remove")
    both = sorted({email_key(e) for e in to_add} & {email_key(e) for e in to_remove})
    if both:
        raise ValueError(f"asked both to add and to remove the tag {tag.name!r} for: {both}")
    pairs: list[tuple[list[str], list[str]]] = list(
        zip_longest(_chunks(to_add, SEGMENT_BATCH), _chunks(to_remove, SEGMENT_BATCH), fillvalue=[])
    )
    lists = transport.lists

    def send(pair: tuple[list[str], list[str]]) -> Any:
        body = {"members_to_add": pair[0], "members_to_remove": pair[1]}
        try:
            return transport.call(lambda: lists.batch_segment_members(body, list_id, tag.id))
        except RetriesExhausted as error:  # each address of the call fails, as data
            return {"errors": [{"email_addresses": pair[0] + pair[1], "error": str(error)}]}

    with ThreadPoolExecutor(transport.max_connections, thread_name_prefix="mailchimp-tag") as pool:
        answers = list(pool.map(send, pairs))
    added: set[str] = set()
    removed: set[str] = set()
    problems: dict[str, str] = {}
    for answer in answers:
        if not isinstance(answer, dict):
            raise FatalError(SERVICE, "POST", f"/lists/{list_id}/segments/{tag.id}", 200, "no body")
        added |= _emails(answer.get("members_added"))
        removed |= _emails(answer.get("members_removed"))
        for error in answer.get("errors") or []:
            if isinstance(error, dict):
                reason = str(error.get("error") or "refused")
                for email in error.get("email_addresses") or []:
                    problems[email_key(str(email))] = reason
    asked = to_add + to_remove
    return TagResult(
        tag=tag,
        added=tuple(e for e in to_add if email_key(e) in added),
        removed=tuple(e for e in to_remove if email_key(e) in removed),
        unchanged=tuple(
            e for e in asked if email_key(e) not in added | removed and email_key(e) not in problems
        ),
        failed=tuple(
            EmailProblem(e, problems[email_key(e)]) for e in asked if email_key(e) in problems
        ),
    )


def _unique(emails: Iterable[str], which: str) -> list[str]:
    """The addresses trimmed, each once (letter case aside), in the order given."""
    if isinstance(emails, str):
        raise TypeError(f"{which} takes a list of addresses, not one string")
    seen: set[str] = set()
    unique: list[str] = []
    for email in emails:
        if not isinstance(email, str) or not email.strip():
            raise ValueError(f"{which}: {email!r} is not an email address")
        if email_key(email) not in seen:
            seen.add(email_key(email))
            unique.append(email.strip())
    return unique


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _emails(members: Any) -> set[str]:
    if not isinstance(members, list):
        return set()
    return {
        email_key(m["email_address"])
        for m in members
        if isinstance(m, dict) and isinstance(m.get("email_address"), str)
    }
