"""The Mailchimp plan for customers deleted in Zendesk: a pending archive or erasure of an address
the audience holds is its whole diff (no upsert, no tags), counted apart and never held back by
the blast-radius guard; one the audience does not hold is settled without a call."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, insert, select

from jobs import mailchimp_plan
from jobs.mailchimp_plan import MemberDiff, TagOwners
from jobs.state import StateStore
from jobs.state import tables as t
from mappings.lists import CompiledList
from tests.mapping_helpers import check_files

NOW = 1_795_000_000
AUDIENCE = "a1b2c3"
USER = 7  # which Zendesk user an address belongs to does not matter to the plan
CONFIG = """\
[zendesk]
subdomain = "acme"
email = "admin@acme.test"
token = "env:ZENDESK_TOKEN"

[mailchimp]
api_key = "env:MAILCHIMP_API_KEY"

[[lists]]
name = "VIP"
conditions.all = [{ field = "tags", operator = "includes", value = "vip" }]
mailchimp = { audience = "Retail", tag = "VIP" }
"""


@pytest.fixture(scope="module")
def lists() -> list[CompiledList]:
    loaded, problems = check_files({"config.toml": CONFIG})
    assert loaded is not None, problems
    return list(loaded.mappings.lists)


@pytest.fixture
def owners(lists: list[CompiledList]) -> TagOwners:
    return TagOwners.of(lists)


@pytest.fixture
def connection(tmp_path: Path) -> Iterator[Connection]:
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    with store.engine.connect() as opened:
        yield opened
    store.close()


def member(
    connection: Connection,
    email: str,
    status: str | None,
    tags: tuple[str, ...] = (),
    error: str | None = None,
) -> None:
    connection.execute(
        insert(t.mailchimp_members).values(
            audience=AUDIENCE,
            email=email,
            tags=json.dumps(sorted(tags)),
            merge="{}",
            pushed=json.dumps(sorted(tags)),
            status=status,
            error=error,
            updated_at=NOW,
        )
    )


def wanted(connection: Connection, email: str, tags: list[str]) -> None:
    connection.execute(
        insert(t.mailchimp_wanted).values(
            audience=AUDIENCE,
            email=email,
            user_id=USER,
            tags=json.dumps(tags),
            merge="{}",
            status_if_new="pending",
        )
    )


def deletion(connection: Connection, email: str, action: str, done_at: int | None = None) -> None:
    connection.execute(
        insert(t.mailchimp_erasures).values(
            audience=AUDIENCE,
            email=email,
            user_id=USER,
            action=action,
            planned_at=NOW,
            done_at=done_at,
        )
    )


def diffs_of(connection: Connection, owners: TagOwners) -> dict[str, MemberDiff]:
    return {d.email: d for d in mailchimp_plan.diffs(connection, AUDIENCE, owners)}


def pending(connection: Connection) -> set[tuple[str, str]]:
    e = t.mailchimp_erasures.c
    query = select(e.email, e.action).where(e.done_at.is_(None))
    return {(email, action) for email, action in connection.execute(query)}


@pytest.mark.parametrize("action", ["erase", "archive"])
def test_a_deleted_customer_in_the_audience_gets_only_the_deletion(
    connection: Connection, owners: TagOwners, action: str
) -> None:
    member(connection, "ann@example.org", "subscribed", ("VIP",))
    deletion(connection, "ann@example.org", action)
    (diff,) = diffs_of(connection, owners).values()
    assert diff.deletion == action
    assert (diff.upsert, diff.add_tags, diff.remove_tags, diff.archive_for) == (None, (), (), None)
    assert not diff.consent_kept and not diff.rejected


def test_the_deletion_wins_over_what_a_list_still_wants(
    connection: Connection, owners: TagOwners
) -> None:
    member(connection, "ann@example.org", "subscribed")
    wanted(connection, "ann@example.org", ["VIP"])
    deletion(connection, "ann@example.org", "erase")
    diff = diffs_of(connection, owners)["ann@example.org"]
    assert diff.deletion == "erase" and diff.add_tags == () and diff.upsert is None


def test_an_unsubscribed_member_is_erased_too(connection: Connection, owners: TagOwners) -> None:
    member(connection, "ann@example.org", "unsubscribed", ("VIP",))
    deletion(connection, "ann@example.org", "erase")
    assert diffs_of(connection, owners)["ann@example.org"].deletion == "erase"


def test_an_archived_member_still_holds_data_to_erase_but_needs_no_archiving(
    connection: Connection, owners: TagOwners
) -> None:
    member(connection, "ann@example.org", "archived")
    member(connection, "bob@example.org", "archived")
    deletion(connection, "ann@example.org", "erase")
    deletion(connection, "bob@example.org", "archive")
    found = diffs_of(connection, owners)
    assert set(found) == {"ann@example.org"} and found["ann@example.org"].deletion == "erase"
    assert mailchimp_plan.settle_absent(connection, AUDIENCE, NOW) == 1
    assert pending(connection) == {("ann@example.org", "erase")}


def test_an_address_the_audience_does_not_hold_is_settled_without_a_diff(
    connection: Connection, owners: TagOwners
) -> None:
    member(connection, "gone@example.org", "erased")
    member(connection, "refused@example.org", None, error="Invalid Resource: fake")
    member(connection, "kept@example.org", "cleaned")
    for email in ("gone@example.org", "refused@example.org", "never@example.org"):
        deletion(connection, email, "erase")
    deletion(connection, "kept@example.org", "archive")
    assert set(diffs_of(connection, owners)) == {"kept@example.org"}
    assert mailchimp_plan.settle_absent(connection, AUDIENCE, NOW) == 3
    assert pending(connection) == {("kept@example.org", "archive")}
    e = t.mailchimp_erasures.c
    done = connection.execute(select(e.email, e.done_at).where(e.done_at.is_not(None))).all()
    assert {email: at for email, at in done} == {
        "gone@example.org": NOW,
        "refused@example.org": NOW,
        "never@example.org": NOW,
    }


def test_a_done_deletion_is_not_planned_again(connection: Connection, owners: TagOwners) -> None:
    member(connection, "ann@example.org", "subscribed")
    deletion(connection, "ann@example.org", "erase", done_at=NOW - 60)
    assert diffs_of(connection, owners) == {}


def test_deletions_are_counted_apart_and_the_guard_does_not_hold_them(
    connection: Connection, owners: TagOwners, lists: list[CompiledList]
) -> None:
    for n in range(4):
        member(connection, f"vip{n}@example.org", "subscribed", ("VIP",))
        wanted(connection, f"vip{n}@example.org", ["VIP"])
    for n in range(3):
        member(connection, f"erase{n}@example.org", "subscribed", ("VIP",))
        deletion(connection, f"erase{n}@example.org", "erase")
    member(connection, "archive@example.org", "subscribed", ("VIP",))
    deletion(connection, "archive@example.org", "archive")
    member(connection, "left@example.org", "subscribed", ("VIP",))  # left the list: untagged
    counts = mailchimp_plan.count(connection, AUDIENCE, owners, lists)
    assert (counts.erasures, counts.archives, counts.deleted_archives) == (3, 1, 1)
    assert counts.tag_removals == {"VIP": 1}
    assert counts.removals_by_list == {"VIP": 1}  # the deleted ones are not list removals
    assert counts.tagged_by_list == {"VIP": 9}
    assert mailchimp_plan.guarded_lists(counts, 0.2) == {}


def test_an_erased_address_is_absent_and_wanted_again_it_is_added_then_rejected(
    connection: Connection, owners: TagOwners
) -> None:
    member(connection, "ann@example.org", "erased")
    member(connection, "bob@example.org", "erased", error="Forgotten Email Not Subscribed: gone")
    wanted(connection, "ann@example.org", ["VIP"])
    wanted(connection, "bob@example.org", ["VIP"])
    found = diffs_of(connection, owners)
    assert found["ann@example.org"].upsert == "add"
    assert found["ann@example.org"].add_tags == ("VIP",)
    assert found["bob@example.org"].rejected and found["bob@example.org"].upsert is None
    assert "erased" in mailchimp_plan.ABSENT
