"""A real sync against the sandbox: its metrics (from the report and the connectors' own
counts) and its JSON log lines."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from prometheus_client.parser import text_string_to_metric_families

from connector.http import CallStats
from jobs.commands import open_session
from jobs.demo import SECRETS, write_config
from jobs.metrics import Metrics
from jobs.progress import Progress
from jobs.runreport import RunReport
from jobs.sync import SyncOptions, run_sync
from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer

TIME_SCALE = 30.0


@dataclass
class Synced:
    report: RunReport
    stats: dict[str, CallStats]
    log: str


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synced]:
    """One sync of a small sandbox, its progress written as off a terminal."""
    config = SandboxConfig(users=120, seed=5, rate_limits="off", time_scale=TIME_SCALE)
    with pytest.MonkeyPatch.context() as env, SandboxServer(config) as sandbox:
        for name, value in SECRETS.items():
            env.setenv(name, value)
        path = write_config(tmp_path_factory.mktemp("sync"), sandbox.url)
        session = open_session(str(path), window_seconds=60.0 / TIME_SCALE)
        log = io.StringIO()
        progress = Progress(log, context={"job": "incremental"})
        try:
            with progress.bound(run=1):
                report = run_sync(
                    session.loaded.mappings,
                    session.services,
                    session.store,
                    SyncOptions(),
                    progress,
                    session.base_dir,
                    session.group_ids,
                )
            yield Synced(report, session.services.stats(), log.getvalue())
        finally:
            session.close()


def test_a_sandbox_sync_is_counted_from_its_report_and_its_connectors(synced: Synced) -> None:
    report, stats = synced.report, synced.stats
    assert report.status == "succeeded"
    assert set(stats) == {"zendesk", "mailchimp", "surveymonkey"}
    metrics = Metrics()
    metrics.record_run("incremental", report, 12.5, stats)

    body, _ = metrics.render()
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }
    runs = ("deskbridge_runs_total", (("job", "incremental"), ("status", "succeeded")))
    assert samples[runs] == 1
    for service, counted in stats.items():
        assert counted.requests > 0
        ok = samples[("deskbridge_api_calls_total", (("service", service), ("status", "200")))]
        assert ok == counted.answers_by_status()["200"]
        assert sum(counted.answers_by_status().values()) == counted.requests  # each counted once
    for counts in report.plan.lists:
        key = (("group", counts.group or ""), ("list", counts.list))
        assert samples[("deskbridge_list_members", key)] == counts.members
    (audience,) = report.plan.mailchimp
    added = samples[
        (
            "deskbridge_destination_member_changes_total",
            (("change", "added"), ("destination", f"mailchimp:{audience.audience}")),
        )
    ]
    assert added == audience.adds > 0


def test_its_log_is_json_lines_with_the_context_and_no_secret(synced: Synced) -> None:
    lines = [json.loads(line) for line in synced.log.splitlines()]
    stages = [line for line in lines if line["event"] == "stage"]
    assert {line["stage"] for line in stages} >= {"pull from Zendesk", "push to Mailchimp"}
    for line in lines:
        assert list(line)[:5] == ["time", "level", "event", "job", "run"]
        assert (line["job"], line["run"]) == ("incremental", 1)
    for line in stages:
        assert line["status"] == "done" and isinstance(line["seconds"], float)
    for secret in SECRETS.values():
        assert secret not in synced.log
