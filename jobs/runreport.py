"""What a sync plans and what it did, as plain records: printed by `jobs.render`, stored in runs.

A `Plan` is what a run would change (a dry run stops there); a `RunReport` is the plan with the
outcome of applying it. Counts are of people (or tickets), not of API calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ListCounts:
    """One list, or one group of a grouped list (`group` set), after this run's evaluation."""

    list: str
    group: str | None
    members: int  # members now
    joined: int  # in now, not before
    left: int  # in before, not now

    @property
    def name(self) -> str:
        return self.list if self.group is None else f"{self.list}: {self.group}"


@dataclass
class MailchimpPlan:
    """What one audience is to get."""

    audience: str  # as configured
    audience_id: str
    adds: int = 0  # people new to the audience (given status_if_new)
    updates: int = 0  # existing members whose merge fields change
    tag_adds: dict[str, int] = field(default_factory=dict)  # tag -> people
    tag_removals: dict[str, int] = field(default_factory=dict)  # tag -> people
    archives: int = 0  # members who left a list that archives, or were deleted in Zendesk
    erasures: int = 0  # members deleted in Zendesk whose personal data is erased for good
    consent_kept: int = 0  # wanted, but unsubscribed or cleaned: not added, tagged or updated
    withheld_removals: int = 0  # removals the blast-radius guard holds back
    unsubscribes_seen: int = 0  # unsubscribed or cleaned in Mailchimp since the last run
    rejected: int = 0  # wanted, but Mailchimp refused them for good (see runs' errors)


@dataclass
class SurveyPlan:
    survey: str  # as configured
    lists: list[str]
    invitations: int = 0  # to send in this run
    fatigue_skipped: int = 0  # invited to another survey too recently
    resumed: int = 0  # on a message a previous run began and did not finish


@dataclass
class CsvPlan:
    list: str
    path: str
    rows: int
    changed: bool  # False: the file already holds exactly these rows


@dataclass
class ZendeskPlan:
    user_updates: int = 0
    ticket_updates: int = 0
    retried: int = 0  # writes of earlier runs that failed and are sent again
    conflicts: int = 0  # customers for whom two rules wanted different values
    unsubscribed_marked: int = 0  # users whose unsubscribed_field is ticked


@dataclass
class Warning:
    # blast_radius | consent | deleted_users | set_aside | conflict (docs/plan-json.md)
    kind: str
    message: str
    list: str | None = None


@dataclass
class Plan:
    dry_run: bool
    now: int  # Unix seconds
    full: bool
    only: str | None  # --only LIST
    profiles: int = 0  # customers known
    evaluated: int = 0  # customers evaluated in this run
    lists: list[ListCounts] = field(default_factory=list)
    zendesk: ZendeskPlan = field(default_factory=ZendeskPlan)
    mailchimp: list[MailchimpPlan] = field(default_factory=list)
    surveys: list[SurveyPlan] = field(default_factory=list)
    csv: list[CsvPlan] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
    pulled: dict[str, int] = field(default_factory=dict)  # users_pulled, tickets_pulled, ...

    @property
    def writes(self) -> int:
        """How many changes the plan holds, over every destination."""
        mailchimp = sum(
            m.adds
            + m.updates
            + sum(m.tag_adds.values())
            + sum(m.tag_removals.values())
            + m.archives
            + m.erasures
            for m in self.mailchimp
        )
        surveys = sum(s.invitations for s in self.surveys)
        files = sum(1 for c in self.csv if c.changed)
        zendesk = self.zendesk.user_updates + self.zendesk.ticket_updates
        return zendesk + mailchimp + surveys + files


@dataclass
class DestinationResult:
    """How applying went at one destination: done, failed (retried next run), permanent."""

    destination: str  # zendesk | mailchimp:<audience> | surveymonkey:<survey> | csv:<list>
    done: int = 0
    failed: int = 0
    permanent: int = 0
    calls: int = 0
    note: str = ""


@dataclass
class RunReport:
    run_id: int | None
    plan: Plan
    results: list[DestinationResult] = field(default_factory=list)
    status: str = "succeeded"  # succeeded | partial | stopped | failed
    error: str | None = None  # why the run failed
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per stage
    calls: dict[str, int] = field(default_factory=dict)  # requests per service

    @property
    def failed_records(self) -> int:
        return sum(r.failed + r.permanent for r in self.results)
