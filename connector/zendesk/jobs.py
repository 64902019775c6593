"""What a finished (or abandoned) `update_many` job means for each id that was sent.

Every id sent gets exactly one outcome: success, Zendesk's own `error` and `details` for it, or a
failure saying why its fate is not known (no result in the job, the job failed, polling gave up).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from connector.zendesk.shapes import Json

PENDING = ("queued", "working")  # any other status (completed, failed, ...) is final


@dataclass(frozen=True)
class ItemFailure:
    id: int
    error: str  # Zendesk's error name, e.g. InvalidValue, or ours: NoResult, JobFailed...
    details: str


@dataclass(frozen=True)
class BulkOutcome:
    """Which ids were updated and which were not (and why); `jobs` are Zendesk's job ids."""

    succeeded: tuple[int, ...] = ()
    failed: tuple[ItemFailure, ...] = ()
    jobs: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failed

    def __add__(self, other: BulkOutcome) -> BulkOutcome:
        return BulkOutcome(
            self.succeeded + other.succeeded, self.failed + other.failed, self.jobs + other.jobs
        )


def outcome_of(job_id: str, ids: list[int], status: Json) -> BulkOutcome:
    """Each id's outcome once the job is no longer queued or working."""
    state = str(status.get("status"))
    results = status.get("results")
    blanket = _blanket(results)
    by_id = _results_by_id(results)
    succeeded: list[int] = []
    failed: list[ItemFailure] = []
    for item_id in ids:
        result = by_id.get(item_id, blanket)
        if result is None:
            if state == "completed":
                why = f"job {job_id} completed without a result for this id"
                failed.append(ItemFailure(item_id, "NoResult", why))
            else:
                message = status.get("message") or "no message"
                failed.append(ItemFailure(item_id, "JobFailed", f"job {job_id} {state}: {message}"))
        elif _succeeded(result):
            succeeded.append(item_id)
        else:
            error = str(result.get("error") or "Failed")
            failed.append(ItemFailure(item_id, error, _text(result.get("details"))))
    return BulkOutcome(tuple(succeeded), tuple(failed), (job_id,))


def unfinished(job_id: str, ids: list[int], state: str, waited: float) -> BulkOutcome:
    """Every id of a job that was still pending when polling gave up."""
    why = (
        f"job {job_id} was still {state} after {waited:.0f} s of polling; whether it applied is "
        "unknown (sending the same update again is safe)"
    )
    return BulkOutcome((), tuple(ItemFailure(i, "JobUnfinished", why) for i in ids), (job_id,))


def _results_by_id(results: Any) -> dict[int, Json]:
    found: dict[int, Json] = {}
    if not isinstance(results, list):
        return found
    for result in results:
        if isinstance(result, dict):
            item_id = _as_id(result.get("id"))
            if item_id is not None:
                found.setdefault(item_id, result)
    return found


def _blanket(results: Any) -> Json | None:
    """Some job types answer `results: {"success": bool}` for the whole job."""
    if isinstance(results, dict) and isinstance(results.get("success"), bool):
        return results
    return None


def _succeeded(result: Json) -> bool:
    if "success" in result:
        return result["success"] is True
    return "error" not in result


def _as_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _text(details: Any) -> str:
    if details is None:
        return ""
    if isinstance(details, str):
        return details
    return json.dumps(details, ensure_ascii=False)
