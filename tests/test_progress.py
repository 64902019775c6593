"""Progress: logfmt lines off a terminal, a rich bar on one, nothing on stdout for `--json`."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from jobs.progress import Progress, logfmt

WALL = 1_795_000_000.0  # 2026-11-18T11:06:40Z


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def logging_progress(interval: float = 5.0) -> tuple[Progress, io.StringIO, FakeClock]:
    stream, clock = io.StringIO(), FakeClock()
    return Progress(stream, interval=interval, clock=clock, wall=lambda: WALL), stream, clock


def test_a_stage_off_a_terminal_ends_with_one_logfmt_line() -> None:
    progress, stream, clock = logging_progress()
    with progress.stage("pull users") as stage:
        stage.advance(3000)
        clock.now += 2
        stage.advance(2000)
    assert stream.getvalue().splitlines() == [
        '2026-11-18T11:06:40Z level=info stage="pull users" status=done done=5000 '
        "seconds=2.0 rate=2500/s"
    ]


def test_a_long_stage_writes_at_most_one_line_per_interval() -> None:
    progress, stream, clock = logging_progress(interval=5)
    with progress.stage("push mailchimp", total=100) as stage:
        for _ in range(100):
            clock.now += 0.5  # 50 s in all: at most 10 lines while running
            stage.advance()
    lines = stream.getvalue().splitlines()
    running = [line for line in lines if "status=running" in line]
    assert len(running) == 10
    assert (
        'stage="push mailchimp" status=running done=10 total=100 seconds=5.0 rate=2.0/s'
        in (running[0])
    )
    assert "status=done done=100 total=100 seconds=50.0" in lines[-1]


def test_a_failing_stage_logs_an_error_line_and_raises() -> None:
    progress, stream, _ = logging_progress()
    with pytest.raises(ValueError, match="boom"), progress.stage("plan") as stage:
        stage.advance(7)
        raise ValueError("boom")
    line = stream.getvalue().strip()
    assert "level=error" in line and "status=failed" in line and "error=ValueError" in line
    assert "boom" not in line  # the exception's message is not ours to print


def test_log_writes_one_structured_line_with_its_fields() -> None:
    progress, stream, _ = logging_progress()
    progress.log("sync_finished", run=12, dry_run=False, status="partial", error=None)
    progress.log("lock_held", level="warning", holder='host "a"')
    assert stream.getvalue().splitlines() == [
        "2026-11-18T11:06:40Z level=info event=sync_finished run=12 dry_run=false "
        "status=partial error=null",
        '2026-11-18T11:06:40Z level=warning event=lock_held holder="host \\"a\\""',
    ]


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
    assert 'stage="pull users" status=done done=5' in captured.err
    assert captured.err.count("event=done") == 1  # quiet(stderr=False) and None: nowhere


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
    assert "level=" not in out  # no logfmt lines on a terminal


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
