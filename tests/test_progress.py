"""Progress: JSON lines off a terminal, a rich bar on one, nothing on stdout for `--json`."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from rich.console import Console

from jobs.progress import Progress, StopRequested, logfmt
from mappings.secrets import Secret

WALL = 1_795_000_000.25  # 2026-11-18T11:06:40.250Z
TIME = "2026-11-18T11:06:40.250Z"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def logging_progress(
    interval: float = 5.0, **options: Any
) -> tuple[Progress, io.StringIO, FakeClock]:
    stream, clock = io.StringIO(), FakeClock()
    progress = Progress(stream, interval=interval, clock=clock, wall=lambda: WALL, **options)
    return progress, stream, clock


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    """Each line parsed on its own, as a log shipper would."""
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_stage_off_a_terminal_ends_with_one_json_line() -> None:
    progress, stream, clock = logging_progress()
    with progress.stage("pull users") as stage:
        stage.advance(3000)
        clock.now += 2
        stage.advance(2000)
    assert stream.getvalue().splitlines() == [
        f'{{"time": "{TIME}", "level": "info", "event": "stage", "stage": "pull users", '
        '"status": "done", "done": 5000, "seconds": 2.0, "rate": 2500.0}'
    ]


def test_a_long_stage_writes_at_most_one_line_per_interval() -> None:
    progress, stream, clock = logging_progress(interval=5)
    with progress.stage("push mailchimp", total=100) as stage:
        for _ in range(100):
            clock.now += 0.5  # 50 s in all: at most 10 lines while running
            stage.advance()
    written = lines(stream)
    running = [line for line in written if line["status"] == "running"]
    assert len(running) == 10
    assert running[0] == {
        "time": TIME,
        "level": "info",
        "event": "stage",
        "stage": "push mailchimp",
        "status": "running",
        "done": 10,
        "total": 100,
        "seconds": 5.0,
        "rate": 2.0,
    }
    last = written[-1]
    assert (last["status"], last["done"], last["total"], last["seconds"]) == ("done", 100, 100, 50)


def test_a_failing_stage_logs_an_error_line_and_raises() -> None:
    progress, stream, _ = logging_progress()
    with pytest.raises(ValueError, match="boom"), progress.stage("plan") as stage:
        stage.advance(7)
        raise ValueError("boom")
    (line,) = lines(stream)
    assert (line["level"], line["status"], line["error"]) == ("error", "failed", "ValueError")
    assert "boom" not in stream.getvalue()  # the exception's message is not ours to print


def test_log_writes_one_json_object_a_line_with_its_fields() -> None:
    progress, stream, _ = logging_progress()
    progress.log("sync_finished", run=12, dry_run=False, status="partial", error=None)
    progress.log("lock_held", level="warning", holder='host "a"\nsecond line')
    assert lines(stream) == [
        {
            "time": TIME,
            "level": "info",
            "event": "sync_finished",
            "run": 12,
            "dry_run": False,
            "status": "partial",
            "error": None,
        },
        {"time": TIME, "level": "warning", "event": "lock_held", "holder": 'host "a"\nsecond line'},
    ]


def test_context_fields_are_on_every_line_and_bound_ones_only_inside_the_block() -> None:
    progress, stream, _ = logging_progress(context={"job": "incremental"})
    progress.log("run_started")
    with progress.bound(run=12):
        with progress.stage("pull users") as stage:
            stage.advance(1)
        progress.log("sync_finished", status="succeeded")
    progress.log("sleeping", until="14:15")
    written = lines(stream)
    assert [line["job"] for line in written] == ["incremental"] * 4
    assert [line.get("run") for line in written] == [None, 12, 12, None]
    assert list(written[1])[:6] == ["time", "level", "event", "job", "run", "stage"]


def test_no_secret_reaches_a_line_and_its_fixed_keys_cannot_be_overwritten() -> None:
    token = "zd-s3cr3t-token"
    progress, stream, _ = logging_progress(context={"job": "incremental"})
    progress.log("connected", token=Secret(token, "env DESKBRIDGE_ZENDESK__TOKEN"))
    (line,) = lines(stream)
    assert token not in stream.getvalue()
    assert line["token"] == "Secret('***', from env DESKBRIDGE_ZENDESK__TOKEN)"
    with pytest.raises(ValueError, match="may not be called time"):
        progress.log("odd", time="now")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("plain", "plain"),
        ("two words", '"two words"'),
        ("", '""'),
        ("a=b", '"a=b"'),
        ("line\nbreak", '"line\\nbreak"'),
        (True, "true"),
        (None, "null"),
        (1.5, "1.5"),
    ],
    ids=["plain", "space", "empty", "equals", "newline", "bool", "none", "float"],
)
def test_logfmt_quotes_what_needs_quoting(value: object, shown: str) -> None:
    assert logfmt(key=value) == f"key={shown}"


def test_quiet_progress_writes_nothing_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    for progress in (Progress.quiet(), Progress.quiet(stderr=False), Progress(None)):
        with progress.stage("pull users") as stage:
            stage.advance(5)
        progress.log("done", n=1)
    captured = capsys.readouterr()
    assert captured.out == ""
    written = [json.loads(line) for line in captured.err.splitlines()]
    assert [(line["event"], line.get("stage")) for line in written] == [
        ("stage", "pull users"),
        ("done", None),  # quiet(stderr=False) and None: nowhere
    ]


def test_on_a_terminal_a_bar_is_drawn_and_nothing_crashes() -> None:
    file = io.StringIO()
    console = Console(file=file, force_terminal=True, width=100)
    progress = Progress(file, console=console)
    with progress.stage("pull users", total=10) as stage:
        stage.advance(4)
        stage.set_total(12)
        stage.advance(8)
    with progress.stage("evaluate lists") as stage:  # total unknown
        stage.advance(3)
    with pytest.raises(RuntimeError), progress.stage("push") as stage:
        raise RuntimeError("nope")
    progress.log("sync_finished", status="succeeded")
    out = file.getvalue()
    assert "pull users" in out and "12/12" in out
    assert "evaluate lists" in out
    assert "event=stage_failed stage=push" in out
    assert "event=sync_finished status=succeeded" in out
    assert '"level"' not in out  # no JSON lines on a terminal


def test_a_terminal_stream_gets_a_bar_by_itself() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    progress = Progress(stream)
    assert progress.console is not None
    with progress.stage("pull tickets") as stage:
        stage.advance(2)
    assert "pull tickets" in stream.getvalue()


def test_a_requested_stop_is_raised_after_the_advance_is_counted() -> None:
    asked = {"stop": False}
    stream = io.StringIO()
    progress = Progress(stream, should_stop=lambda: asked["stop"], wall=lambda: WALL)
    counted = []
    with pytest.raises(StopRequested), progress.stage("push mailchimp") as stage:
        stage.advance(500)
        counted.append(stage.done)
        asked["stop"] = True
        stage.advance(500)
        counted.append(stage.done)  # never reached: the stop comes first
    assert counted == [500]
    assert stage.done == 1000  # the second batch was stored, and is counted
    (line,) = lines(stream)
    assert (line["level"], line["status"], line["done"]) == ("warning", "stopped", 1000)


def test_without_a_stop_hook_advancing_never_raises() -> None:
    progress = Progress(io.StringIO())
    with progress.stage("pull users") as stage:
        for _ in range(3):
            stage.advance(10)
    assert stage.done == 30


def test_a_stop_on_a_terminal_is_shown_as_a_warning() -> None:
    file = io.StringIO()
    console = Console(file=file, force_terminal=True, width=100)
    progress = Progress(file, console=console, should_stop=lambda: True)
    with pytest.raises(StopRequested), progress.stage("pull users", total=10) as stage:
        stage.advance(4)
    assert 'event=stage_stopped stage="pull users" done=4' in file.getvalue()
