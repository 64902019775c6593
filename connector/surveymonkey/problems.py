"""The SurveyMonkey connector's own failures, on top of the shared classification."""

from __future__ import annotations

from connector.errors import ConnectorError, FatalError
from connector.surveymonkey.records import RecipientsReport

SERVICE = "surveymonkey"


class NotFound(FatalError):
    """The survey, collector or message asked for is not there (and was not to be created)."""


class Ambiguous(FatalError):
    """More than one thing answers to the name given; pass its id instead."""


class Closed(FatalError):
    """The thing asked for is there but closed; reopening it is the account owner's choice."""


class UnexpectedAnswer(FatalError):
    """An answer that is not in the shape the reference documents; going on would be guessing."""


class IncompleteRecipients(ConnectorError):
    """Adding recipients stopped part-way: the chunks before the failure were added.

    `report` holds the outcomes of every address handled so far, `not_processed` the addresses
    of the failed chunk and those after it, and `cause` the failure. Adding the same invitees
    again is safe: those already added come back as `existing`.
    """

    def __init__(
        self,
        cause: ConnectorError,
        report: RecipientsReport,
        not_processed: tuple[str, ...],
        chunks_done: int,
        chunks: int,
    ) -> None:
        self.cause = cause
        self.report = report
        self.not_processed = not_processed
        super().__init__(
            cause.service,
            cause.method,
            cause.path,
            cause.status,
            f"{cause.detail} — stopped after {chunks_done} of {chunks} recipient chunks; "
            f"{len(not_processed)} addresses were not added (adding them again is safe)",
        )
