"""Background jobs, as `update_many` creates them: queued → working → completed.

A job's changes are applied when it completes, as Zendesk's workers do; the service advances
jobs on every request, so the data is current whoever asks. Durations are virtual seconds (the
sandbox clock scales them); results expire an hour after completion.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.clock import Clock

QUEUED_SECONDS = 0.2
WORKING_SECONDS = 0.3
SECONDS_PER_ITEM = 0.005
RESULTS_KEPT_SECONDS = 3600.0

Result = dict[str, Any]


@dataclass
class Job:
    id: str
    job_type: str
    total: int
    queued_at: float  # virtual seconds
    apply: Callable[[], list[Result]]
    results: list[Result] | None = None
    completed_at: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def working_from(self) -> float:
        return self.queued_at + QUEUED_SECONDS

    def done_at(self) -> float:
        return self.working_from() + WORKING_SECONDS + SECONDS_PER_ITEM * self.total


class JobQueue:
    def __init__(self, clock: Clock, seed: int) -> None:
        self._clock = clock
        self._jobs: dict[str, Job] = {}
        self._made = 0
        self._seed = seed

    def submit(self, job_type: str, total: int, apply: Callable[[], list[Result]]) -> Job:
        self._made += 1
        job_id = f"{random.Random(self._seed * 1_000_003 + self._made).getrandbits(128):032x}"
        job = Job(job_id, job_type, total, self._clock.virtual_elapsed(), apply)
        self._jobs[job_id] = job
        return job

    def advance(self) -> None:
        """Complete every job whose time has come, in the order they were queued."""
        now = self._clock.virtual_elapsed()
        for job_id, job in list(self._jobs.items()):
            if job.results is None and now >= job.done_at():
                job.results = job.apply()
                job.completed_at = now
            elif job.completed_at is not None and now - job.completed_at > RESULTS_KEPT_SECONDS:
                del self._jobs[job_id]

    def unfinished(self) -> int:
        return sum(1 for job in self._jobs.values() if job.results is None)

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def all(self) -> list[Job]:
        return list(self._jobs.values())


def job_json(job: Job, base_url: str, clock: Clock) -> dict[str, Any]:
    now = clock.virtual_elapsed()
    if job.results is not None:
        status, progress, results = "completed", job.total, job.results
        message = "Completed"
    elif now >= job.working_from():
        status, results, message = "working", None, None
        share = (now - job.working_from()) / max(1e-9, job.done_at() - job.working_from())
        progress = min(job.total - 1, int(job.total * share)) if job.total else 0
    else:
        status, progress, results, message = "queued", None, None, None
    return {
        "id": job.id,
        "url": f"{base_url}/api/v2/job_statuses/{job.id}.json",
        "job_type": job.job_type,
        "total": job.total,
        "progress": progress,
        "status": status,
        "message": message,
        "results": results,
    }
