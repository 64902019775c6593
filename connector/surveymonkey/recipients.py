"""Invitees in, outcomes out: the pure part of adding recipients in bulk.

`plan` settles what can be settled without asking (no address, bad custom fields, the same
address twice) and splits the rest into chunks; `read_answer` turns one bulk answer
(`succeeded`, `existing`, `invalids`, `bounced`, `opted_out`, `duplicate`) into one outcome per
address sent — an address the answer does not name is `unaccounted`, never dropped.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from connector.surveymonkey.records import Invitee, Outcome, RecipientOutcome

CUSTOM_FIELD_KEYS = ("1", "2", "3", "4", "5", "6")  # collectors.md's custom_fields example
ANSWER_LISTS = (
    ("succeeded", Outcome.ADDED),
    ("existing", Outcome.EXISTING),
    ("invalids", Outcome.INVALID),
    ("bounced", Outcome.BOUNCED),
    ("opted_out", Outcome.OPTED_OUT),
    ("duplicate", Outcome.DUPLICATE),
)

Chunk = tuple[tuple[int, Invitee], ...]


@dataclass(frozen=True)
class Plan:
    chunks: tuple[Chunk, ...]
    settled: tuple[RecipientOutcome, ...]  # decided here, never sent

    @property
    def given(self) -> int:
        return len(self.settled) + sum(len(chunk) for chunk in self.chunks)


def plan(invitees: Iterable[Invitee], chunk_size: int) -> Plan:
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    settled: list[RecipientOutcome] = []
    to_send: list[tuple[int, Invitee]] = []
    first_at: dict[str, int] = {}
    for position, invitee in enumerate(invitees):
        if not isinstance(invitee, Invitee):
            raise TypeError(f"invitees[{position}] is a {type(invitee).__name__}, not an Invitee")
        problem = _problem(invitee)
        if problem is not None:
            settled.append(
                RecipientOutcome(position, invitee.email, Outcome.INVALID, None, problem)
            )
            continue
        key = fold(invitee.email)
        if key in first_at:
            detail = f"the same address as invitees[{first_at[key]}]; sent once"
            settled.append(
                RecipientOutcome(position, invitee.email, Outcome.DUPLICATE, None, detail)
            )
            continue
        first_at[key] = position
        to_send.append((position, invitee))
    chunks = tuple(
        tuple(to_send[start : start + chunk_size]) for start in range(0, len(to_send), chunk_size)
    )
    return Plan(chunks, tuple(settled))


def body(chunk: Chunk) -> dict[str, Any]:
    return {"contacts": [invitee.as_json() for _position, invitee in chunk]}


def read_answer(chunk: Chunk, answer: Any) -> tuple[list[RecipientOutcome], list[str]]:
    """(one outcome per invitee of the chunk, addresses the answer named but were not sent).

    An answer that cannot be read (no body, another shape) leaves the chunk `unaccounted`, saying
    why: the call succeeded, so the addresses may well have been added.
    """
    problem = _shape_problem(answer)
    if problem is not None:
        return [
            RecipientOutcome(p, i.email, Outcome.UNACCOUNTED, None, problem) for p, i in chunk
        ], []
    pending: dict[str, deque[tuple[int, Invitee]]] = {}
    for position, invitee in chunk:
        pending.setdefault(fold(invitee.email), deque()).append((position, invitee))
    outcomes: list[RecipientOutcome] = []
    unexpected: list[str] = []
    for name, outcome in ANSWER_LISTS:
        for entry in answer.get(name) or []:
            email, recipient_id = _entry(entry)
            waiting = pending.get(fold(email))
            if not waiting:
                unexpected.append(email)
                continue
            position, invitee = waiting.popleft()
            outcomes.append(RecipientOutcome(position, invitee.email, outcome, recipient_id))
    unnamed = "sent, but named in none of the answer's lists"
    for waiting in pending.values():
        outcomes.extend(
            RecipientOutcome(p, i.email, Outcome.UNACCOUNTED, None, unnamed) for p, i in waiting
        )
    return outcomes, unexpected


def _shape_problem(answer: Any) -> str | None:
    if answer is None:
        return "the answer had no body"
    if not isinstance(answer, dict):
        return f"the answer is a {type(answer).__name__}, not the documented object"
    for name, _outcome in ANSWER_LISTS:
        if not isinstance(answer.get(name) or [], list):
            return f"the answer's {name!r} is not a list"
    return None


def fold(email: str) -> str:
    """Addresses compare without regard to case or surrounding blanks."""
    return email.strip().casefold()


def _entry(entry: Any) -> tuple[str, str | None]:
    if isinstance(entry, Mapping):
        found = entry.get("id")
        return str(entry.get("email") or ""), None if found is None else str(found)
    return str(entry), None


def _problem(invitee: Invitee) -> str | None:
    if not isinstance(invitee.email, str) or not invitee.email.strip():
        return "no email address"
    for name in ("first_name", "last_name"):
        if not isinstance(getattr(invitee, name), str):
            return f"{name} must be text, got {type(getattr(invitee, name)).__name__}"
    if invitee.custom_fields is not None:
        wrong = sorted(str(k) for k in invitee.custom_fields if k not in CUSTOM_FIELD_KEYS)
        if wrong:
            return f"custom_fields keys are '1' to '6'; got {', '.join(map(repr, wrong))}"
    for name in ("custom_fields", "extra_fields"):
        values = getattr(invitee, name) or {}
        bad = sorted(str(k) for k, v in values.items() if not isinstance(v, str))
        if bad:
            return f"{name} values must be text; {', '.join(map(repr, bad))} is not"
    return None
