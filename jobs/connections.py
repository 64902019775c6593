"""The connectors a config asks for, built once per run with their limits and retry policy."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from connector.http import CallStats, Edge
from connector.mailchimp import MailchimpConnector, default_base_url
from connector.surveymonkey import DEFAULT_BASE_URL, SurveyMonkeyConnector
from connector.zendesk import ZendeskAccount, ZendeskConnector, ZendeskLimits
from jobs.state import StateStore
from mappings.config import Config
from mappings.schema import FieldOption, UserFieldSchema, ZendeskSchema


@dataclass
class Services:
    zendesk: ZendeskConnector
    mailchimp: MailchimpConnector | None = None
    surveymonkey: SurveyMonkeyConnector | None = None

    def calls(self) -> dict[str, int]:
        """Requests made so far, by service."""
        return {service: stats.requests for service, stats in self.stats().items()}

    def stats(self) -> dict[str, CallStats]:
        """Each connected service's statistics so far (requests, answers, retries, waits)."""
        found = {"zendesk": self.zendesk.stats}
        if self.mailchimp is not None:
            found["mailchimp"] = self.mailchimp.stats
        if self.surveymonkey is not None:
            found["surveymonkey"] = self.surveymonkey.stats
        return found


def open_state(config: Config, base_dir: Path) -> StateStore:
    """The config's state store (a relative SQLite path is from `base_dir`, the config's
    folder); StoreError or NewerSchema when it cannot be opened."""
    password = config.state.password.reveal() if config.state.password else None
    return StateStore.open(config.state.url, password=password, base_dir=base_dir)


def connect(
    config: Config,
    *,
    edge: Edge | None = None,
    window_seconds: float = 60.0,
    sleep: Callable[[float], None] | None = None,
) -> Services:
    """The connectors of `config`. `window_seconds` is the rate limits' minute (a sandbox that
    speeds time up has a shorter one); `sleep`, when given, replaces the edge's."""
    edge = edge or Edge()
    if sleep is not None:
        edge = dataclasses.replace(edge, sleep=sleep)
    z = config.zendesk
    limits = ZendeskLimits.for_plan(z.plan, z.high_volume_exports, window_seconds)
    if config.limits.zendesk_requests_per_minute is not None:
        limits = ZendeskLimits(
            config.limits.zendesk_requests_per_minute,
            limits.export_requests_per_minute,
            window_seconds,
        )
    zendesk = ZendeskConnector(
        ZendeskAccount(z.subdomain, z.email, z.token.reveal(), z.base_url),
        requests.Session(),
        edge,
        limits=limits,
    )
    services = Services(zendesk)
    uses_mailchimp = any(lst.mailchimp for lst in config.lists)
    if config.mailchimp is not None and uses_mailchimp:
        key = config.mailchimp.api_key.reveal()
        base = config.mailchimp.base_url
        services.mailchimp = MailchimpConnector(
            key,
            f"{base.rstrip('/')}/3.0" if base else default_base_url(key),
            requests.Session(),
            edge,
            max_connections=config.limits.mailchimp_connections,
        )
    uses_surveys = any(lst.surveymonkey for lst in config.lists)
    if config.surveymonkey is not None and uses_surveys:
        base = config.surveymonkey.base_url
        services.surveymonkey = SurveyMonkeyConnector(
            config.surveymonkey.access_token.reveal(),
            requests.Session(),
            edge,
            base_url=f"{base.rstrip('/')}/v3" if base else DEFAULT_BASE_URL,
            per_minute=config.limits.surveymonkey_requests_per_minute,
            daily_limit=config.limits.surveymonkey_requests_per_day,
        )
    return services


def live_schema(zendesk: ZendeskConnector) -> tuple[ZendeskSchema, dict[str, int]]:
    """The account's user fields and groups, and the groups' ids by name."""
    fields = [
        UserFieldSchema(
            key=f.key,
            type=f.type,
            title=f.title,
            options=tuple(FieldOption(o.name, o.tag) for o in f.options),
            tag=f.tag,
        )
        for f in zendesk.user_fields()
        if f.active
    ]
    groups = zendesk.groups()
    schema = ZendeskSchema.of(fields, [g.name for g in groups])
    return schema, {g.name: g.id for g in groups}
