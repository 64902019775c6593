"""The service's Prometheus metrics, recorded once per run and rendered for GET /metrics.

    metrics = Metrics()
    metrics.record_run("incremental", report, seconds=42.0, calls=services.stats())
    body, content_type = metrics.render()

Each `Metrics` has its own registry (not prometheus-client's global one), so tests and two
services in one process do not share counts. The names, types and labels are listed in
docs/metrics.md; a test keeps the two in step.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from connector.http import CallStats
from jobs.runreport import RunReport

# A run takes seconds on a small account and up to hours on a first full pull.
DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400)
# The run did its work; partial: some records failed, or removals were held back.
COMPLETED = frozenset({"succeeded", "partial"})


class Metrics:
    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.runs = Counter(
            "deskbridge_runs", "Runs by job and outcome.", ["job", "status"], registry=r
        )
        self.run_duration = Histogram(
            "deskbridge_run_duration_seconds",
            "How long runs took, by job.",
            ["job"],
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.list_members = Gauge(
            "deskbridge_list_members",
            "Members of each list (and group) after the last run that evaluated it.",
            ["list", "group"],
            registry=r,
        )
        self.list_changes = Counter(
            "deskbridge_list_member_changes",
            "People who joined (added) or left (removed) a list (and group).",
            ["list", "group", "change"],
            registry=r,
        )
        self.destination_changes = Counter(
            "deskbridge_destination_member_changes",
            "Members added, updated or removed at a destination by runs that were not dry runs.",
            ["destination", "change"],
            registry=r,
        )
        self.writes = Counter(
            "deskbridge_writes",
            "Records written at a destination, by outcome (done, failed, permanent).",
            ["destination", "outcome"],
            registry=r,
        )
        self.set_aside = Counter(
            "deskbridge_records_set_aside",
            "Zendesk records that could not be read and were set aside.",
            registry=r,
        )
        self.api_calls = Counter(
            "deskbridge_api_calls",
            'API answers by service and HTTP status ("error": no answer at all).',
            ["service", "status"],
            registry=r,
        )
        self.api_retries = Counter(
            "deskbridge_api_retries", "API requests tried again.", ["service"], registry=r
        )
        self.api_throttled = Counter(
            "deskbridge_api_throttled",
            "API answers of 429 Too Many Requests.",
            ["service"],
            registry=r,
        )
        self.waits = Counter(
            "deskbridge_rate_limit_waits",
            "Waits before a request because of the throttle or a 429 / Retry-After.",
            ["service"],
            registry=r,
        )
        self.wait_seconds = Counter(
            "deskbridge_rate_limit_wait_seconds",
            "Seconds spent in those waits.",
            ["service"],
            registry=r,
        )
        self._counted: dict[str, tuple[CallStats, _Counts]] = {}
        self._since = _SinceLastSuccess(clock)
        r.register(self._since)

    def record_run(
        self, job: str, report: RunReport, seconds: float, calls: Mapping[str, CallStats]
    ) -> None:
        """Count one finished run of `job`: its outcome, duration, changes and API calls.

        `calls` are the run's connectors' statistics; a connector passed again in a later run
        is counted for what it did since.
        """
        self.runs.labels(job, report.status).inc()
        self.run_duration.labels(job).observe(seconds)
        if report.status in COMPLETED:
            self._since.succeeded(job)
        self._record_lists(report)
        if not report.plan.dry_run:
            self._record_destinations(report)
        self.set_aside.inc(report.plan.pulled.get("set_aside", 0))
        for service, stats in calls.items():
            self._record_calls(service, stats)

    def render(self) -> tuple[bytes, str]:
        """The text for GET /metrics, and its Content-Type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    # --- inside ---------------------------------------------------------------------------------

    def _record_lists(self, report: RunReport) -> None:
        for counts in report.plan.lists:
            group = counts.group or ""
            self.list_members.labels(counts.list, group).set(counts.members)
            self.list_changes.labels(counts.list, group, "added").inc(counts.joined)
            self.list_changes.labels(counts.list, group, "removed").inc(counts.left)

    def _record_destinations(self, report: RunReport) -> None:
        plan = report.plan
        changes = self.destination_changes
        changes.labels("zendesk:users", "updated").inc(plan.zendesk.user_updates)
        changes.labels("zendesk:tickets", "updated").inc(plan.zendesk.ticket_updates)
        for audience in plan.mailchimp:
            destination = f"mailchimp:{audience.audience}"
            changes.labels(destination, "added").inc(audience.adds)
            changes.labels(destination, "updated").inc(audience.updates)
            changes.labels(destination, "removed").inc(audience.archives + audience.erasures)
        for survey in plan.surveys:
            changes.labels(f"surveymonkey:{survey.survey}", "added").inc(survey.invitations)
        for result in report.results:
            self.writes.labels(result.destination, "done").inc(result.done)
            self.writes.labels(result.destination, "failed").inc(result.failed)
            self.writes.labels(result.destination, "permanent").inc(result.permanent)

    def _record_calls(self, service: str, stats: CallStats) -> None:
        now = _Counts.of(stats)
        before = self._counted.get(service)
        # The same connector again (a service that keeps its connections between runs): only
        # what it did since it was last counted.
        new = now.minus(before[1]) if before is not None and before[0] is stats else now
        self._counted[service] = (stats, now)
        for status, n in sorted(new.answers.items()):
            if n:
                self.api_calls.labels(service, status).inc(n)
        self.api_retries.labels(service).inc(new.retries)
        self.api_throttled.labels(service).inc(new.answers.get("429", 0))
        self.waits.labels(service).inc(new.waits)
        self.wait_seconds.labels(service).inc(new.wait_seconds)


@dataclass(frozen=True)
class _Counts:
    answers: dict[str, int]
    retries: int
    waits: int
    wait_seconds: float

    @classmethod
    def of(cls, stats: CallStats) -> _Counts:
        answers = stats.answers_by_status()
        return cls(answers, stats.retries, stats.rate_limit_waits, stats.rate_limit_wait_seconds)

    def minus(self, earlier: _Counts) -> _Counts:
        return _Counts(
            {k: n - earlier.answers.get(k, 0) for k, n in self.answers.items()},
            self.retries - earlier.retries,
            self.waits - earlier.waits,
            self.wait_seconds - earlier.wait_seconds,
        )


class _SinceLastSuccess(Collector):
    """Seconds since each job's last successful run, worked out when scraped."""

    NAME = "deskbridge_seconds_since_last_success"
    HELP = "Seconds since the job's last run that succeeded (or was partial); absent before one."

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}

    def succeeded(self, job: str) -> None:
        with self._lock:
            self._last[job] = self._clock()

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(self.NAME, self.HELP, labels=["job"])

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(self.NAME, self.HELP, labels=["job"])
        now = self._clock()
        with self._lock:
            last = dict(self._last)
        for job, when in sorted(last.items()):
            family.add_metric([job], max(0.0, now - when))
        yield family
