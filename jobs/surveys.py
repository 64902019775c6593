"""Steps 4 and 5 for SurveyMonkey: invitations to those who joined a surveyed list.

The evaluation records an invitation as `planned` when a customer joins a list that sends a
survey; the key (survey, address) makes it at most one per person and survey, ever. Before
sending, the fatigue limit (`[surveymonkey.fatigue]`: at most N invitations, to any survey, in
D days) skips those invited too recently — for good, as the invitation was for joining.

Invitations go on deskbridge's own email collector (`[lists.surveymonkey] collector`, found or
created by name), on its unsent invitation that has the configured subject and body (a new one
when none has).

Sending is made safe against crashes: the invitations are marked `sending` with the message
they go on before any request; the next run finds them and reads that message back. Sent (or
scheduled) means done; not sent means they are added again (SurveyMonkey answers `existing` for
those already on it) and the message is sent. So nobody is invited twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, and_, func, select, update

from connector.errors import ConnectorError
from connector.surveymonkey import (
    Collector,
    Invitee,
    InviteResult,
    Message,
    Outcome,
    Survey,
)
from jobs.runreport import DestinationResult, SurveyPlan
from jobs.state import StateStore
from jobs.state import tables as t
from jobs.state.sql import bounded
from mappings.config import Config, SurveyMonkeyDestination

PLANNED, SENDING, SENT, SKIPPED = "planned", "sending", "sent", "skipped"
FAILED, PERMANENT, OPTED_OUT = "failed", "permanent", "opted_out"
WAITING = (PLANNED, FAILED)
ON_MESSAGE = frozenset({Outcome.ADDED, Outcome.EXISTING})
REFUSED = frozenset({Outcome.INVALID, Outcome.BOUNCED})
DAY = 86_400

ErrorSink = Callable[[str, str, bool], None]


class SurveyWriter(Protocol):
    def find_survey(self, title_or_id: str) -> Survey: ...

    def email_collector(
        self, survey_id: str, name: str, create_if_missing: bool = False
    ) -> Collector: ...

    def invite_message(
        self,
        collector_id: str,
        create_if_missing: bool = False,
        *,
        subject: str | None = None,
        body_text: str | None = None,
        body_html: str | None = None,
    ) -> Message: ...

    def message(self, collector_id: str, message_id: str) -> Message: ...

    def invite(
        self,
        collector_id: str,
        message_id: str,
        invitees: Iterable[Invitee],
        scheduled_date: datetime | None = None,
    ) -> InviteResult: ...


@dataclass(frozen=True)
class Fatigue:
    max_invitations: int
    days: int

    @classmethod
    def of(cls, config: Config) -> Fatigue:
        fatigue = config.surveymonkey.fatigue if config.surveymonkey else None
        return cls(fatigue.max_invitations, fatigue.days) if fatigue else cls(1, 30)


def destinations(config: Config) -> dict[str, tuple[SurveyMonkeyDestination, list[str]]]:
    """Each survey as configured, with its (first list's) settings and the lists sending to it."""
    found: dict[str, tuple[SurveyMonkeyDestination, list[str]]] = {}
    for lst in config.lists:
        if lst.surveymonkey is not None:
            entry = found.setdefault(lst.surveymonkey.survey, (lst.surveymonkey, []))
            entry[1].append(lst.name)
    return found


def choose(
    connection: Connection, survey: str, fatigue: Fatigue, now: int
) -> tuple[list[tuple[str, int]], list[tuple[str, str]]]:
    """Who is invited now, [(email, user id)], and who fatigue skips, [(email, why)]."""
    i = t.survey_invitations.c
    waiting = connection.execute(
        select(i.email, i.user_id)
        .where(i.survey == survey, i.state.in_(WAITING))
        .order_by(i.planned_at, i.email)
    ).all()
    window = now - fatigue.days * DAY
    recent = _recent_counts(connection, [email for email, _ in waiting], window)
    chosen, skipped = [], []
    for email, user_id in waiting:
        if recent.get(email, 0) >= fatigue.max_invitations:
            why = (
                f"fatigue: already invited {recent[email]} time(s) in the last {fatigue.days} "
                f"days (at most {fatigue.max_invitations})"
            )
            skipped.append((email, why))
        else:
            chosen.append((email, user_id))
            recent[email] = recent.get(email, 0) + 1
    return chosen, skipped


def resumable(connection: Connection, survey: str) -> list[tuple[str, str, str]]:
    """Invitations a previous run began: (email, collector id, message id)."""
    i = t.survey_invitations.c
    return [
        (row.email, row.collector_id, row.message_id)
        for row in connection.execute(
            select(i.email, i.collector_id, i.message_id).where(
                i.survey == survey, i.state == SENDING
            )
        )
    ]


def plan(connection: Connection, config: Config, now: int) -> list[SurveyPlan]:
    fatigue = Fatigue.of(config)
    found = []
    for survey, (_settings, lists) in destinations(config).items():
        chosen, skipped = choose(connection, survey, fatigue, now)
        found.append(
            SurveyPlan(survey, lists, len(chosen), len(skipped), len(resumable(connection, survey)))
        )
    return found


def apply(
    surveymonkey: SurveyWriter,
    store: StateStore,
    config: Config,
    survey: str,
    now: int,
    on_error: ErrorSink,
) -> DestinationResult:
    """Send one survey's invitations (see the module's docstring)."""
    result = DestinationResult(f"surveymonkey:{survey}")
    settings, _lists = destinations(config)[survey]
    with store.engine.begin() as connection:
        chosen, skipped = choose(connection, survey, Fatigue.of(config), now)
        for email, why in skipped:
            _set(connection, survey, [email], SKIPPED, error=why)
        began = resumable(connection, survey)
    if not chosen and not began:
        return result
    try:
        found = surveymonkey.find_survey(survey)
        # deskbridge's own collector, never the admin's: its unsent invitation is ours to reuse.
        collector = surveymonkey.email_collector(
            found.id, settings.collector, create_if_missing=True
        )
        redo = _settle_begun(surveymonkey, store, survey, began, now, result)
        invitees = [email for email, _ in chosen] + redo
        if not invitees:
            return result
        message = surveymonkey.invite_message(
            collector.id, True, subject=settings.subject, body_text=settings.body
        )
        with store.engine.begin() as connection:
            _set(
                connection,
                survey,
                invitees,
                SENDING,
                collector_id=collector.id,
                message_id=message.id,
            )
        sent = surveymonkey.invite(
            collector.id,
            message.id,
            [Invitee(email) for email in invitees],
            scheduled_for(settings.send_at, now),
        )
    except ConnectorError as error:  # BudgetExhausted among them: all is retried next run
        result.failed += len(chosen)
        result.note = str(error)
        on_error(f"survey {survey}", str(error), False)
        return result
    _record(store, survey, sent, now, result, on_error)
    return result


def _settle_begun(
    surveymonkey: SurveyWriter,
    store: StateStore,
    survey: str,
    began: Sequence[tuple[str, str, str]],
    now: int,
    result: DestinationResult,
) -> list[str]:
    """Invitations a crashed run began: sent ones are marked; the rest are sent again."""
    by_message: dict[tuple[str, str], list[str]] = {}
    for email, collector_id, message_id in began:
        by_message.setdefault((collector_id, message_id), []).append(email)
    redo: list[str] = []
    for (collector_id, message_id), emails in by_message.items():
        message = surveymonkey.message(collector_id, message_id)
        if message.status != "not_sent" or message.is_scheduled:
            with store.engine.begin() as connection:
                _set(connection, survey, emails, SENT, sent_at=now)
            result.done += len(emails)
        else:
            redo += emails
    return redo


def _record(
    store: StateStore,
    survey: str,
    sent: InviteResult,
    now: int,
    result: DestinationResult,
    on_error: ErrorSink,
) -> None:
    errors: list[tuple[str, str, bool]] = []
    with store.engine.begin() as connection:
        for outcome in sent.recipients.outcomes:
            email = outcome.email.strip().lower()
            if outcome.outcome in ON_MESSAGE and sent.sent is not None:
                _set(connection, survey, [email], SENT, sent_at=now)
                result.done += 1
            elif outcome.outcome is Outcome.OPTED_OUT:  # their choice, kept: not a failure
                _set(connection, survey, [email], OPTED_OUT, error="opted out of SurveyMonkey")
                result.done += 1
            elif outcome.outcome in REFUSED:
                why = f"SurveyMonkey refused the address: {outcome.outcome.value} {outcome.detail}"
                _set(connection, survey, [email], PERMANENT, error=why.strip())
                result.permanent += 1
                errors.append((f"survey {survey}/{email}", why, True))
            else:
                why = sent.not_sent_because or f"{outcome.outcome.value} {outcome.detail}".strip()
                _set(connection, survey, [email], FAILED, error=why)
                result.failed += 1
                errors.append((f"survey {survey}/{email}", why, False))
    for error in errors:
        on_error(*error)


def _set(
    connection: Connection, survey: str, emails: Sequence[str], state: str, **values: Any
) -> None:
    i = t.survey_invitations.c
    for chunk in bounded(emails):
        connection.execute(
            update(t.survey_invitations)
            .where(and_(i.survey == survey, i.email.in_(list(chunk))))
            .values(state=state, **values)
        )


def _recent_counts(connection: Connection, emails: Sequence[str], since: int) -> dict[str, int]:
    i = t.survey_invitations.c
    found: dict[str, int] = {}
    unique = sorted(set(emails))
    for chunk in bounded(unique):
        query = (
            select(i.email, func.count())
            .where(i.email.in_(chunk), i.state == SENT, i.sent_at >= since)
            .group_by(i.email)
        )
        found.update({email: n for email, n in connection.execute(query)})
    return found


def scheduled_for(send_at: str | None, now: int) -> datetime | None:
    """The next `HH:MM` (UTC) after now; None to send at once."""
    if send_at is None:
        return None
    hours, minutes = (int(part) for part in send_at.split(":"))
    moment = datetime.fromtimestamp(now, UTC)
    at = moment.replace(hour=hours, minute=minutes, second=0, microsecond=0)
    return at if at > moment else at + timedelta(days=1)
