"""Bulk updates: chunks of 100, jobs polled to their end, an outcome for every id sent."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import requests
import responses

from connector.errors import FatalError
from connector.zendesk import BulkOutcome, InvalidChanges, ItemFailure, JobPolling
from tests.test_connector_zendesk_fixtures import BASE, FakeTime, fixture, make_connector

UPDATE_USERS = f"{BASE}/api/v2/users/update_many.json"
UPDATE_TICKETS = f"{BASE}/api/v2/tickets/update_many.json"
QUEUED = fixture("job_status_queued.json")
WORKING = fixture("job_status_working.json")
COMPLETED = fixture("job_status_completed.json")
JOB_ID = QUEUED["job_status"]["id"]
JOB_URL = f"{BASE}/api/v2/job_statuses/{JOB_ID}.json"
FIXTURE_CHANGES: list[tuple[int, dict[str, Any]]] = [
    (368000000002, {"user_fields": {"vip": True}}),
    (368000000003, {"user_fields": {"product_line": "Product Line A"}}),
    (368000000005, {"tags": ["newsletter"]}),
]


def job(job_id: str, status: str, results: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body = copy.deepcopy(COMPLETED if status == "completed" else QUEUED)
    body["job_status"].update(id=job_id, status=status, results=results)
    body["job_status"]["url"] = f"{BASE}/api/v2/job_statuses/{job_id}.json"
    return body


def all_updated(ids: list[int]) -> list[dict[str, Any]]:
    return [{"id": i, "action": "update", "status": "Updated", "success": True} for i in ids]


def sent_items(call: Any, kind: str = "users") -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads(call.request.body)[kind]
    return items


@responses.activate
def test_a_job_queued_then_working_then_completed_reports_its_failed_item() -> None:
    responses.put(UPDATE_USERS, json=QUEUED)
    responses.get(JOB_URL, json=WORKING)
    responses.get(JOB_URL, json=COMPLETED)
    time = FakeTime()

    outcome = make_connector(time).update_users(FIXTURE_CHANGES)

    details = COMPLETED["job_status"]["results"][1]["details"]
    assert outcome == BulkOutcome(
        succeeded=(368000000002, 368000000005),
        failed=(ItemFailure(368000000003, "InvalidValue", details),),
        jobs=(JOB_ID,),
    )
    assert not outcome.ok
    assert time.waits == [2.0, 2.0]  # the poll interval, before each poll
    assert sent_items(responses.calls[0]) == [{"id": i, **a} for i, a in FIXTURE_CHANGES]


def test_no_changes_make_no_call() -> None:
    with responses.RequestsMock() as mock:
        outcome = make_connector().update_users([])

    assert outcome == BulkOutcome() and outcome.ok and len(mock.calls) == 0


@responses.activate
def test_250_users_go_out_in_3_calls_of_at_most_100() -> None:
    ids = list(range(1000, 1250))
    for n, start in enumerate(range(0, 250, 100)):
        responses.put(
            UPDATE_USERS, json=job(f"job{n}", "completed", all_updated(ids[start : start + 100]))
        )
    chunks: list[BulkOutcome] = []

    outcome = make_connector().update_users([(i, {"tags": ["vip"]}) for i in ids], chunks.append)

    puts = [call for call in responses.calls if call.request.method == "PUT"]
    assert [len(sent_items(call)) for call in puts] == [100, 100, 50]
    assert [item["id"] for call in puts for item in sent_items(call)] == ids
    assert outcome.succeeded == tuple(ids) and outcome.ok
    assert [len(chunk.succeeded) for chunk in chunks] == [100, 100, 50]
    assert outcome.jobs == ("job0", "job1", "job2")


@responses.activate
def test_ids_missing_from_the_results_are_reported_failed_not_dropped() -> None:
    responses.put(UPDATE_USERS, json=job("j", "completed", all_updated([1, 3])))

    outcome = make_connector().update_users([(i, {"tags": []}) for i in (1, 2, 3)])

    assert outcome.succeeded == (1, 3)
    assert outcome.failed == (
        ItemFailure(2, "NoResult", "job j completed without a result for this id"),
    )


@responses.activate
def test_a_failed_job_fails_every_id_it_did_not_report_on() -> None:
    failed = job("j", "failed", all_updated([1]))
    failed["job_status"]["message"] = "Something went wrong"
    responses.put(UPDATE_USERS, json=failed)

    outcome = make_connector().update_users([(1, {"tags": []}), (2, {"tags": []})])

    assert outcome.succeeded == (1,)
    assert outcome.failed == (ItemFailure(2, "JobFailed", "job j failed: Something went wrong"),)


@responses.activate
def test_a_job_that_never_finishes_is_polled_until_the_timeout_then_reported_unfinished() -> None:
    responses.put(UPDATE_USERS, json=QUEUED)
    responses.get(JOB_URL, json=WORKING)
    time = FakeTime()
    connector = make_connector(time, polling=JobPolling(interval=2.0, timeout=10.0))

    outcome = connector.update_users([(368000000002, {"tags": []})])

    assert time.waits == [2.0] * 5
    assert len(responses.calls) == 1 + 5
    (failure,) = outcome.failed
    assert failure.error == "JobUnfinished" and "still working after 10 s" in failure.details


@responses.activate
def test_too_many_jobs_is_retried_after_its_retry_after() -> None:
    responses.put(
        UPDATE_USERS,
        json=fixture("error_429_too_many_jobs.json"),
        status=429,
        headers={"Retry-After": "1"},
    )
    responses.put(UPDATE_USERS, json=job("j", "completed", all_updated([7])))
    time = FakeTime()

    outcome = make_connector(time).update_users([(7, {"tags": ["a"]})])

    assert outcome.succeeded == (7,) and time.waits == [1.0]


@responses.activate
def test_an_update_is_sent_again_after_a_dropped_connection_because_it_sets_values() -> None:
    responses.put(UPDATE_USERS, body=requests.ConnectionError("connection reset by peer"))
    responses.put(UPDATE_USERS, json=job("j", "completed", all_updated([7])))

    outcome = make_connector().update_users([(7, {"tags": ["a"]})])

    assert outcome.succeeded == (7,)
    assert sent_items(responses.calls[0]) == sent_items(responses.calls[1])


@responses.activate(registry=responses.registries.OrderedRegistry)
def test_several_jobs_are_submitted_before_the_oldest_is_awaited() -> None:
    ids = list(range(1, 301))
    responses.put(UPDATE_USERS, json=job("a", "queued"))
    responses.put(UPDATE_USERS, json=job("b", "queued"))
    responses.get(
        f"{BASE}/api/v2/job_statuses/a.json", json=job("a", "completed", all_updated(ids[:100]))
    )
    responses.put(UPDATE_USERS, json=job("c", "queued"))
    responses.get(
        f"{BASE}/api/v2/job_statuses/b.json", json=job("b", "completed", all_updated(ids[100:200]))
    )
    responses.get(
        f"{BASE}/api/v2/job_statuses/c.json", json=job("c", "completed", all_updated(ids[200:]))
    )
    time = FakeTime()
    connector = make_connector(time, polling=JobPolling(interval=2.0, max_in_flight=2))

    outcome = connector.update_users([(i, {"tags": []}) for i in ids])

    assert outcome.succeeded == tuple(ids) and outcome.jobs == ("a", "b", "c")
    # a is awaited (one wait); b ran meanwhile and is polled at once; c, sent after, waits once.
    assert time.waits == [2.0, 2.0]
    order = [(c.request.method, str(c.request.url).rsplit("/", 1)[-1]) for c in responses.calls]
    assert order == [
        ("PUT", "update_many.json"),
        ("PUT", "update_many.json"),
        ("GET", "a.json"),
        ("PUT", "update_many.json"),
        ("GET", "b.json"),
        ("GET", "c.json"),
    ]


@responses.activate(registry=responses.registries.OrderedRegistry)
def test_a_stop_sends_no_further_chunk_and_awaits_the_jobs_in_flight() -> None:
    ids = list(range(1, 401))
    responses.put(UPDATE_USERS, json=job("a", "queued"))
    responses.put(UPDATE_USERS, json=job("b", "queued"))
    responses.get(
        f"{BASE}/api/v2/job_statuses/a.json", json=job("a", "completed", all_updated(ids[:100]))
    )
    responses.get(
        f"{BASE}/api/v2/job_statuses/b.json", json=job("b", "completed", all_updated(ids[100:200]))
    )
    connector = make_connector(polling=JobPolling(interval=2.0, max_in_flight=2))
    chunks: list[BulkOutcome] = []

    outcome = connector.update_users(
        [(i, {"tags": []}) for i in ids], chunks.append, stop=lambda: len(chunks) > 0
    )

    # a settled, so the stop is seen before c is submitted; b was in flight and is awaited.
    assert [len(chunk.succeeded) for chunk in chunks] == [100, 100]
    assert outcome.succeeded == tuple(ids[:200]) and outcome.failed == ()
    assert outcome.jobs == ("a", "b")
    assert [c.request.method for c in responses.calls] == ["PUT", "PUT", "GET", "GET"]


@responses.activate
def test_tickets_get_priority_group_and_tags_through_the_ticket_endpoint() -> None:
    responses.put(UPDATE_TICKETS, json=job("t", "completed", all_updated([11])))
    change = {"priority": "urgent", "group_id": 368900000004, "additional_tags": ["vip"]}

    outcome = make_connector().update_tickets([(11, change)])

    assert outcome.succeeded == (11,)
    assert sent_items(responses.calls[0], "tickets") == [{"id": 11, **change}]


@responses.activate
def test_a_refused_chunk_stops_the_run_after_the_settled_chunks_were_reported() -> None:
    ids = list(range(1, 251))
    responses.put(UPDATE_USERS, json=job("a", "completed", all_updated(ids[:100])))
    responses.put(UPDATE_USERS, json=fixture("error_403.json"), status=403)
    chunks: list[BulkOutcome] = []
    connector = make_connector(polling=JobPolling(max_in_flight=1))

    with pytest.raises(FatalError, match="Forbidden") as raised:
        connector.update_users([(i, {"tags": []}) for i in ids], chunks.append)

    assert [chunk.succeeded for chunk in chunks] == [tuple(ids[:100])]
    assert "100 of 250 ids settled" in raised.value.__notes__[0]


@pytest.mark.parametrize(
    ("changes", "problems"),
    [
        (
            [(1, {"user_field": {"vip": True}})],
            ["change 0 (user 1): unknown attribute 'user_field' (did you mean 'user_fields'?)"],
        ),
        (
            [(1, {"tags": ["a"]}), (1, {"tags": ["b"]})],
            ["change 1 (user 1): the same id is in change 0"],
        ),
        (
            [("1", {"tags": []}), (True, {"tags": []}), (0, {"tags": []})],
            ["change 0: the id must be a positive int", "change 1:", "change 2:"],
        ),
        ([(1, {})], ["change 0 (user 1): attributes must be a non-empty dict"]),
        ([(1, {"tags": "vip"})], ["change 0 (user 1): tags must be a list of non-empty strings"]),
        ([(1, {"user_fields": ["vip"]})], ["change 0 (user 1): user_fields must be a dict"]),
        (
            [1, (2, {"tags": []}, "extra")],
            ["change 0: expected (id, attributes)", "change 1: expected"],
        ),
    ],
    ids=[
        "unknown-attribute",
        "duplicate-id",
        "bad-ids",
        "empty",
        "tags-not-a-list",
        "fields-not-a-dict",
        "not-pairs",
    ],
)
def test_invalid_user_changes_are_all_reported_before_anything_is_sent(
    changes: list[Any], problems: list[str]
) -> None:
    with responses.RequestsMock() as mock, pytest.raises(InvalidChanges) as raised:
        make_connector().update_users(changes)

    assert len(mock.calls) == 0
    assert len(raised.value.problems) == len(problems)
    for found, expected in zip(raised.value.problems, problems, strict=True):
        assert found.startswith(expected)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"priority": "asap"}, "priority must be low, normal, high, urgent or None"),
        ({"group_id": "VIP Support"}, "group_id must be a group's id"),
        ({"remove_tags": [""]}, "remove_tags must be a list of non-empty strings"),
        ({"user_fields": {}}, "unknown attribute 'user_fields'"),
    ],
    ids=["priority", "group-by-name", "empty-tag", "user-attribute-on-a-ticket"],
)
def test_invalid_ticket_changes_are_refused_saying_why(
    change: dict[str, Any], problem: str
) -> None:
    with responses.RequestsMock(), pytest.raises(InvalidChanges, match=problem):
        make_connector().update_tickets([(5, change)])
