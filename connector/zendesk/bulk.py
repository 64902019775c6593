"""Bulk updates through `update_many`: chunks of 100, background jobs polled to their end.

Up to `JobPolling.max_in_flight` chunks are submitted before the oldest job is awaited, so the
service works on several while the connector waits. Each chunk's outcome goes to `on_chunk` as
soon as its job is over, in submission order, and all outcomes are returned together at the end.
Once `stop()` says so, no further chunk is submitted: the jobs in flight are awaited and reported,
and the ids never sent are in neither list of the outcome.

The updates set values, so sending one twice does no harm: `update_many` is retried after a
dropped connection or a 5xx like a read, and a 429 `TooManyJobs` waits for the queue to drain.

A connector error (retries exhausted, a refused request) stops the run and is raised, with a note
saying how far it got; the chunks reported through `on_chunk` before it are settled, the others
are not, and sending them again is safe.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import quote

from connector.errors import ConnectorError
from connector.http import JsonApi
from connector.zendesk.changes import Change, checked
from connector.zendesk.jobs import PENDING, BulkOutcome, outcome_of, unfinished
from connector.zendesk.settings import JobPolling
from connector.zendesk.shapes import Json, UnexpectedResponse

CHUNK = 100  # the most update_many takes
ChunkHandler = Callable[[BulkOutcome], None]


@dataclass
class _Job:
    id: str
    ids: list[int]
    status: Json
    submitted_at: float  # on the updater's clock of time spent waiting (`_waited`)
    read_at: float  # when `status` was read, on the same clock


class BulkUpdate:
    """`PUT /api/v2/{users|tickets}/update_many.json` in the batch form, then the job statuses."""

    def __init__(
        self, api: JsonApi, kind: str, polling: JobPolling, sleep: Callable[[float], None]
    ) -> None:
        self.api = api
        self.kind = kind
        self.polling = polling
        self.sleep = sleep
        self._waited = 0.0  # seconds slept between polls, the clock job timeouts are read on

    def run(
        self,
        changes: Iterable[Change],
        on_chunk: ChunkHandler | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> BulkOutcome:
        items = checked(self.kind, changes)
        total = BulkOutcome()
        in_flight: deque[_Job] = deque()

        def settle(job: _Job) -> None:
            nonlocal total
            outcome = self._await(job)
            total = total + outcome
            if on_chunk is not None:
                on_chunk(outcome)

        try:
            for start in range(0, len(items), CHUNK):
                while len(in_flight) >= self.polling.max_in_flight:
                    settle(in_flight.popleft())
                if stop is not None and stop():
                    break
                in_flight.append(self._submit(items[start : start + CHUNK]))
            while in_flight:
                settle(in_flight.popleft())
        except ConnectorError as error:
            settled = len(total.succeeded) + len(total.failed)
            error.add_note(
                f"{self.kind} update_many stopped: {settled} of {len(items)} ids settled and "
                f"reported; the other {len(items) - settled} may or may not have been applied"
            )
            raise
        return total

    def _submit(self, chunk: list[Json]) -> _Job:
        path = f"/api/v2/{self.kind}/update_many.json"
        body = self.api.request("PUT", path, body={self.kind: chunk}, idempotent=True)
        status = body.get("job_status") if isinstance(body, dict) else None
        if not isinstance(status, dict) or not isinstance(status.get("id"), str):
            raise UnexpectedResponse("PUT", self.api.url(path), "the answer has no job_status id")
        ids = [item["id"] for item in chunk]
        return _Job(status["id"], ids, status, self._waited, self._waited)

    def _await(self, job: _Job) -> BulkOutcome:
        path = f"/api/v2/job_statuses/{quote(job.id, safe='')}.json"
        while job.status.get("status") in PENDING:
            waited = self._waited - job.submitted_at
            if waited >= self.polling.timeout:
                return unfinished(job.id, job.ids, str(job.status.get("status")), waited)
            if self._waited <= job.read_at:  # no time has passed since this status was read
                self.sleep(self.polling.interval)
                self._waited += self.polling.interval
            body = self.api.request("GET", path)
            status = body.get("job_status") if isinstance(body, dict) else None
            if not isinstance(status, dict):
                raise UnexpectedResponse("GET", self.api.url(path), "the answer has no job_status")
            job.status, job.read_at = status, self._waited
        return outcome_of(job.id, job.ids, job.status)
