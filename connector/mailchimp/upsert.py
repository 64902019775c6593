"""Adding and updating members in batches of 500, never changing an existing member's status.

The pitfall: `POST /lists/{id}` with `update_existing: true` applies each member's `status` to
the members who already exist, which would resubscribe people who unsubscribed (or unsubscribe
people who did not ask). So each member takes at most three steps, all safe for consent:

1. Create pass: a batch with `update_existing: false` and `status: status_if_new`. New members
   are created with that status; an existing member is refused on its own with
   `ERROR_CONTACT_EXISTS` and left exactly as it was.
2. Update pass: the members who exist go, 500 at a time, with `update_existing: true` and no
   `status` field at all, so only their merge fields change. Mailchimp's spec marks no field of a
   batch member as required (specs/mailchimp/list-id.yml, postListsId), and the sandbox keeps an
   existing member's status when none is given.
3. Fallback: a member the update pass refuses for its missing status (it vanished between the
   passes, or an account that insists on a status) goes through
   `PUT /lists/{id}/members/{hash}` with `status_if_new`, which never changes an existing
   member's status either.

Calls: one per 500 members, plus one per 500 of those that already exist (the caller's plan sends
only what changed). A member the caller marks `exists` skips step 1, so an upsert of members all
known to be there costs one call per 500. Batches run concurrently on at most `max_connections`
connections, and outcomes stream back as batches finish. Tags are not part of an upsert: the
batch endpoint's schema has no `tags`, and `tag_members` sets them 500 addresses a call.

Every member comes back with an outcome. A batch that still fails when its retry budget is spent
fails each of its members (as data, with the error); a batch refused as a whole (a bad key, a
missing audience) raises, since no other batch would fare better.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from connector.errors import FatalError, RetriesExhausted
from connector.mailchimp.records import (
    STATUSES_FOR_NEW,
    MemberOutcome,
    MemberUpdate,
    email_key,
    subscriber_hash,
)
from connector.mailchimp.transport import SERVICE, Transport
from connector.mailchimp.upsert_input import prepared

BATCH_SIZE = 500
CONTACT_EXISTS = "ERROR_CONTACT_EXISTS"
RETRIES_EXHAUSTED = "RETRIES_EXHAUSTED"
MISSING_FROM_ANSWER = "MISSING_FROM_ANSWER"


@dataclass
class _Settled:
    """What one call settled, and what it hands on to the next step."""

    outcomes: list[MemberOutcome] = field(default_factory=list)
    existing: list[MemberUpdate] = field(default_factory=list)  # for the update pass
    needs_put: list[MemberUpdate] = field(default_factory=list)  # for the PUT fallback


class Upsert:
    def __init__(
        self,
        transport: Transport,
        list_id: str,
        status_if_new: str,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        if status_if_new not in STATUSES_FOR_NEW:
            raise ValueError(
                f"status_if_new must be one of {', '.join(STATUSES_FOR_NEW)}, got {status_if_new!r}"
            )
        if not 1 <= batch_size <= BATCH_SIZE:
            raise ValueError(f"batch_size must be from 1 to {BATCH_SIZE}, got {batch_size!r}")
        self._transport = transport
        self._list_id = list_id
        self._status_if_new = status_if_new
        self._batch_size = batch_size
        self._width = transport.max_connections

    def run(self, members: Iterable[MemberUpdate]) -> Iterator[MemberOutcome]:
        """Each member's outcome, as the calls that settle them finish."""
        source = prepared(members, self._batch_size)
        source_done = False
        waiting: deque[Callable[[], _Settled]] = deque()
        existing: list[MemberUpdate] = []
        with ThreadPoolExecutor(self._width, thread_name_prefix="mailchimp-upsert") as pool:
            running: dict[Future[_Settled], bool] = {}  # future → is it a create pass
            while True:
                while len(running) < self._width:
                    if waiting:
                        running[pool.submit(waiting.popleft())] = False
                    elif not source_done:
                        item = next(source, None)
                        if item is None:
                            source_done = True
                        elif isinstance(item, MemberOutcome):
                            yield item
                        else:
                            existing.extend(m for m in item if m.exists)
                            new = [m for m in item if not m.exists]
                            if new:
                                running[pool.submit(self._create, new)] = True
                            waiting.extend(self._full_updates(existing))
                    elif existing and not any(running.values()):
                        # Nothing more can join them: send the last, short update batch.
                        running[pool.submit(self._update, existing)] = False
                        existing = []
                    else:
                        break
                if not running:
                    return
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    del running[future]
                    settled = future.result()
                    yield from settled.outcomes
                    existing.extend(settled.existing)
                    waiting.extend(partial(self._put, m) for m in settled.needs_put)
                    waiting.extend(self._full_updates(existing))

    def _full_updates(self, existing: list[MemberUpdate]) -> list[Callable[[], _Settled]]:
        """Update passes for every full batch of `existing`, taken out of it."""
        calls: list[Callable[[], _Settled]] = []
        while len(existing) >= self._batch_size:
            calls.append(partial(self._update, existing[: self._batch_size]))
            del existing[: self._batch_size]
        return calls

    # --- the three steps ------------------------------------------------------------------------

    def _create(self, batch: list[MemberUpdate]) -> _Settled:
        entries = [
            {"email_address": m.email, "status": self._status_if_new, **_merge_fields(m)}
            for m in batch
        ]
        answer = self._batch(batch, {"members": entries, "update_existing": False})
        if isinstance(answer, _Settled):
            return answer
        settled = _Settled()
        for member in batch:
            error = answer.errors.get(email_key(member.email))
            if error is not None and error.get("error_code") == CONTACT_EXISTS:
                settled.existing.append(member)
            else:
                settled.outcomes.append(answer.outcome(member))
        return settled

    def _update(self, batch: list[MemberUpdate]) -> _Settled:
        entries = [{"email_address": m.email, **_merge_fields(m)} for m in batch]
        answer = self._batch(batch, {"members": entries, "update_existing": True})
        if isinstance(answer, _Settled):
            return answer
        settled = _Settled()
        for member in batch:
            error = answer.errors.get(email_key(member.email))
            if error is not None and "status" in str(error.get("field") or ""):
                settled.needs_put.append(member)
            else:
                settled.outcomes.append(answer.outcome(member))
        return settled

    def _put(self, member: MemberUpdate) -> _Settled:
        body = {
            "email_address": member.email,
            "status_if_new": self._status_if_new,
            **_merge_fields(member),
        }
        lists, key = self._transport.lists, subscriber_hash(member.email)
        try:
            answer = self._transport.call(lambda: lists.set_list_member(self._list_id, key, body))
        except RetriesExhausted as error:
            return _Settled([_failed(member, RETRIES_EXHAUSTED, str(error))])
        except FatalError as error:
            if error.status != 400:
                raise
            return _Settled([_failed(member, f"HTTP_{error.status}", error.detail)])
        status = answer.get("status") if isinstance(answer, dict) else None
        return _Settled([MemberOutcome(member.email, "updated", status=status)])

    def _batch(self, batch: list[MemberUpdate], body: dict[str, Any]) -> _BatchAnswer | _Settled:
        """The batch call's answer, or every member failed once the retry budget is spent."""
        lists = self._transport.lists
        try:
            answer = self._transport.call(lambda: lists.batch_list_members(self._list_id, body))
        except RetriesExhausted as error:
            return _Settled([_failed(m, RETRIES_EXHAUSTED, str(error)) for m in batch])
        return _BatchAnswer.parse(answer, f"/lists/{self._list_id}")


@dataclass(frozen=True)
class _BatchAnswer:
    """A batch call's answer, keyed by address: the members written, and the ones refused."""

    written: dict[str, tuple[str, Mapping[str, Any]]]  # key → ("created" | "updated", member)
    errors: dict[str, Mapping[str, Any]]

    @classmethod
    def parse(cls, answer: Any, path: str) -> _BatchAnswer:
        lists = {name: answer.get(name) if isinstance(answer, dict) else None for name in _LISTS}
        if not all(isinstance(value, list) for value in lists.values()):
            raise FatalError(
                SERVICE, "POST", path, 200, f"the batch answer lacks one of {', '.join(_LISTS)}"
            )
        written: dict[str, tuple[str, Mapping[str, Any]]] = {}
        for name, action in (("new_members", "created"), ("updated_members", "updated")):
            for entry in lists[name] or []:
                if isinstance(entry, dict) and isinstance(entry.get("email_address"), str):
                    written[email_key(entry["email_address"])] = (action, entry)
        errors: dict[str, Mapping[str, Any]] = {
            email_key(entry["email_address"]): entry
            for entry in lists["errors"] or []
            if isinstance(entry, dict) and isinstance(entry.get("email_address"), str)
        }
        return cls(written, errors)

    def outcome(self, member: MemberUpdate) -> MemberOutcome:
        key = email_key(member.email)
        if key in self.written:
            action, entry = self.written[key]
            status = entry.get("status")
            return MemberOutcome(
                member.email,
                "created" if action == "created" else "updated",
                status=status if isinstance(status, str) else None,
            )
        error = self.errors.get(key)
        if error is None:
            return _failed(member, MISSING_FROM_ANSWER, "the batch answer did not mention it")
        message = str(error.get("error") or "refused")
        detail = str(error.get("field_message") or "")
        if detail and detail != message:
            message = f"{message} ({detail})"
        return _failed(
            member,
            str(error.get("error_code") or "ERROR_GENERIC"),
            message,
            str(error.get("field") or "") or None,
        )


_LISTS = ("new_members", "updated_members", "errors")


def _merge_fields(member: MemberUpdate) -> dict[str, Any]:
    return {"merge_fields": dict(member.merge_fields)} if member.merge_fields else {}


def _failed(
    member: MemberUpdate, code: str, message: str, field: str | None = None
) -> MemberOutcome:
    return MemberOutcome(member.email, "failed", error_code=code, message=message, field=field)
