"""Metrics: what one run adds, read back from the Prometheus text as a scraper would."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from connector.errors import RetriableError
from connector.http import CallStats
from jobs.metrics import Metrics
from jobs.runreport import (
    DestinationResult,
    ListCounts,
    MailchimpPlan,
    Plan,
    RunReport,
    SurveyPlan,
    ZendeskPlan,
)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def scrape(metrics: Metrics) -> Samples:
    body, content_type = metrics.render()
    assert content_type.startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def report(status: str = "succeeded", dry_run: bool = False) -> RunReport:
    plan = Plan(dry_run=dry_run, now=1_795_000_000, full=False, only=None)
    plan.pulled = {"users_pulled": 120, "set_aside": 2}
    plan.lists = [
        ListCounts("VIP", None, members=40, joined=5, left=1),
        ListCounts("By country", None, members=30, joined=3, left=0),
        ListCounts("By country", "DE", members=30, joined=3, left=0),
    ]
    plan.zendesk = ZendeskPlan(user_updates=7, ticket_updates=2)
    plan.mailchimp = [
        MailchimpPlan("Retail", "a1", adds=6, updates=4, archives=1, erasures=1),
    ]
    plan.surveys = [SurveyPlan("CSAT follow-up", ["VIP"], invitations=3)]
    return RunReport(
        run_id=9,
        plan=plan,
        results=[
            DestinationResult("mailchimp:Retail", done=10, failed=1, permanent=1),
            DestinationResult("zendesk:users", done=7),
        ],
        status=status,
    )


def zendesk_stats() -> CallStats:
    stats = CallStats()
    for status in (200, 200, 200, 429, 500, None):
        stats.count_request()
        stats.count_answer(status)
    stats.count_retry(RetriableError("zendesk", "GET", "/x", 429, "slow down", 7.0), 7.0)
    stats.count_retry(RetriableError("zendesk", "GET", "/x", 500, "oops"), 0.5)
    stats.count_wait(1.5)  # the throttle held one request back
    return stats


def test_a_run_is_counted_by_job_and_outcome_with_its_duration() -> None:
    metrics = Metrics()
    metrics.record_run("incremental", report(), 42.0, {})
    metrics.record_run("incremental", report("failed"), 3.0, {})
    metrics.record_run("nightly", report(), 600.0, {})
    samples = scrape(metrics)
    assert value(samples, "deskbridge_runs_total", job="incremental", status="succeeded") == 1
    assert value(samples, "deskbridge_runs_total", job="incremental", status="failed") == 1
    assert value(samples, "deskbridge_runs_total", job="nightly", status="succeeded") == 1
    duration = "deskbridge_run_duration_seconds"
    assert value(samples, f"{duration}_count", job="incremental") == 2
    assert value(samples, f"{duration}_sum", job="incremental") == 45.0
    assert value(samples, f"{duration}_bucket", job="incremental", le="5.0") == 1
    assert value(samples, f"{duration}_bucket", job="nightly", le="300.0") == 0


def test_members_are_counted_per_list_and_per_destination() -> None:
    metrics = Metrics()
    metrics.record_run("incremental", report(), 1.0, {})
    metrics.record_run("incremental", report(), 1.0, {})
    samples = scrape(metrics)
    assert value(samples, "deskbridge_list_members", list="VIP", group="") == 40
    assert value(samples, "deskbridge_list_members", list="By country", group="DE") == 30
    changes = "deskbridge_list_member_changes_total"
    assert value(samples, changes, list="VIP", group="", change="added") == 10
    assert value(samples, changes, list="VIP", group="", change="removed") == 2
    moved = "deskbridge_destination_member_changes_total"
    assert value(samples, moved, destination="mailchimp:Retail", change="added") == 12
    assert value(samples, moved, destination="mailchimp:Retail", change="updated") == 8
    assert value(samples, moved, destination="mailchimp:Retail", change="removed") == 4
    assert value(samples, moved, destination="zendesk:users", change="updated") == 14
    assert value(samples, moved, destination="zendesk:tickets", change="updated") == 4
    assert value(samples, moved, destination="surveymonkey:CSAT follow-up", change="added") == 6
    writes = "deskbridge_writes_total"
    assert value(samples, writes, destination="mailchimp:Retail", outcome="done") == 20
    assert value(samples, writes, destination="mailchimp:Retail", outcome="permanent") == 2
    assert value(samples, "deskbridge_records_set_aside_total") == 4


def test_a_dry_run_counts_lists_but_no_destination_changes() -> None:
    metrics = Metrics()
    metrics.record_run("preview", report(dry_run=True), 1.0, {})
    samples = scrape(metrics)
    assert value(samples, "deskbridge_list_members", list="VIP", group="") == 40
    names = {name for name, _ in samples}
    assert "deskbridge_destination_member_changes_total" not in names
    assert "deskbridge_writes_total" not in names


def test_api_calls_are_counted_by_service_and_status_with_retries_and_waits() -> None:
    metrics = Metrics()
    mailchimp = CallStats()
    mailchimp.count_request()
    mailchimp.count_answer(200)
    metrics.record_run(
        "incremental", report(), 1.0, {"zendesk": zendesk_stats(), "mailchimp": mailchimp}
    )
    samples = scrape(metrics)
    calls = "deskbridge_api_calls_total"
    assert value(samples, calls, service="zendesk", status="200") == 3
    assert value(samples, calls, service="zendesk", status="429") == 1
    assert value(samples, calls, service="zendesk", status="500") == 1
    assert value(samples, calls, service="zendesk", status="error") == 1
    assert value(samples, calls, service="mailchimp", status="200") == 1
    assert value(samples, "deskbridge_api_retries_total", service="zendesk") == 2
    assert value(samples, "deskbridge_api_throttled_total", service="zendesk") == 1
    assert value(samples, "deskbridge_api_throttled_total", service="mailchimp") == 0
    # The 429's Retry-After (7 s) and the throttle's hold (1.5 s); the 500's backoff is no
    # rate-limit wait.
    assert value(samples, "deskbridge_rate_limit_waits_total", service="zendesk") == 2
    assert value(samples, "deskbridge_rate_limit_wait_seconds_total", service="zendesk") == 8.5


def test_connectors_kept_between_runs_are_counted_for_what_they_did_since() -> None:
    metrics = Metrics()
    stats = zendesk_stats()
    metrics.record_run("incremental", report(), 1.0, {"zendesk": stats})
    stats.count_request()
    stats.count_answer(200)
    stats.count_wait(2.0)
    metrics.record_run("incremental", report(), 1.0, {"zendesk": stats})
    metrics.record_run("incremental", report(), 1.0, {"zendesk": zendesk_stats()})  # fresh ones
    samples = scrape(metrics)
    assert value(samples, "deskbridge_api_calls_total", service="zendesk", status="200") == 7
    assert value(samples, "deskbridge_rate_limit_waits_total", service="zendesk") == 5
    assert value(samples, "deskbridge_rate_limit_wait_seconds_total", service="zendesk") == 19.0


def test_time_since_the_last_success_is_worked_out_when_scraped() -> None:
    clock = FakeClock()
    metrics = Metrics(clock=clock)
    since = "deskbridge_seconds_since_last_success"
    assert value(scrape(metrics), since, job="incremental") is None  # no success yet
    metrics.record_run("incremental", report(), 1.0, {})
    clock.now += 90
    assert value(scrape(metrics), since, job="incremental") == 90
    metrics.record_run("incremental", report("failed"), 1.0, {})
    metrics.record_run("incremental", report("stopped"), 1.0, {})
    clock.now += 30
    assert value(scrape(metrics), since, job="incremental") == 120  # failures do not reset it
    metrics.record_run("incremental", report("partial"), 1.0, {})
    clock.now += 5
    assert value(scrape(metrics), since, job="incremental") == 5
    assert value(scrape(metrics), since, job="nightly") is None


def test_each_metrics_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.record_run("incremental", report(), 1.0, {})
    samples = scrape(second)
    assert value(samples, "deskbridge_runs_total", job="incremental", status="succeeded") is None


DOCS = Path(__file__).resolve().parent.parent / "docs" / "metrics.md"
ROW = re.compile(r"^\| `(?P<name>deskbridge_\w+)` \| (?P<type>\w+) \| (?P<labels>[^|]*) \|")


def documented() -> dict[str, tuple[str, frozenset[str]]]:
    found = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        row = ROW.match(line)
        if row is not None:
            labels = frozenset(re.findall(r"`(\w+)`", row["labels"]))
            found[row["name"]] = (row["type"], labels)
    return found


def exposed() -> dict[str, tuple[str, frozenset[str]]]:
    """Every metric of a Metrics that has recorded everything it can, as docs/metrics.md names
    it (counters with their `_total`), with its type and labels."""
    metrics = Metrics()
    metrics.record_run("incremental", report(), 1.0, {"zendesk": zendesk_stats()})
    found = {}
    for family in metrics.registry.collect():
        name = f"{family.name}_total" if family.type == "counter" else family.name
        labels = {label for sample in family.samples for label in sample.labels}
        found[name] = (family.type, frozenset(labels - {"le"}))
    return found


def test_the_documented_metrics_are_exactly_the_exposed_ones() -> None:
    docs, served = documented(), exposed()
    assert len(served) >= 13
    assert sorted(docs) == sorted(served), "docs/metrics.md and jobs/metrics.py differ"
    for name, (kind, labels) in served.items():
        assert docs[name] == (kind, labels), f"{name}: documented {docs[name]}, is {kind} {labels}"
