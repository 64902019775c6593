"""The config's [schedule] as APScheduler jobs: one instance of a job at a time, missed slots
coalesced into one run, a slot that comes while the job still runs skipped (APScheduler reports
it, and the service logs it), cron in UTC, jitter as configured.

    add_jobs(scheduler, config.schedule, run_job)     # run_job(name) in a worker thread
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from mappings.config import Schedule, ScheduledJob

CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # cron's 0..6 (and 7 = sun)
_DAY_ITEM = re.compile(r"(\*|\w+)(?:-(\w+))?(?:/(\d+))?")


class ScheduleError(ValueError):
    """A job the scheduler cannot run as written; the message names the job."""


def add_jobs(
    scheduler: BaseScheduler,
    schedule: Schedule,
    run_job: Callable[[str], None],
    time_scale: float = 1.0,
) -> None:
    """One APScheduler job per scheduled job, its id the job's name. `time_scale` > 1 shortens
    `every` and `jitter` (a test's clock; cron times cannot be scaled)."""
    for job in schedule.jobs:
        scheduler.add_job(
            run_job,
            trigger(job, time_scale),
            args=(job.name,),
            id=job.name,
            name=job.name,
            max_instances=1,  # a run that overruns its slot is never overlapped
            coalesce=True,  # slots missed while busy or paused make one run
            misfire_grace_time=None,  # and that run happens, however late
            replace_existing=True,
        )


def trigger(job: ScheduledJob, time_scale: float = 1.0) -> BaseTrigger:
    """The job's trigger, or `ScheduleError` saying why it cannot be built."""
    jitter = job.jitter / time_scale or None
    if job.every is not None:
        return IntervalTrigger(seconds=job.every / time_scale, jitter=jitter, timezone=UTC)
    assert job.cron is not None  # the model holds exactly one of every and cron
    try:
        return cron_trigger(job.cron, jitter)
    except ValueError as error:
        raise ScheduleError(f"schedule job {job.name!r}: cron {job.cron!r}: {error}") from None


def cron_trigger(expression: str, jitter: float | None = None) -> BaseTrigger:
    """A standard 5-field crontab line in UTC, with cron's meaning where APScheduler 3 differs:
    day-of-week numbers count from Sunday = 0 (APScheduler's from Monday), and when both the
    day of the month and the day of the week are restricted, either one matching fires (cron's
    rule; APScheduler alone would need both)."""
    minute, hour, day, month, weekday = expression.split()
    days = _weekday_names(weekday)

    def cron(day: str, day_of_week: str, jitter: float | None = None) -> CronTrigger:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=day_of_week,
            timezone=UTC,
            jitter=jitter,
        )

    if day != "*" and days != "*":  # the jitter once, on the earlier of the two: not twice
        return OrTrigger([cron(day, "*"), cron("*", days)], jitter=jitter)
    return cron(day, days, jitter)


def _weekday_names(field: str) -> str:
    """A cron day-of-week field as APScheduler's names: `1-5` → `mon,tue,wed,thu,fri`."""
    if field in ("*", "?"):
        return "*"
    chosen: set[int] = set()
    for item in field.split(","):
        found = _DAY_ITEM.fullmatch(item.lower())
        if found is None:
            raise ValueError(f"day of week {item!r}: expected a day (0-7 or sun-sat) or a range")
        first, last, step = found.groups()
        if first == "*":
            low, high = 0, 6
        else:
            low = _day_number(first)
            high = _day_number(last) if last else (6 if step else low)
        if low > high:
            raise ValueError(f"day of week {item!r}: the range runs backwards")
        chosen |= {day % 7 for day in range(low, high + 1, int(step or 1))}
    return ",".join(CRON_DAYS[day] for day in sorted(chosen))


def _day_number(text: str) -> int:
    if text.isdigit() and int(text) <= 7:
        return int(text)
    if text[:3] in CRON_DAYS:
        return CRON_DAYS.index(text[:3])
    raise ValueError(f"day of week {text!r}: expected 0-7 (0 and 7 are Sunday) or sun-sat")
