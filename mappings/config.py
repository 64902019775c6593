"""The shape of deskbridge's config: connections, state, schedule, limits, rules, lists, tests.

This module says what each key may hold; what a rule or list *means* (conditions compiled, fields
checked against the Zendesk schema, names cross-referenced) is `mappings.build`'s work, so a
config can be validated here without any account. `config.example.toml` documents every key.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from mappings.loader import ConfigModel
from mappings.secrets import Secret

ZENDESK_PLANS = ("team", "growth", "professional", "enterprise", "enterprise_plus", "high_volume")
PRIORITIES = ("low", "normal", "high", "urgent")

_SUBDOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_CRON_FIELD = re.compile(r"[0-9*/,\-A-Za-z?LW#]+")
_HH_MM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
_MERGE_TAG = re.compile(r"[A-Z][A-Z0-9_]{0,9}")
_URL_PASSWORD = re.compile(r"^[a-z][a-z0-9+.\-]*://[^/@:]*:[^/@]+@", re.IGNORECASE)


def _text(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


def _subdomain(value: str) -> str:
    if not _SUBDOMAIN.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a Zendesk subdomain: the part before .zendesk.com, "
            "e.g. 'acme' for acme.zendesk.com"
        )
    return value


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError(f"{value!r} is not an email address")
    return value


def _base_url(value: str) -> str:
    if not re.fullmatch(r"https?://[^\s/]+(?:/[^\s]*)?", value):
        raise ValueError(f"{value!r} is not an http(s) URL, e.g. http://127.0.0.1:8765")
    return value.rstrip("/")


def parse_duration(value: object) -> int:
    """Seconds, from a whole number of seconds or text such as `15m`, `1h30m`, `2d`, `45s`."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return value
    if isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        found = _DURATION.fullmatch(text)
        if text and found:
            d, h, m, s = (int(part or 0) for part in found.groups())
            return ((d * 24 + h) * 60 + m) * 60 + s
    raise ValueError(f"expected a duration such as '15m', '1h30m', '2d' or seconds, got {value!r}")


def _cron(value: str) -> str:
    parts = value.split()
    if len(parts) != 5 or not all(_CRON_FIELD.fullmatch(part) for part in parts):
        raise ValueError(
            f"{value!r} is not a cron expression: expected 5 fields "
            "(minute hour day-of-month month day-of-week), e.g. '0 3 * * *'"
        )
    return value


def _hh_mm(value: str) -> str:
    if not _HH_MM.fullmatch(value):
        raise ValueError(f"expected a time of day as HH:MM (24-hour, UTC), got {value!r}")
    return value


def _state_url(value: str) -> str:
    if _URL_PASSWORD.match(value):
        raise ValueError(
            "holds a password; leave it out of the URL and set state.password = "
            '"env:NAME" or "file:/run/secrets/name" instead'
        )
    if not re.match(r"(sqlite|postgresql)(\+\w+)?://", value):
        raise ValueError(
            f"expected a sqlite:/// or postgresql:// URL, e.g. sqlite:////var/lib/deskbridge/"
            f"state.db (an absolute path: four slashes), got {value!r}"
        )
    return value


def _merge_tag(value: str) -> str:
    if not _MERGE_TAG.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a Mailchimp merge tag: up to 10 capital letters, digits or _, "
            "starting with a letter (e.g. PRODUCT)"
        )
    return value


def _no_datetime_objects(value: Any) -> Any:
    """TOML dates and datetimes in a test profile become the ISO text Zendesk sends."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _no_datetime_objects(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_no_datetime_objects(item) for item in value]
    return value


Text = Annotated[str, AfterValidator(_text)]
Duration = Annotated[int, BeforeValidator(parse_duration)]
ConditionSpec = dict[str, Any]  # compiled (and checked) by mappings.build
Status = Literal["subscribed", "pending", "transactional"]


# --- connections ------------------------------------------------------------------------------


class ZendeskConnection(ConfigModel):
    subdomain: Annotated[str, AfterValidator(_subdomain)]
    email: Annotated[str, AfterValidator(_email)]
    token: Secret
    plan: Literal[
        "team", "growth", "professional", "enterprise", "enterprise_plus", "high_volume"
    ] = "growth"
    high_volume_exports: bool = False
    base_url: Annotated[str, AfterValidator(_base_url)] | None = None


class MailchimpConnection(ConfigModel):
    api_key: Secret
    base_url: Annotated[str, AfterValidator(_base_url)] | None = None
    status_if_new: Status = "pending"
    unsubscribed_field: str | None = None
    deleted_users: Literal["leave", "archive", "erase"] = "leave"


class Fatigue(ConfigModel):
    max_invitations: int = Field(default=1, ge=1)
    days: int = Field(default=30, ge=1)


class SurveyMonkeyConnection(ConfigModel):
    access_token: Secret
    base_url: Annotated[str, AfterValidator(_base_url)] | None = None
    fatigue: Fatigue = Field(default_factory=Fatigue)


class StateStore(ConfigModel):
    url: Annotated[str, AfterValidator(_state_url)] = "sqlite:///deskbridge-state.db"
    password: Secret | None = None


class ScheduledJob(ConfigModel):
    name: Text
    every: Duration | None = None
    cron: Annotated[str, AfterValidator(_cron)] | None = None
    full: bool = False
    jitter: Duration = 0

    @model_validator(mode="after")
    def _one_trigger(self) -> ScheduledJob:
        if (self.every is None) == (self.cron is None):
            raise ValueError("set exactly one of every (e.g. '15m') or cron (e.g. '0 3 * * *')")
        if self.every is not None and self.every < 60:
            raise ValueError("every must be at least 1 minute ('1m')")
        return self


class Schedule(ConfigModel):
    jobs: list[ScheduledJob] = Field(default_factory=list)
    stop_timeout: Duration = 30

    @model_validator(mode="after")
    def _distinct_names(self) -> Schedule:
        names = [job.name for job in self.jobs]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"jobs must have distinct names; twice: {twice}")
        return self


class Health(ConfigModel):
    """The HTTP endpoint of /healthz, /readyz and /metrics (served by `deskbridge run`)."""

    host: Text = "127.0.0.1"
    port: int = Field(default=9180, ge=1, le=65535)
    enabled: bool = True
    failed_runs: int = Field(default=3, ge=1)


class Limits(ConfigModel):
    zendesk_requests_per_minute: int | None = Field(default=None, ge=1)
    mailchimp_connections: int = Field(default=10, ge=1, le=10)
    surveymonkey_requests_per_minute: int = Field(default=120, ge=1)
    surveymonkey_requests_per_day: int = Field(default=500, ge=1)
    max_removal_share: float = Field(default=0.2, ge=0, le=1)


# --- rules ------------------------------------------------------------------------------------


class Action(ConfigModel):
    """`{ field = "...", value = ... }`, as in a Zendesk trigger's actions."""

    field: Text
    value: Any = None


class Rule(ConfigModel):
    name: Text
    description: str = ""
    enabled: bool = True
    conditions: ConditionSpec = Field(default_factory=dict)
    actions: list[Action] = Field(min_length=1)


# --- lists and destinations -------------------------------------------------------------------


class MailchimpDestination(ConfigModel):
    audience: Text
    tag: Text | None = None
    merge_fields: dict[Annotated[str, AfterValidator(_merge_tag)], Text] = Field(
        default_factory=dict
    )
    status_if_new: Status | None = None
    on_leave: Literal["untag", "archive", "nothing"] = "untag"


SURVEY_LINKS = ("[SurveyLink]", "[OptOutLink]", "[PrivacyLink]", "[FooterLink]")


def _invitation_body(value: str) -> str:
    missing = [link for link in SURVEY_LINKS if link not in value]
    if missing:
        raise ValueError(
            f"must include {', '.join(SURVEY_LINKS)} (SurveyMonkey refuses an invitation "
            f"without them); this body lacks {', '.join(missing)}"
        )
    return value


class SurveyMonkeyDestination(ConfigModel):
    survey: Text
    collector: Text = "deskbridge"
    subject: Text | None = None
    body: Annotated[str, AfterValidator(_invitation_body)] | None = None
    send_at: Annotated[str, AfterValidator(_hh_mm)] | None = None


class CsvColumn(ConfigModel):
    header: Text
    field: Text


DEFAULT_CSV_COLUMNS: tuple[str | CsvColumn, ...] = ("user.email", "user.name")


class CsvDestination(ConfigModel):
    path: Text
    columns: list[Text | CsvColumn] = Field(default_factory=lambda: [*DEFAULT_CSV_COLUMNS])
    excel: bool = False

    def headed_columns(self) -> list[tuple[str, str]]:
        """(header, field address) for every column."""
        return [(c, c) if isinstance(c, str) else (c.header, c.field) for c in self.columns]


class CustomerList(ConfigModel):
    name: Text
    description: str = ""
    conditions: ConditionSpec = Field(default_factory=dict)
    group_by: Text | None = None
    mailchimp: MailchimpDestination | None = None
    surveymonkey: SurveyMonkeyDestination | None = None
    csv: CsvDestination | None = None


# --- rule tests -------------------------------------------------------------------------------


class ExpectedAction(ConfigModel):
    field: Text
    value: Any = None


class RuleTest(ConfigModel):
    name: Text
    now: datetime | None = None
    profile: Annotated[dict[str, Any], BeforeValidator(_no_datetime_objects)] = Field(
        default_factory=dict
    )
    in_lists: list[Text] = Field(default_factory=list)
    not_in_lists: list[Text] = Field(default_factory=list)
    fires: list[Text] = Field(default_factory=list)
    not_fires: list[Text] = Field(default_factory=list)
    actions: list[ExpectedAction] = Field(default_factory=list)
    not_actions: list[Text] = Field(default_factory=list)


# --- the whole ----------------------------------------------------------------------------------


class Config(ConfigModel):
    zendesk: ZendeskConnection
    mailchimp: MailchimpConnection | None = None
    surveymonkey: SurveyMonkeyConnection | None = None
    state: StateStore = Field(default_factory=StateStore)
    schedule: Schedule = Field(default_factory=Schedule)
    health: Health = Field(default_factory=Health)
    limits: Limits = Field(default_factory=Limits)
    rules: list[Rule] = Field(default_factory=list)
    lists: list[CustomerList] = Field(default_factory=list)
    tests: list[RuleTest] = Field(default_factory=list)
