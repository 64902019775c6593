"""The outbox: planned writes survive a crash, done ones are not repeated, failures retried."""

from __future__ import annotations

from jobs.state import StateStore
from jobs.state.outbox import Write, mark_done, mark_failed, open_writes, plan

NOW = 1_795_000_000


def write(record: str, destination: str = "zendesk") -> Write:
    return Write(destination, "update_user", record, {"user_fields": {"vip": True}})


def test_planned_writes_outlive_the_process_that_planned_them(state_url: str) -> None:
    first = StateStore.open(state_url)
    run = first.start_run(NOW, dry_run=False, full=False)
    ids = plan(first, run, [write("user 1"), write("user 2")], NOW)
    first.close()  # the process dies before sending anything
    again = StateStore.open(state_url)
    pending = open_writes(again)
    assert [(item.id, item.write, item.state) for item in pending] == [
        (ids[0], write("user 1"), "planned"),
        (ids[1], write("user 2"), "planned"),
    ]
    again.close()


def test_done_writes_are_not_sent_again_and_failures_are_retried_until_permanent(
    store: StateStore,
) -> None:
    run = store.start_run(NOW, dry_run=False, full=False)
    done, retried, refused = plan(store, run, [write("a"), write("b"), write("c")], NOW)
    mark_done(store, [done], NOW + 1)
    mark_failed(store, [retried], "503 from Zendesk", NOW + 1, permanent=False)
    mark_failed(store, [refused], "422: not a valid value", NOW + 1, permanent=True)
    pending = open_writes(store)
    assert [(i.id, i.state, i.attempts, i.last_error) for i in pending] == [
        (retried, "failed", 1, "503 from Zendesk")
    ]
    mark_done(store, [retried], NOW + 2)
    assert open_writes(store) == []


def test_open_writes_can_be_taken_per_destination(store: StateStore) -> None:
    run = store.start_run(NOW, dry_run=False, full=False)
    plan(store, run, [write("user 1"), write("Retail/a@b.test", "mailchimp")], NOW)
    assert [i.write.record for i in open_writes(store, "mailchimp")] == ["Retail/a@b.test"]
    assert plan(store, run, [], NOW) == []
