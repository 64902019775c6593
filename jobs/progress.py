"""Progress of a sync: a bar on a terminal, JSON lines in a container's log, nothing for `--json`.

    progress = Progress(sys.stdout, context={"job": "incremental"})  # a bar on a TTY
    with progress.bound(run=12), progress.stage("pull users") as stage:
        for page in pages:
            stage.advance(len(page))        # raises StopRequested once `should_stop()` says so
    progress.log("scope", reason="the rules changed")

Off a terminal every line is one JSON object: "time" (UTC), "level", "event", the context
fields (run id, job), then the event's own. Each stage writes a line when it ends, and at most
one every `interval` seconds while it runs:

    {"time": "2026-11-23T14:00:00.000Z", "level": "info", "event": "stage", "job": "incremental",
     "run": 12, "stage": "pull users", "status": "done", "done": 5000, "seconds": 4.1,
     "rate": 1219.5}

(one line; `rate` is items a second). On a terminal, events are `key=value` lines under the bar.
It prints only what it is given (a `Secret` shows as `***`), so no secret reaches it unless a
caller passes one in the clear.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    ProgressColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichProgress
from rich.progress import Task as RichTask
from rich.text import Text


class StopRequested(Exception):
    """Raised by `Stage.advance` once the work it counted is stored and a stop was asked for."""


class Stage:
    """One stage's counter: `advance(n)` as work is done; `total` when known."""

    def __init__(self, progress: Progress, name: str, total: int | None, started: float) -> None:
        self._progress = progress
        self.name = name
        self.total = total
        self.done = 0
        self.started = started
        self.last_line = started
        self.task: TaskID | None = None

    def advance(self, n: int = 1) -> None:
        """Count `n` more done. The pipeline calls it after each page or batch is stored, so
        this is where a requested stop loses nothing: it raises StopRequested."""
        self.count(n)
        self.stop_if_asked()

    def count(self, n: int = 1) -> None:
        """Count `n` more done, where stopping is left to the caller (`stop_if_asked`)."""
        self.done += n
        self._progress._advanced(self, n)

    def stop_if_asked(self) -> None:
        self._progress.stop_if_asked(f"during {self.name!r} after {self.done} done")

    def set_total(self, total: int | None) -> None:
        self.total = total
        self._progress._advanced(self, 0)


class Progress:
    """Reports stages and events to `stream` (None: nowhere); a rich bar if it is a terminal."""

    def __init__(
        self,
        stream: TextIO | None,
        *,
        console: Console | None = None,
        interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        should_stop: Callable[[], bool] | None = None,
        context: Mapping[str, object] | None = None,
    ) -> None:
        self.stream = stream
        self.should_stop = should_stop or _never
        self.context: dict[str, object] = dict(context or {})
        if console is None and stream is not None and stream.isatty():
            console = Console(file=stream)
        self.console = console if console is not None and console.is_terminal else None
        self.interval = interval
        self.clock = clock
        self.wall = wall
        self._bar: RichProgress | None = None
        self._open = 0
        self._writing = threading.Lock()

    @classmethod
    def quiet(
        cls,
        *,
        stderr: bool = True,
        should_stop: Callable[[], bool] | None = None,
        context: Mapping[str, object] | None = None,
    ) -> Progress:
        """For `--json`: nothing on stdout; progress on stderr, or nowhere."""
        return cls(sys.stderr if stderr else None, should_stop=should_stop, context=context)

    @contextmanager
    def bound(self, **fields: object) -> Iterator[None]:
        """Add `fields` (a run id, say) to every line written inside the block."""
        before = dict(self.context)
        self.context.update(fields)
        try:
            yield
        finally:
            self.context = before

    @contextmanager
    def stage(self, name: str, total: int | None = None) -> Iterator[Stage]:
        stage = Stage(self, name, total, self.clock())
        if self.console is not None:
            bar = self._start_bar()
            stage.task = bar.add_task(name, total=total)
        try:
            yield stage
        except StopRequested:
            self._end(stage, "stopped")
            raise
        except BaseException as error:
            self._end(stage, "failed", error=type(error).__name__)
            raise
        self._end(stage, "done")

    def stop_if_asked(self, where: str) -> None:
        """Raise StopRequested when a stop was asked; call it where the work so far is stored."""
        if self.should_stop():
            raise StopRequested(f"stop requested {where}")

    def log(self, event: str, *, level: str = "info", **fields: object) -> None:
        """One structured event: a JSON line, or a `key=value` line on the terminal."""
        if self.console is not None:
            style = "red" if level == "error" else "yellow" if level == "warning" else ""
            line = logfmt(event=event, **{**self.context, **fields})
            self.console.print(Text(line, style=style))
        elif self.stream is not None:
            self._write(level, event, fields)

    # --- inside ---------------------------------------------------------------------------------

    def _advanced(self, stage: Stage, n: int) -> None:
        if self._bar is not None and stage.task is not None:
            self._bar.update(stage.task, advance=n, total=stage.total)
            return
        now = self.clock()
        if self.stream is not None and now - stage.last_line >= self.interval:
            stage.last_line = now
            self._write("info", "stage", _stage_fields(stage, "running", now))

    def _end(self, stage: Stage, status: str, error: str | None = None) -> None:
        now = self.clock()
        if self._bar is not None and stage.task is not None:
            if status == "done":
                self._bar.update(stage.task, total=stage.total if stage.total else stage.done)
            self._bar.stop_task(stage.task)
            self._open -= 1
            if self._open == 0:
                self._bar.stop()
                self._bar = None
            if status == "stopped":
                self.log("stage_stopped", level="warning", stage=stage.name, done=stage.done)
            elif status != "done":
                self.log("stage_failed", level="error", stage=stage.name, error=error)
            return
        if self.stream is not None:
            fields = _stage_fields(stage, status, now)
            if error is not None:
                fields["error"] = error
            self._write(_LEVELS[status], "stage", fields)

    def _start_bar(self) -> RichProgress:
        if self._bar is None:
            self._bar = RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                RateColumn(),
                TimeElapsedColumn(),
                console=self.console,
            )
            self._bar.start()
        self._open += 1
        return self._bar

    def _write(self, level: str, event: str, fields: Mapping[str, object]) -> None:
        assert self.stream is not None
        given = {**self.context, **fields}
        clash = _FIXED.intersection(given)
        if clash:
            raise ValueError(f"log fields may not be called {', '.join(sorted(clash))}")
        text = json_line(level, event, given, self.wall())
        with self._writing:
            self.stream.write(text + "\n")
            self.stream.flush()


def json_line(level: str, event: str, fields: Mapping[str, object], when: float) -> str:
    """One log line as JSON, without its newline: time (UTC, to the millisecond), level,
    event, then the fields. Takes no lock, so a signal handler may use it."""
    stamp = datetime.fromtimestamp(when, tz=UTC)
    line = {
        "time": stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "level": level,
        "event": event,
        **fields,
    }
    return json.dumps(line, ensure_ascii=False, default=str)


_FIXED = frozenset({"time", "level", "event"})  # every JSON line's first keys
_LEVELS = {"done": "info", "stopped": "warning", "failed": "error"}


def _never() -> bool:
    return False


class RateColumn(ProgressColumn):
    """Items a second, as `1234/s`."""

    def render(self, task: RichTask) -> Text:
        speed = task.finished_speed or task.speed
        return Text(_rate(speed) if speed is not None else "", style="progress.data.speed")


def _stage_fields(stage: Stage, status: str, now: float) -> dict[str, object]:
    elapsed = now - stage.started
    fields: dict[str, object] = {"stage": stage.name, "status": status, "done": stage.done}
    if stage.total is not None:
        fields["total"] = stage.total
    fields["seconds"] = round(elapsed, 1)
    if elapsed > 0:
        fields["rate"] = round(stage.done / elapsed, 1)  # a second
    return fields


def _rate(per_second: float) -> str:
    return f"{per_second:.1f}/s" if per_second < 10 else f"{per_second:.0f}/s"


def logfmt(**fields: object) -> str:
    """`key=value` pairs; values with spaces, quotes or `=` are quoted; None is `null`."""
    return " ".join(f"{key}={_value(value)}" for key, value in fields.items())


def _value(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text == "" or any(c in text for c in ' "=\\') or not text.isprintable():
        escaped = text.replace("\\", "\\\\").replace('"', '\\"')
        escaped = escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
        return f'"{escaped}"'
    return text
