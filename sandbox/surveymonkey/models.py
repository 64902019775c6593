"""The SurveyMonkey account's records: surveys, collectors, messages, contacts.

Times are Unix seconds (wall clock); rendering them in SurveyMonkey's date format is the views'
business. A message's status is not stored: it follows from when and how it was sent (see
`Message.status_at`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MESSAGE_STATUSES = ("not_sent", "processing", "sent")


@dataclass(frozen=True)
class Question:
    id: str
    family: str
    subtype: str
    heading: str
    choices: tuple[tuple[str, str], ...] = ()  # (id, text)


@dataclass
class Survey:
    id: str
    title: str
    nickname: str
    language: str
    date_created: int
    date_modified: int
    page_id: str
    questions: tuple[Question, ...]
    custom_variables: dict[str, str] = field(default_factory=dict)


@dataclass
class Collector:
    id: str
    survey_id: str
    type: str  # "email" or "weblink"
    status: str  # "open" or "closed"
    date_created: int
    date_modified: int
    url: str | None  # the weblink's survey URL; email collectors have none
    options: dict[str, Any]  # the POST body's settings, by their documented names
    # Everyone who was ever on one of its messages, in the order they were first added.
    recipients: dict[str, None] = field(default_factory=dict)


@dataclass
class Contact:
    id: str
    email: str  # as first given: case is kept, comparisons ignore it
    first_name: str
    last_name: str
    custom_fields: dict[str, str] = field(default_factory=dict)


@dataclass
class Message:
    id: str
    collector_id: str
    type: str  # invite, reminder or thank_you
    subject: str
    body: str
    is_branding_enabled: bool
    embed_first_question: bool
    recipient_status: str | None
    date_created: int
    recipients: dict[str, None] = field(default_factory=dict)  # contact ids, in order added
    extra_fields: dict[str, dict[str, str]] = field(default_factory=dict)  # by contact id
    scheduled_date: int | None = None  # when it goes (or went) out, wall clock
    sent_virtual: float | None = None  # when an immediate send started, in virtual seconds

    def status_at(self, now: float, virtual_now: float, processing_seconds: float) -> str:
        if self.sent_virtual is not None:
            done = virtual_now - self.sent_virtual >= processing_seconds
            return "sent" if done else "processing"
        if self.scheduled_date is not None and now >= self.scheduled_date:
            return "sent"
        return "not_sent"

    @property
    def is_scheduled(self) -> bool:
        return self.scheduled_date is not None and self.sent_virtual is None
