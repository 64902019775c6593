"""SurveyMonkey's things as plain, frozen records: what the connector takes and gives back."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class Survey:
    id: str
    title: str
    nickname: str = ""
    href: str = ""

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> Survey:
        return cls(
            id=str(item["id"]),
            title=str(item.get("title") or ""),
            nickname=str(item.get("nickname") or ""),
            href=str(item.get("href") or ""),
        )


@dataclass(frozen=True)
class Collector:
    id: str
    survey_id: str
    type: str
    status: str  # open | closed
    name: str = ""
    href: str = ""

    @classmethod
    def from_json(cls, item: Mapping[str, Any], survey_id: str) -> Collector:
        return cls(
            id=str(item["id"]),
            survey_id=str(item.get("survey_id") or survey_id),
            type=str(item.get("type") or ""),
            status=str(item.get("status") or ""),
            name=str(item.get("name") or ""),
            href=str(item.get("href") or ""),
        )

    @property
    def is_open(self) -> bool:
        return self.status == "open"


@dataclass(frozen=True)
class Wording:
    """What an invitation says: its subject and its body (the HTML one if it has both)."""

    subject: str | None
    body: str | None


@dataclass(frozen=True)
class Message:
    id: str
    collector_id: str
    type: str  # invite | reminder | thank_you | sms
    status: str  # not_sent | processing | sent
    subject: str | None = None
    body: str | None = None  # only in the answers about one message, not in lists
    is_scheduled: bool | None = None
    scheduled_date: str | None = None
    href: str = ""

    @classmethod
    def from_json(cls, item: Mapping[str, Any], collector_id: str) -> Message:
        return cls(
            id=str(item["id"]),
            collector_id=collector_id,
            type=str(item.get("type") or ""),
            status=str(item.get("status") or ""),
            subject=item.get("subject"),
            body=item.get("body"),
            is_scheduled=item.get("is_scheduled"),
            scheduled_date=item.get("scheduled_date"),
            href=str(item.get("href") or ""),
        )

    @property
    def wording(self) -> Wording:
        return Wording(self.subject, self.body)


@dataclass(frozen=True)
class Invitee:
    """Someone to invite: `contacts[_]` of the bulk recipients call (collectors.md).

    Mind the API's rule: if any invitee of one call carries `custom_fields`, every contact in that
    call has its custom fields replaced, and those given none are cleared.
    """

    email: str
    first_name: str = ""
    last_name: str = ""
    custom_fields: Mapping[str, str] | None = None  # keys "1" to "6"
    extra_fields: Mapping[str, str] | None = None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"email": self.email}
        if self.first_name:
            body["first_name"] = self.first_name
        if self.last_name:
            body["last_name"] = self.last_name
        if self.custom_fields is not None:
            body["custom_fields"] = dict(self.custom_fields)
        if self.extra_fields:
            body["extra_fields"] = dict(self.extra_fields)
        return body


class Outcome(StrEnum):
    """What became of one address given to `add_recipients`."""

    ADDED = "added"  # the answer's `succeeded`
    EXISTING = "existing"  # already a recipient of this message: nothing to do
    INVALID = "invalid"  # the answer's `invalids`, or refused here before sending
    BOUNCED = "bounced"
    OPTED_OUT = "opted_out"
    DUPLICATE = "duplicate"  # given more than once (letter case aside): only the first counts
    UNACCOUNTED = "unaccounted"  # sent, but named in none of the answer's lists


@dataclass(frozen=True)
class RecipientOutcome:
    position: int  # index in the invitees given
    email: str
    outcome: Outcome
    recipient_id: str | None = None  # for ADDED: the recipient's (= contact's) id
    detail: str = ""


@dataclass(frozen=True)
class RecipientsReport:
    """One outcome per invitee given, in the order given."""

    outcomes: tuple[RecipientOutcome, ...]
    requests: int  # bulk calls made
    unexpected: tuple[str, ...] = ()  # addresses in an answer that were not in that call

    def counts(self) -> dict[str, int]:
        return dict(Counter(o.outcome.value for o in self.outcomes))

    def emails(self, outcome: Outcome) -> list[str]:
        return [o.email for o in self.outcomes if o.outcome is outcome]

    @property
    def on_message(self) -> int:
        """How many of the invitees are now recipients of the message (added or already there)."""
        return sum(1 for o in self.outcomes if o.outcome in (Outcome.ADDED, Outcome.EXISTING))


@dataclass(frozen=True)
class SendResult:
    message_id: str
    is_scheduled: bool
    scheduled_date: str | None
    recipient_ids: tuple[str, ...] | None  # None when the send was confirmed by reading back
    confirmed_by_lookup: bool = False  # the answer was lost; the message's status proved the send


@dataclass(frozen=True)
class InviteResult:
    recipients: RecipientsReport
    sent: SendResult | None
    not_sent_because: str | None = field(default=None)
