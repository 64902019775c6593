"""SurveyMonkey v3: find a survey, its email collector and invitation; add recipients; send.

The entry point is `SurveyMonkeyConnector`; it speaks in the records of `records.py`.
"""

from __future__ import annotations

from connector.surveymonkey.budget import DailyBudget, DayQuota
from connector.surveymonkey.client import DEFAULT_BASE_URL, SurveyMonkeyConnector
from connector.surveymonkey.problems import (
    Ambiguous,
    Closed,
    IncompleteRecipients,
    NotFound,
    UnexpectedAnswer,
)
from connector.surveymonkey.records import (
    Collector,
    Invitee,
    InviteResult,
    Message,
    Outcome,
    RecipientOutcome,
    RecipientsReport,
    SendResult,
    Survey,
    Wording,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "Ambiguous",
    "Closed",
    "Collector",
    "DailyBudget",
    "DayQuota",
    "IncompleteRecipients",
    "InviteResult",
    "Invitee",
    "Message",
    "NotFound",
    "Outcome",
    "RecipientOutcome",
    "RecipientsReport",
    "SendResult",
    "Survey",
    "SurveyMonkeyConnector",
    "UnexpectedAnswer",
    "Wording",
]
