"""The config's [schedule] as APScheduler jobs: interval and cron in UTC, jitter, one instance
at a time, missed runs coalesced; and what the service refuses to schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from pydantic import ValidationError

from jobs.service import check_schedule, time_scale
from jobs.service_schedule import ScheduleError, add_jobs, cron_trigger, trigger
from mappings.config import Config, Schedule, ScheduledJob

MONDAY = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def job(**fields: Any) -> ScheduledJob:
    return ScheduledJob.model_validate({"name": "j", **fields})


def scheduled(*jobs: ScheduledJob, scale: float = 1.0) -> dict[str, Any]:
    """The APScheduler jobs `add_jobs` makes, by id (the scheduler is never started)."""
    scheduler = BackgroundScheduler(timezone=UTC)
    add_jobs(scheduler, Schedule(jobs=list(jobs)), lambda name: None, scale)
    return {found.id: found for found in scheduler.get_jobs()}


def fire_times(trigger: Any, start: datetime, count: int) -> list[datetime]:
    found: list[datetime] = []
    previous = None
    now = start
    for _ in range(count):
        when = trigger.get_next_fire_time(previous, now)
        found.append(when)
        previous, now = when, when + timedelta(seconds=1)
    return found


def test_each_job_runs_one_instance_at_a_time_and_coalesces_missed_runs() -> None:
    jobs = scheduled(job(name="incremental", every="15m"), job(name="nightly", cron="0 3 * * *"))
    assert set(jobs) == {"incremental", "nightly"}
    for found in jobs.values():
        assert found.max_instances == 1
        assert found.coalesce is True
        assert found.misfire_grace_time is None  # a late coalesced run still happens
        assert found.args == (found.id,)


def test_every_is_an_interval_with_its_jitter() -> None:
    found = scheduled(job(every="15m", jitter="1m"))["j"].trigger
    assert isinstance(found, IntervalTrigger)
    assert found.interval == timedelta(minutes=15)
    assert found.jitter == 60


def test_no_jitter_is_none_not_zero() -> None:
    assert scheduled(job(every="1h"))["j"].trigger.jitter is None


def test_a_time_scale_shortens_every_and_jitter() -> None:
    found = scheduled(job(every="1m", jitter="30s"), scale=30)["j"].trigger
    assert found.interval == timedelta(seconds=2)
    assert found.jitter == 1


def test_cron_fires_at_its_times_in_utc_with_its_jitter() -> None:
    found = trigger(job(cron="0 3 * * *", jitter="5m"))
    assert isinstance(found, CronTrigger)
    assert found.jitter == 300
    plain = trigger(job(cron="0 3 * * *"))
    assert fire_times(plain, MONDAY, 2) == [
        datetime(2026, 3, 3, 3, 0, tzinfo=UTC),
        datetime(2026, 3, 4, 3, 0, tzinfo=UTC),
    ]


@pytest.mark.parametrize(
    ("weekday", "expected"),
    [
        ("0", ["Sun"]),
        ("7", ["Sun"]),
        ("1", ["Mon"]),
        ("1-5", ["Mon", "Tue", "Wed", "Thu", "Fri"]),
        ("5-7", ["Fri", "Sat", "Sun"]),
        ("sat,sun", ["Sat", "Sun"]),
        ("*/3", ["Sun", "Wed", "Sat"]),
    ],
    ids=["sunday-0", "sunday-7", "monday-1", "weekdays", "weekend-range", "names", "step"],
)
def test_cron_weekdays_count_from_sunday_as_in_crontab(weekday: str, expected: list[str]) -> None:
    found = cron_trigger(f"0 9 * * {weekday}")
    days = [when.strftime("%a") for when in fire_times(found, MONDAY, 7)]
    assert sorted(set(days)) == sorted(expected)


def test_cron_with_day_of_month_and_weekday_fires_on_either_as_crontab_does() -> None:
    found = cron_trigger("0 9 1 * 1")  # the 1st of the month, and every Monday
    assert isinstance(found, OrTrigger)
    times = fire_times(found, datetime(2026, 3, 28, tzinfo=UTC), 3)
    assert [(t.day, t.strftime("%a")) for t in times] == [(30, "Mon"), (1, "Wed"), (6, "Mon")]


def test_cron_with_both_day_fields_adds_its_jitter_once() -> None:
    found = cron_trigger("0 9 1 * 1", jitter=300)
    assert isinstance(found, OrTrigger) and found.jitter == 300
    assert [inner.jitter for inner in found.triggers] == [None, None]
    for fired in fire_times(found, datetime(2026, 3, 28, tzinfo=UTC), 20):
        assert fired - fired.replace(hour=9, minute=0, second=0, microsecond=0) <= timedelta(
            seconds=300
        )


@pytest.mark.parametrize(
    "cron", ["0 9 * * 8", "0 9 * * 5-1", "0 9 * * mon#2", "0 25 * * *"], ids=str
)
def test_a_cron_the_scheduler_cannot_run_is_refused_naming_the_job(cron: str) -> None:
    with pytest.raises(ScheduleError, match=r"schedule job 'j': cron"):
        trigger(job(cron=cron))


def config_with(schedule: dict[str, Any]) -> Config:
    zendesk = {"subdomain": "acme", "email": "a@acme.example", "token": "env:TOKEN"}
    return Config.model_validate(
        {"zendesk": zendesk, "schedule": schedule},
        context={"env": {"TOKEN": "t"}, "read_file": str},
    )


def test_the_service_needs_a_job() -> None:
    with pytest.raises(ScheduleError, match=r"\[schedule\] has no jobs"):
        check_schedule(config_with({}))


def test_the_config_needs_distinct_job_names() -> None:
    jobs = [{"name": "a", "every": "1h"}, {"name": "a", "cron": "0 3 * * *"}]
    with pytest.raises(ValidationError, match="twice: \\['a'\\]"):
        config_with({"jobs": jobs})


def test_the_test_time_scale_must_be_positive() -> None:
    assert time_scale(None) == 1.0
    assert time_scale("30") == 30.0
    for bad in ("0", "-2", "fast"):
        with pytest.raises(ValueError, match="DESKBRIDGE_TEST_TIME_SCALE must be a positive"):
            time_scale(bad)
