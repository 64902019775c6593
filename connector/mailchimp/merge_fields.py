"""Making sure an audience has the merge fields the caller writes, with the types it expects.

A merge field that exists with another type is never changed (that would break what the
audience's owner built on it): every such mismatch is reported at once, before anything is
created. Dropdown and radio fields need their choices, which a type name cannot carry, so they
must already exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import partial
from typing import Any

from connector.errors import FatalError
from connector.mailchimp.records import MergeField, MergeFieldsResult
from connector.mailchimp.transport import SERVICE, Transport

TYPES = (
    "text",
    "number",
    "address",
    "phone",
    "date",
    "url",
    "imageurl",
    "radio",
    "dropdown",
    "birthday",
    "zip",
)
NEEDS_CHOICES = ("radio", "dropdown")
_TAG = re.compile(r"^[A-Z0-9_]{1,10}$")
_PAGE = 1000


class MergeFieldTypeMismatch(FatalError):
    """The audience has merge fields of other types than the ones asked for."""

    def __init__(self, list_id: str, mismatches: list[tuple[MergeField, str]]) -> None:
        self.mismatches = tuple(mismatches)
        words = "; ".join(
            f"{found.tag} is {found.type}, wanted {wanted}" for found, wanted in mismatches
        )
        super().__init__(
            SERVICE,
            "GET",
            f"/lists/{list_id}/merge-fields",
            None,
            f"merge fields of the wrong type (not changed; change them in Mailchimp or map "
            f"other tags): {words}",
        )


def ensure_merge_fields(
    transport: Transport, list_id: str, wanted: Mapping[str, str]
) -> MergeFieldsResult:
    wanted = _checked(wanted)
    existing = {f.tag: f for f in _merge_fields(transport, list_id)}
    mismatches = [
        (existing[tag], kind)
        for tag, kind in wanted.items()
        if tag in existing and existing[tag].type != kind
    ]
    if mismatches:
        raise MergeFieldTypeMismatch(list_id, mismatches)
    missing = [(tag, kind) for tag, kind in wanted.items() if tag not in existing]
    unmakeable = [f"{tag} ({kind})" for tag, kind in missing if kind in NEEDS_CHOICES]
    if unmakeable:
        raise ValueError(
            f"{', '.join(unmakeable)}: dropdown and radio merge fields need choices; "
            "create them in Mailchimp first"
        )
    created = tuple(_create(transport, list_id, tag, kind) for tag, kind in missing)
    present = tuple(existing[tag] for tag in wanted if tag in existing)
    return MergeFieldsResult(present=present, created=created)


def _checked(wanted: Mapping[str, str]) -> dict[str, str]:
    """`wanted` with upper-case tags, or a ValueError naming every entry that is wrong."""
    if not isinstance(wanted, Mapping):
        raise TypeError(f"wanted merge fields are a mapping of tag to type, got {wanted!r:.80}")
    problems: list[str] = []
    checked: dict[str, str] = {}
    for tag, kind in wanted.items():
        upper = tag.strip().upper() if isinstance(tag, str) else ""
        if not _TAG.match(upper):
            problems.append(f"{tag!r}: a merge tag is 1 to 10 letters, digits or underscores")
        elif kind not in TYPES:
            problems.append(f"{tag}: {kind!r} is not a merge field type ({', '.join(TYPES)})")
        elif upper in checked and checked[upper] != kind:
            problems.append(f"{tag}: asked for as both {checked[upper]} and {kind}")
        else:
            checked[upper] = kind
    if problems:
        raise ValueError("wanted merge fields: " + "; ".join(problems))
    return checked


def _merge_fields(transport: Transport, list_id: str, retried: bool = True) -> Iterator[MergeField]:
    """Every merge field of the audience; each page tried once when the caller retries."""
    lists, offset = transport.lists, 0
    fetch = transport.call if retried else transport.attempt
    while True:
        page = fetch(partial(lists.get_list_merge_fields, list_id, count=_PAGE, offset=offset))
        fields = page.get("merge_fields") if isinstance(page, dict) else None
        if not isinstance(fields, list):
            raise FatalError(
                SERVICE, "GET", f"/lists/{list_id}/merge-fields", 200, "no merge_fields array"
            )
        yield from (_merge_field(f, list_id) for f in fields)
        offset += len(fields)
        if not fields or offset >= int(page.get("total_items") or 0):
            return


def _create(transport: Transport, list_id: str, tag: str, kind: str) -> MergeField:
    lists = transport.lists

    def find() -> MergeField | None:
        fields = _merge_fields(transport, list_id, retried=False)
        return next((f for f in fields if f.tag == tag), None)

    def create() -> MergeField:
        body = {"tag": tag, "name": tag, "type": kind}
        answer = transport.attempt(lambda: lists.add_list_merge_field(list_id, body))
        return _merge_field(answer, list_id)

    made = transport.find_or_create(find, create, known_missing=True)
    if made.type != kind:  # someone made it with another type meanwhile
        raise MergeFieldTypeMismatch(list_id, [(made, kind)])
    return made


def _merge_field(entry: Any, list_id: str) -> MergeField:
    if not isinstance(entry, dict) or not isinstance(entry.get("tag"), str):
        raise FatalError(
            SERVICE,
            "GET",
            f"/lists/{list_id}/merge-fields",
            200,
            f"not a merge field: {entry!r:.200}",
        )
    return MergeField(
        merge_id=int(entry.get("merge_id") or 0),
        tag=entry["tag"].upper(),
        name=str(entry.get("name", "")),
        type=str(entry.get("type", "")),
    )
