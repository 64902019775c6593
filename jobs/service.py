"""`deskbridge run`: the config's [schedule] run by APScheduler until SIGTERM or SIGINT.

Each run re-reads the config (a changed one is used once it is valid; an invalid one is refused
with its problems logged and the last valid one keeps running), opens a session as
`deskbridge sync` does and syncs; a store held by another instance (one PostgreSQL store shared
by several) is logged as skipped, and that instance's run is the run of this slot. The service
runs one sync at a time: a job whose slot comes while another job runs waits for it.

SIGHUP re-reads the config at once. SIGTERM or SIGINT stops: no new run starts, the run in
flight stops after its batch in flight is stored (status "stopped"), and the process exits 0
within `[schedule] stop_timeout`, or exits 1 saying the run did not stop in time. A second
signal exits at once (128 + the signal's number); the next start loses nothing even then.

One event per line on stdout: JSON lines off a terminal (see `jobs.progress`).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TextIO

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.schedulers.background import BackgroundScheduler

from jobs.commands import CommandFailed, Session, open_session, run_session
from jobs.health import HealthServer
from jobs.metrics import Metrics
from jobs.progress import Progress, StopRequested, json_line
from jobs.render import iso, run_counts
from jobs.runreport import Plan, RunReport
from jobs.service_config import ConfigFiles
from jobs.service_health import ServiceHealth, ServiceState
from jobs.service_schedule import ScheduleError, add_jobs, trigger
from jobs.state import LockHeld
from jobs.stopping import StopSignals, stoppable_sleep
from jobs.sync import EXIT_FAILED, EXIT_INVALID, EXIT_OK, SyncOptions
from mappings.config import Config
from mappings.problems import ConfigError

# Tests only, never documented for admins: a slot of `every` is at least a minute, longer than
# a test of the real process can wait, so this divides `every`, `jitter` and the connectors'
# rate-limit minute, as the sandbox's own time scale shortens its clock.
TIME_SCALE_VARIABLE = "DESKBRIDGE_TEST_TIME_SCALE"
POLL_SECONDS = 0.2  # how often the main thread looks for a SIGHUP, and a waiting job for a stop


def run_service(config_path: str, out: TextIO | None = None) -> int:
    """`deskbridge run`: serve until stopped; the exit code."""
    out = out or sys.stdout
    log = Progress(out)
    try:
        scale = time_scale(os.environ.get(TIME_SCALE_VARIABLE))
        files, loaded = ConfigFiles.read(config_path)
        check_schedule(loaded.config, scale)
    except (ConfigError, ScheduleError, ValueError) as error:
        print(error, file=sys.stderr)
        return EXIT_INVALID
    service = Service(config_path, files, loaded.config, log, out, time_scale=scale)
    code = service.serve()
    if code != EXIT_OK:
        # A run that did not stop in time still holds a worker thread, which the interpreter
        # would wait for at exit: leave without it (its batches are stored as they complete).
        out.flush()
        os._exit(code)
    return code


def time_scale(text: str | None) -> float:
    if not text:
        return 1.0
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise ValueError(f"{TIME_SCALE_VARIABLE} must be a positive number, got {text!r}")
    return value


def check_schedule(config: Config, scale: float = 1.0) -> None:
    """What the service needs of [schedule] beyond the model: jobs, and triggers it can run."""
    jobs = config.schedule.jobs
    if not jobs:
        raise ScheduleError(
            "[schedule] has no jobs: add a [[schedule.jobs]] with a name and every or cron "
            "(see config.example.toml)"
        )
    for job in jobs:
        trigger(job, scale)


class Service:
    def __init__(
        self,
        config_path: str,
        files: ConfigFiles,
        config: Config,
        log: Progress,
        out: TextIO,
        *,
        time_scale: float = 1.0,
    ) -> None:
        self.config_path = config_path
        self.base_dir = Path(config_path).resolve().parent
        self.files = files  # the valid config in force
        self.config = config
        self.proven: ConfigFiles | None = None  # the last config a run could open a session with
        self.refused: str | None = None  # why the config on disk is refused, while it is
        self.log = log
        self.out = out
        self.time_scale = time_scale
        self.metrics = Metrics()
        self.failed_in_a_row = 0
        self.signals = StopSignals(on_forced=self._say_forced)
        self.stopping = self.signals.stopping
        self._sleep = stoppable_sleep(self.stopping)
        self.reload_asked = threading.Event()
        self._reload_lock = threading.Lock()
        self._one_sync = threading.Lock()
        self._in_flight = 0
        self._idle = threading.Condition()
        self.scheduler = BackgroundScheduler(timezone=UTC)
        self.scheduler.add_listener(self._slot_skipped, EVENT_JOB_MAX_INSTANCES)

    # --- the main thread ----------------------------------------------------------------------

    def serve(self) -> int:
        # APScheduler's own log lines are plain text; the service logs each of its events.
        scheduler_log = logging.getLogger("apscheduler")
        scheduler_log.addHandler(logging.NullHandler())
        scheduler_log.propagate = False
        signal.signal(signal.SIGHUP, self._on_hangup)
        with self.signals:
            return self._serve()

    def _serve(self) -> int:
        health = self._health_server()
        if health is not None:
            try:
                health.start()
            except OSError as error:
                self.log.log("service_failed", level="error", error=str(error))
                return EXIT_FAILED
        self.scheduler.start()
        self._schedule()
        self.log.log(
            "service_started",
            pid=os.getpid(),
            jobs=len(self.config.schedule.jobs),
            health=f"{health.host}:{health.port}" if health is not None else "off",
        )
        try:
            while not self.stopping.wait(POLL_SECONDS):
                if self.reload_asked.is_set():
                    self.reload_asked.clear()
                    self.reload("SIGHUP")
            return self._stop()
        finally:
            if health is not None:
                health.stop()

    def _say_forced(self, name: str, code: int) -> None:
        """The last line on a second signal, straight to the file descriptor: the signal may
        have interrupted this very thread inside a log write, holding the log's lock."""
        line = json_line("warning", "stop_forced", {"signal": name, "exit": code}, time.time())
        with suppress(OSError, ValueError):
            os.write(self.out.fileno(), (line + "\n").encode())

    def _on_hangup(self, _number: int, _frame: FrameType | None) -> None:
        self.reload_asked.set()

    def _stop(self) -> int:
        timeout = self.config.schedule.stop_timeout
        self.log.log(
            "stopping",
            signal=self.signals.signalled,
            runs_in_flight=self._in_flight,
            timeout=timeout,
        )
        self.scheduler.shutdown(wait=False)
        if self._wait_idle(timeout):
            self.log.log("stopped", signal=self.signals.signalled)
            return EXIT_OK
        self.log.log(
            "stop_timed_out",
            level="error",
            message=f"the run in flight did not stop within {timeout} s; exiting anyway "
            "(the next run resumes from its last stored batch)",
        )
        return EXIT_FAILED

    def _wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                # short waits: a second signal is handled between them
                self._idle.wait(min(left, POLL_SECONDS))
        return True

    def _health_server(self) -> HealthServer | None:
        health = self.config.health
        if not health.enabled:
            return None
        checks = ServiceHealth(self._scheduler_alive, self._state)
        return HealthServer(health.host, health.port, checks, self.metrics)

    def _scheduler_alive(self) -> bool:
        # BackgroundScheduler keeps its thread private; a scheduler whose thread died is dead.
        thread = getattr(self.scheduler, "_thread", None)
        return bool(self.scheduler.running and thread is not None and thread.is_alive())

    def _state(self) -> ServiceState:
        return ServiceState(self.config, self.base_dir, self.refused, self.failed_in_a_row)

    # --- the config -------------------------------------------------------------------------

    def reload(self, why: str) -> None:
        """Read the config file again; use it if it is valid and changed, else say why not."""
        with self._reload_lock:
            try:
                files, loaded = ConfigFiles.read(self.config_path)
                check_schedule(loaded.config, self.time_scale)
            except (ConfigError, ScheduleError) as error:
                self._refuse(str(error), why)
                return
            self.refused = None
            changed = files.changed_from(self.files)
            if not changed:
                return
            rescheduled = loaded.config.schedule != self.config.schedule
            self.files, self.config = files, loaded.config
            self.log.log("config_reloaded", why=why, files=", ".join(changed))
            if rescheduled:
                self._schedule()

    def _refuse(self, problems: str, why: str) -> None:
        if problems != self.refused or why == "SIGHUP":
            self.log.log(
                "config_refused",
                level="error",
                why=why,
                problems=problems,
                keeping="the last valid config",
            )
        self.refused = problems

    def _schedule(self) -> None:
        self.scheduler.remove_all_jobs()
        add_jobs(self.scheduler, self.config.schedule, self._run_job, self.time_scale)
        for job in self.config.schedule.jobs:
            self.log.log(
                "job_scheduled",
                job=job.name,
                every=job.every,
                cron=job.cron,
                jitter=job.jitter,
                full=job.full,
                next_run=self._next_run(job.name),
            )

    def _next_run(self, name: str) -> str | None:
        job = self.scheduler.get_job(name)
        when: datetime | None = getattr(job, "next_run_time", None)
        return iso(when.timestamp()) if when else None

    # --- a run, in a scheduler's worker thread ----------------------------------------------

    def _run_job(self, name: str) -> None:
        with self._running() as allowed:
            if not allowed:
                return
            self.reload("run")
            job = next((j for j in self.config.schedule.jobs if j.name == name), None)
            if job is None:
                return  # the reloaded config no longer has it
            with self._alone(name) as alone:
                if alone:
                    self._run(name, job.full)

    @contextmanager
    def _running(self) -> Iterator[bool]:
        """Counted as in flight (the stop waits for it); False once stopping: do nothing."""
        with self._idle:
            if self.stopping.is_set():
                yield False
                return
            self._in_flight += 1
        try:
            yield True
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    @contextmanager
    def _alone(self, name: str) -> Iterator[bool]:
        """This service's syncs one at a time: wait for another job's run (False: stopped)."""
        waited = False
        while not self._one_sync.acquire(timeout=POLL_SECONDS):
            if not waited:
                self.log.log("run_waiting", job=name, why="another job of this service runs")
                waited = True
            if self.stopping.is_set():
                yield False
                return
        try:
            yield True
        finally:
            self._one_sync.release()

    def _run(self, name: str, full: bool) -> None:
        started = time.monotonic()
        try:
            session = self._open_session()
        except CommandFailed as error:
            self._finished(name, self._failed(name, full, str(error), started), started)
            return
        except StopRequested:
            self.log.log("run_skipped", job=name, why="a stop was asked before it began")
            return
        progress = Progress(self.out, should_stop=self.stopping.is_set, context={"job": name})
        try:
            report = run_session(
                session,
                SyncOptions(full=full),
                progress,
                self.metrics,
                name,
                lambda run_id: self.log.log("run_started", job=name, run=run_id, full=full),
            )
        except LockHeld as held:
            self.log.log("run_skipped", job=name, why="another instance runs it", held=str(held))
            return
        except Exception as error:  # stored as failed by run_sync; the service goes on
            report = self._failed(name, full, f"{type(error).__name__}: {error}", started)
        finally:
            session.close()
        self._finished(name, report, started)

    def _open_session(self) -> Session:
        """A session on the config in force; when the Zendesk account's fields refuse it,
        the last config that opened one (logged as refused)."""
        window = 60.0 / self.time_scale
        files = self.files
        try:
            session = open_session(
                self.config_path, window_seconds=window, files=files, sleep=self._sleep
            )
        except CommandFailed as error:
            if error.code != EXIT_INVALID or self.proven is None or self.proven is files:
                raise
            self._refuse(str(error), "run")
            files = self.proven
            session = open_session(
                self.config_path, window_seconds=window, files=files, sleep=self._sleep
            )
        self.proven = files
        return session

    def _failed(self, name: str, full: bool, error: str, started: float) -> RunReport:
        """A run that failed before or outside `run_sync`, counted in the metrics."""
        report = RunReport(None, Plan(False, int(time.time()), full, None))
        report.status, report.error = "failed", error
        self.metrics.record_run(name, report, time.monotonic() - started, {})
        return report

    def _finished(self, name: str, report: RunReport, started: float) -> None:
        seconds = time.monotonic() - started
        failed = report.status == "failed"
        self.failed_in_a_row = self.failed_in_a_row + 1 if failed else 0
        self._log_outcome(name, report)
        level = {"failed": "error", "partial": "warning", "stopped": "warning"}
        self.log.log(
            "run_finished",
            level=level.get(report.status, "info"),
            job=name,
            run=report.run_id,
            status=report.status,
            seconds=round(seconds, 1),
            error=report.error,
            next_run=None if self.stopping.is_set() else self._next_run(name),
            **run_counts(report),
        )

    def _log_outcome(self, name: str, report: RunReport) -> None:
        """A line per list whose members changed, per destination written to, and per
        warning, before the run's own line."""
        run_id = report.run_id
        for counts in report.plan.lists:
            if counts.joined or counts.left:
                self.log.log(
                    "list_changed",
                    job=name,
                    run=run_id,
                    list=counts.list,
                    group=counts.group,
                    members=counts.members,
                    joined=counts.joined,
                    left=counts.left,
                )
        for result in report.results:
            if result.done or result.failed or result.permanent:
                self.log.log(
                    "destination_applied",
                    level="warning" if result.failed or result.permanent else "info",
                    job=name,
                    run=run_id,
                    destination=result.destination,
                    done=result.done,
                    failed=result.failed,
                    permanent=result.permanent,
                )
        for warning in report.plan.warnings:
            self.log.log(
                "run_warning",
                level="warning",
                job=name,
                run=run_id,
                kind=warning.kind,
                list=warning.list,
                message=warning.message,
            )

    def _slot_skipped(self, event: JobSubmissionEvent) -> None:
        self.log.log("run_skipped", job=event.job_id, why="its previous run still runs")
