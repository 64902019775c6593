"""The SurveyMonkey connector: find a survey, its email collector and invitation; invite people.

On `requests`, through the shared `JsonApi` (retries, classification) with a throttle that keeps
to 120 requests a minute and to the day's budget. Operations whose size is known beforehand
(adding K chunks of recipients, then sending) are refused before their first request when the
day's budget cannot cover them. Requests that create something are not blindly retried: when
their fate is unknown (a dropped connection, a 5xx), the connector looks whether it happened
before trying again.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import requests

from connector.errors import ConnectorError, FatalError
from connector.http import CallStats, Edge
from connector.surveymonkey import lookup, recipients
from connector.surveymonkey.budget import DailyBudget, DayQuota
from connector.surveymonkey.calls import Calls, record
from connector.surveymonkey.invitation import message_body, wording
from connector.surveymonkey.problems import SERVICE, IncompleteRecipients, NotFound
from connector.surveymonkey.records import (
    Collector,
    Invitee,
    InviteResult,
    Message,
    RecipientOutcome,
    RecipientsReport,
    SendResult,
    Survey,
)

DEFAULT_BASE_URL = "https://api.surveymonkey.com/v3"
MAX_PAGE_SIZE = 1000  # overview.md, "Response Limits"
# collectors.md states no per-call limit for recipients/bulk; 1000 is the reference's one stated
# size limit (the page size). Lower it if SurveyMonkey refuses large calls.
DEFAULT_CHUNK_SIZE = 1000
_ID = re.compile(r"^[A-Za-z0-9_-]+$")


class SurveyMonkeyConnector:
    """SurveyMonkey v3 for one account (the bearer token's), speaking in plain records.

    The token goes onto the caller's session as `Authorization: Bearer ...` and is kept nowhere
    else; the session also gets one response hook (a 429's wait from the minute's reset header).
    """

    def __init__(
        self,
        token: str,
        session: requests.Session,
        edge: Edge | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        per_minute: int = 120,
        daily_limit: int = 500,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        page_size: int = MAX_PAGE_SIZE,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1 to {MAX_PAGE_SIZE}, got {page_size}")
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
        self.chunk_size = chunk_size
        self.page_size = page_size
        self._calls = Calls(
            token,
            session,
            edge or Edge(),
            base_url,
            per_minute,
            daily_limit,
            clock,
            wall_clock,
        )

    def __repr__(self) -> str:
        return f"SurveyMonkeyConnector(base_url={self._calls.base_url!r})"

    @property
    def stats(self) -> CallStats:
        """Requests made, retries, 429s."""
        return self._calls.stats

    @property
    def budget(self) -> DailyBudget:
        """The day's request budget as tracked from the answers' headers."""
        return self._calls.budget

    def day_quota(self) -> DayQuota:
        """Today's request budget as known (one cheap GET first if nothing is known yet)."""
        return self._calls.day_quota()

    # --- surveys, collectors, messages ------------------------------------------------------

    def find_survey(self, title_or_id: str) -> Survey:
        """The survey with this id, or with exactly this title (letter case aside if need be).

        Raises NotFound (naming titles that contain the one given) or Ambiguous.
        """
        if not isinstance(title_or_id, str) or not title_or_id.strip():
            raise ValueError(f"find_survey needs a survey title or id, got {title_or_id!r}")
        return lookup.find_survey(self._calls, title_or_id.strip(), self.page_size)

    def email_collector(
        self, survey_id: str, name: str | None = None, create_if_missing: bool = False
    ) -> Collector:
        """The survey's first open email collector, or with `name` the open one called that
        (letter case aside); a new one (with that name) only when asked to create it.

        With a name, raises Ambiguous when two open email collectors have it, and Closed when
        the one that has it is closed: a second collector of the same name is never made.
        """
        survey_id = _id("survey_id", survey_id)
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise ValueError(f"the email collector's name must not be empty, got {name!r}")
        named = name.strip() if name is not None else None
        path = f"/surveys/{survey_id}/collectors"

        def look() -> Collector | None:
            if named is None:
                return lookup.open_email_collector(self._calls, survey_id, self.page_size)
            return lookup.named_email_collector(self._calls, survey_id, named, self.page_size)

        found = look()
        if found is not None:
            return found
        if not create_if_missing:
            which = "open email collector" if named is None else f"email collector named {named!r}"
            detail = (
                f"survey {survey_id} has no {which} (pass create_if_missing=True to create "
                f"{'one' if named is None else 'it'})"
            )
            raise NotFound(SERVICE, "GET", self._calls.where(path), None, detail)
        self._calls.check_budget(1, "creating an email collector", "POST", path)
        body = {"type": "email"} if named is None else {"type": "email", "name": named}

        def create() -> Collector:
            answer = self._calls.request("POST", path, body=body, idempotent=False)
            return record(lambda item: Collector.from_json(item, survey_id), answer, "POST", path)

        return self._calls.create_or_find(create, look)

    def invite_message(
        self,
        collector_id: str,
        create_if_missing: bool = False,
        *,
        subject: str | None = None,
        body_text: str | None = None,
        body_html: str | None = None,
    ) -> Message:
        """The collector's first invitation not sent yet; a new one only when asked.

        When creating is allowed, or a subject or body is given, only an unsent invitation that
        says exactly what a new one would say is taken: a draft in other words is not what was
        asked to be sent. A new message gets `subject` and `body_text` (or `body_html`), which
        must carry [SurveyLink], [OptOutLink], [PrivacyLink] and [FooterLink]; by default a plain
        text that does, with the opt-out and privacy links labelled.
        """
        collector_id = _id("collector_id", collector_id)
        given = (subject, body_text, body_html) != (None, None, None)
        body = message_body(subject, body_text, body_html) if create_if_missing or given else None
        wanted = wording(body) if body is not None else None

        def look() -> Message | None:
            return lookup.unsent_invite(self._calls, collector_id, self.page_size, wanted)

        found = look()
        if found is not None:
            return found
        path = f"/collectors/{collector_id}/messages"
        if not create_if_missing:
            said = " with that subject and body" if given else ""
            detail = (
                f"collector {collector_id} has no invitation{said} that is not sent yet "
                "(pass create_if_missing=True to create one)"
            )
            raise NotFound(SERVICE, "GET", self._calls.where(path), None, detail)
        self._calls.check_budget(1, "creating an invitation message", "POST", path)

        def create() -> Message:
            answer = self._calls.request("POST", path, body=body, idempotent=False)
            return record(lambda item: Message.from_json(item, collector_id), answer, "POST", path)

        return self._calls.create_or_find(create, look)

    def message(self, collector_id: str, message_id: str) -> Message:
        collector_id = _id("collector_id", collector_id)
        path = f"/collectors/{collector_id}/messages/{_id('message_id', message_id)}"
        answer = self._calls.request("GET", path)
        return record(lambda item: Message.from_json(item, collector_id), answer, "GET", path)

    # --- recipients and sending --------------------------------------------------------------

    def add_recipients(
        self, collector_id: str, message_id: str, invitees: Iterable[Invitee]
    ) -> RecipientsReport:
        """Add invitees to an unsent invitation, `chunk_size` a call; one outcome per invitee.

        Safe to repeat: those already on the message come back `existing`. Raises
        BudgetExhausted before the first call if the day's budget cannot cover every chunk, and
        IncompleteRecipients (with the outcomes so far) if a chunk fails for good.
        """
        path = _message_path(collector_id, message_id) + "/recipients/bulk"
        planned = recipients.plan(invitees, self.chunk_size)
        if planned.chunks:
            what = f"adding {planned.given} recipients in {len(planned.chunks)} calls"
            self._calls.check_budget(len(planned.chunks), what, "POST", path)
        return self._add(planned, path)

    def send(
        self, collector_id: str, message_id: str, scheduled_date: datetime | None = None
    ) -> SendResult:
        """Send the invitation now, or schedule it. A message already sent is the API's 409."""
        path = _message_path(collector_id, message_id) + "/send"
        body = _send_body(scheduled_date)
        self._calls.check_budget(1, "sending the invitation", "POST", path)
        return self._send(collector_id, message_id, body, known_unsent=False)

    def invite(
        self,
        collector_id: str,
        message_id: str,
        invitees: Iterable[Invitee],
        scheduled_date: datetime | None = None,
    ) -> InviteResult:
        """Add the invitees and send (or schedule) the invitation, if the day's budget covers
        all of it: checked before the first request, so nothing is left half done."""
        path = _message_path(collector_id, message_id) + "/recipients/bulk"
        body = _send_body(scheduled_date)
        planned = recipients.plan(invitees, self.chunk_size)
        calls = len(planned.chunks)
        what = f"inviting {planned.given} people ({calls} recipient calls and the send)"
        self._calls.check_budget(calls + 1, what, "POST", path)
        report = self._add(planned, path)
        if report.on_message == 0:
            reason = "none of the invitees is a recipient of the message (see the outcomes)"
            return InviteResult(report, None, reason)
        # The recipients call just succeeded, so the message was not sent before this send.
        sent = self._send(collector_id, message_id, body, known_unsent=bool(planned.chunks))
        return InviteResult(report, sent)

    # --- the work ------------------------------------------------------------------------------

    def _add(self, planned: recipients.Plan, path: str) -> RecipientsReport:
        outcomes: list[RecipientOutcome] = list(planned.settled)
        unexpected: list[str] = []
        for done, chunk in enumerate(planned.chunks):
            try:
                answer = self._calls.request("POST", path, body=recipients.body(chunk))
            except ConnectorError as error:
                so_far = _report(outcomes, done, unexpected)
                left = tuple(i.email for later in planned.chunks[done:] for _p, i in later)
                total = len(planned.chunks)
                raise IncompleteRecipients(error, so_far, left, done, total) from error
            told, strangers = recipients.read_answer(chunk, answer)
            outcomes.extend(told)
            unexpected.extend(strangers)
        return _report(outcomes, len(planned.chunks), unexpected)

    def _send(
        self, collector_id: str, message_id: str, body: dict[str, Any], known_unsent: bool
    ) -> SendResult:
        """Send once. If the answer is lost, read the message back: still `not_sent` means try
        again; sent means done — when it is known to have been unsent before this call."""
        path = _message_path(collector_id, message_id) + "/send"

        def create() -> SendResult:
            answer = self._calls.request("POST", path, body=body, idempotent=False)
            if answer is None:  # a bodiless success: read the message back to be sure
                confirmed = look()
                if confirmed is not None:
                    return confirmed
            return record(lambda item: _sent(item, message_id), answer, "POST", path)

        def look() -> SendResult | None:
            message = self.message(collector_id, message_id)
            if message.status == "not_sent" and not message.is_scheduled:
                return None
            if not known_unsent:
                raise FatalError(
                    SERVICE,
                    "POST",
                    self._calls.where(path),
                    None,
                    f"the answer to the send was lost and message {message_id} is now "
                    f"{message.status!r} (scheduled: {bool(message.is_scheduled)}): sent by this "
                    "call or an earlier one; not sent again",
                )
            scheduled = bool(message.is_scheduled)
            return SendResult(message_id, scheduled, message.scheduled_date, None, True)

        return self._calls.create_or_find(create, look)


def _sent(answer: dict[str, Any], message_id: str) -> SendResult:
    ids = answer.get("recipients")
    return SendResult(
        message_id=message_id,
        is_scheduled=bool(answer.get("is_scheduled")),
        scheduled_date=answer.get("scheduled_date"),
        recipient_ids=tuple(str(i) for i in ids) if isinstance(ids, list) else None,
    )


def _report(
    outcomes: list[RecipientOutcome], requests_made: int, unexpected: list[str]
) -> RecipientsReport:
    ordered = tuple(sorted(outcomes, key=lambda o: o.position))
    return RecipientsReport(ordered, requests_made, tuple(unexpected))


def _id(name: str, value: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise ValueError(f"{name} must be a SurveyMonkey id (letters and digits), got {value!r}")
    return value


def _message_path(collector_id: str, message_id: str) -> str:
    return (
        f"/collectors/{_id('collector_id', collector_id)}/messages/{_id('message_id', message_id)}"
    )


def _send_body(scheduled_date: datetime | None) -> dict[str, Any]:
    """`{}` to send now; else the reference's date string, YYYY-MM-DDTHH:MM:SS+00:00."""
    if scheduled_date is None:
        return {}
    if not isinstance(scheduled_date, datetime) or scheduled_date.utcoffset() is None:
        raise ValueError(
            f"scheduled_date must be a datetime with a time zone, got {scheduled_date!r}"
        )
    return {"scheduled_date": scheduled_date.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")}
