"""The database leaves out the settled addresses of an audience (`mailchimp_plan.unsettled`), so an
incremental plan reads only what changed; what it leaves out must never hide something to do.
The reference here walks every address of both sides in Python and compares each in full."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, delete, insert, select, update

from jobs import mailchimp_plan
from jobs.mailchimp_plan import MemberDiff, TagOwners, member_diff
from jobs.state import StateStore
from jobs.state import tables as t

AUDIENCE, OTHER = "a1b2c3", "z9y8x7"
NOW = 1_795_000_000
EMAILS = [f"{name}@example.org" for name in ("ann", "bob", "cy", "dee", "eve", "fay")]
TAGS = st.lists(st.sampled_from(["VIP", "vip", "Phones: X", "Newsletter", "theirs"]), unique=True)
MERGE = st.dictionaries(st.sampled_from(["PHONEMODEL", "TIER"]), st.sampled_from(["", "a", "b"]))
STATUS = st.sampled_from(
    [None, "subscribed", "pending", "unsubscribed", "cleaned", "archived", "erased"]
)


def dumped(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


wants = st.none() | st.fixed_dictionaries(
    {"tags": TAGS.map(sorted).map(dumped), "merge": MERGE.map(dumped)}
)
haves = st.none() | st.fixed_dictionaries(
    {
        "tags": TAGS.map(sorted).map(dumped),
        "merge": MERGE.map(dumped),
        "pushed": TAGS.map(sorted).map(dumped),
        "status": STATUS,
        "error": st.none() | st.just("ERROR_GENERIC: refused"),
    }
)
edits = st.fixed_dictionaries(
    {},
    optional={
        "tags": TAGS.map(sorted).map(dumped),
        "merge": MERGE.map(dumped),
        "pushed": TAGS.map(sorted).map(dumped),
        "status": STATUS,
        "error": st.none() | st.just("ERROR_GENERIC: refused"),
    },
)
deletions = st.sampled_from([None, "archive", "erase", "done"])
addresses = st.tuples(wants, haves, deletions, st.booleans())


def _list(name: str, on_leave: str) -> Any:
    return SimpleNamespace(
        name=name, spec=SimpleNamespace(mailchimp=SimpleNamespace(on_leave=on_leave))
    )


OWNERS = TagOwners(
    {"vip": _list("VIPs", "untag"), "newsletter": _list("Readers", "archive")},
    (("phones: ", _list("Phones", "untag")),),
)
CHANGED_OWNERS = TagOwners(
    {"vip": _list("VIPs", "untag"), "newsletter": _list("Readers", "untag")},
    (("phones: ", _list("Phones", "nothing")),),
)


@pytest.fixture(scope="module")
def connection(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Connection]:
    path: Path = tmp_path_factory.mktemp("unsettled") / "state.db"
    store = StateStore.open(f"sqlite:///{path}")
    with store.engine.connect() as opened:
        yield opened
    store.close()


def _store(connection: Connection, audience: str, email: str, spec: tuple[Any, ...]) -> None:
    want, have, deletion, alike = spec
    if alike and want is not None and have is not None:  # the case the database skips
        have = {**have, "tags": want["tags"], "merge": want["merge"]}
    if want is not None:
        row = {"audience": audience, "email": email, "user_id": 1, "status_if_new": "pending"}
        connection.execute(insert(t.mailchimp_wanted).values(**row, **want))
    if have is not None:
        row = {"audience": audience, "email": email, "updated_at": NOW}
        connection.execute(insert(t.mailchimp_members).values(**row, **have))
    if deletion is not None:
        connection.execute(
            insert(t.mailchimp_erasures).values(
                audience=audience,
                email=email,
                user_id=1,
                action="erase" if deletion == "done" else deletion,
                planned_at=NOW,
                done_at=NOW if deletion == "done" else None,
            )
        )


def _reference(specs: dict[str, tuple[Any, ...]], owners: TagOwners) -> list[MemberDiff]:
    """Every address of either side, compared in full (no shortcut), in address order."""
    found = []
    for email in sorted(specs):
        want, have, deletion, alike = specs[email]
        if alike and want is not None and have is not None:
            have = {**have, "tags": want["tags"], "merge": want["merge"]}
        if want is None and have is None:
            continue
        want_row = None if want is None else SimpleNamespace(**want, status_if_new="pending")
        have_row = None if have is None else SimpleNamespace(**have)
        pending = deletion if deletion in ("archive", "erase") else None
        diff = member_diff(email, want_row, have_row, owners, pending)
        if diff is not None:
            found.append(diff)
    return found


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(addresses, min_size=len(EMAILS), max_size=len(EMAILS)),
    st.lists(addresses, min_size=len(EMAILS), max_size=len(EMAILS)),
)
def test_the_database_leaves_out_only_settled_addresses(
    connection: Connection, ours: list[tuple[Any, ...]], others: list[tuple[Any, ...]]
) -> None:
    _clear(connection)
    specs = dict(zip(EMAILS, ours, strict=True))
    for email, spec in specs.items():
        _store(connection, AUDIENCE, email, spec)
    for email, spec in zip(EMAILS, others, strict=True):  # another audience is never read
        _store(connection, OTHER, email, spec)
    assert list(mailchimp_plan.diffs(connection, AUDIENCE, OWNERS)) == _reference(specs, OWNERS)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(addresses, min_size=len(EMAILS), max_size=len(EMAILS)),
    st.lists(st.none() | addresses | edits, min_size=len(EMAILS), max_size=len(EMAILS)),
    st.booleans(),
)
def test_what_a_walk_marked_settled_comes_back_when_anything_about_it_changes(
    connection: Connection,
    before: list[tuple[Any, ...]],
    changes: list[tuple[Any, ...] | dict[str, Any] | None],
    lists_changed: bool,
) -> None:
    """A walk with `remember` marks the settled addresses; then some rows change as the pull,
    the evaluation and the apply change them (the ledger's `settled` left as it was), or the
    lists' on_leave changes: the next walk still finds everything there is to do."""
    _clear(connection)
    specs = dict(zip(EMAILS, before, strict=True))
    for email, spec in specs.items():
        _store(connection, AUDIENCE, email, spec)
    first = list(mailchimp_plan.diffs(connection, AUDIENCE, OWNERS, remember=True))
    assert first == _reference(specs, OWNERS)
    for email, change in zip(EMAILS, changes, strict=True):
        if isinstance(change, dict):  # one value of the ledger row changes
            want, have, deletion, alike = specs[email]
            if have is None:
                continue
            if alike and want is not None:
                have = {**have, "tags": want["tags"], "merge": want["merge"]}
            change = (want, {**have, **change}, deletion, False)
        if change is not None:
            _restore(connection, email, change)
            specs[email] = change
    owners = CHANGED_OWNERS if lists_changed else OWNERS
    assert list(mailchimp_plan.diffs(connection, AUDIENCE, owners)) == _reference(specs, owners)


def test_a_second_walk_reads_only_what_is_left_to_do(connection: Connection) -> None:
    _clear(connection)
    left = {"tags": dumped(["Newsletter"]), "merge": dumped({"TIER": "a"})}
    wearing = {**left, "pushed": dumped(["Newsletter"]), "status": "subscribed", "error": None}
    extra = {
        **wearing,
        "tags": dumped(["Newsletter", "theirs"]),
        "merge": dumped({"FNAME": "A", "TIER": "a"}),
    }
    _store(connection, AUDIENCE, "ann@example.org", (left, extra, None, False))  # settled
    _store(connection, AUDIENCE, "bob@example.org", (None, wearing, None, False))  # to archive
    assert len(connection.execute(mailchimp_plan.unsettled(AUDIENCE, OWNERS)).all()) == 2
    diffs = list(mailchimp_plan.diffs(connection, AUDIENCE, OWNERS, remember=True))
    assert [d.email for d in diffs] == ["bob@example.org"]
    rows = connection.execute(mailchimp_plan.unsettled(AUDIENCE, OWNERS)).all()
    assert [row.email for row in rows] == ["bob@example.org"]


SETTLED_WANT = {"tags": dumped(["Newsletter"]), "merge": dumped({"TIER": "a"})}
SETTLED_HAVE = {  # more tags and merge values than wanted, and a tag we put on that may stay
    "tags": dumped(["Newsletter", "VIP", "theirs"]),
    "merge": dumped({"FNAME": "A", "TIER": "a"}),
    "pushed": dumped(["Newsletter"]),
    "status": "subscribed",
    "error": None,
}


OWNED_BY = TagOwners(
    {"newsletter": _list("Readers", "archive"), "vip": _list("VIPs", "nothing")}, ()
)
UNTAG_VIP = TagOwners(
    {"newsletter": _list("Readers", "archive"), "vip": _list("VIPs", "untag")}, ()
)
LEFT = {**SETTLED_HAVE, "pushed": dumped(["Newsletter"]), "status": "archived"}


@pytest.mark.parametrize(
    ("want", "have", "change", "owners_after"),
    [
        (SETTLED_WANT, SETTLED_HAVE, {"status": "unsubscribed"}, OWNED_BY),
        (SETTLED_WANT, SETTLED_HAVE, {"error": "ERROR_GENERIC: refused"}, OWNED_BY),
        (SETTLED_WANT, SETTLED_HAVE, {"merge": dumped({"FNAME": "A"})}, OWNED_BY),
        (SETTLED_WANT, SETTLED_HAVE, {"tags": dumped(["VIP", "theirs"])}, OWNED_BY),
        (None, LEFT, {"status": "subscribed"}, OWNED_BY),
        (
            None,
            {**SETTLED_HAVE, "pushed": dumped(["theirs"])},
            {"pushed": LEFT["pushed"]},
            OWNED_BY,
        ),
        (SETTLED_WANT, {**SETTLED_HAVE, "pushed": dumped(["Newsletter", "VIP"])}, {}, UNTAG_VIP),
    ],
)
def test_a_settled_address_comes_back_when_its_ledger_row_or_the_lists_change(
    connection: Connection,
    want: dict[str, Any] | None,
    have: dict[str, Any],
    change: dict[str, Any],
    owners_after: TagOwners,
) -> None:
    _clear(connection)
    _store(connection, AUDIENCE, "ann@example.org", (want, have, None, False))
    assert list(mailchimp_plan.diffs(connection, AUDIENCE, OWNED_BY, remember=True)) == []
    assert connection.execute(mailchimp_plan.unsettled(AUDIENCE, OWNED_BY)).all() == []
    changed = (want, {**have, **change}, None, False)
    _restore(connection, "ann@example.org", changed)
    expected = _reference({"ann@example.org": changed}, owners_after)
    assert expected, "the change must leave something to do"
    assert list(mailchimp_plan.diffs(connection, AUDIENCE, owners_after)) == expected


def _clear(connection: Connection) -> None:
    for table in (t.mailchimp_wanted, t.mailchimp_members, t.mailchimp_erasures):
        connection.execute(delete(table))


def _restore(connection: Connection, email: str, spec: tuple[Any, ...]) -> None:
    """Store the address's new rows, keeping the ledger row's `settled` where it stays."""
    m = t.mailchimp_members.c
    kept = connection.execute(
        select(m.settled).where(m.audience == AUDIENCE, m.email == email)
    ).scalar()
    for table in (t.mailchimp_wanted, t.mailchimp_members, t.mailchimp_erasures):
        connection.execute(
            delete(table).where(table.c.audience == AUDIENCE, table.c.email == email)
        )
    _store(connection, AUDIENCE, email, spec)
    connection.execute(
        update(t.mailchimp_members)
        .where(m.audience == AUDIENCE, m.email == email)
        .values(settled=kept)
    )


def test_a_synced_audience_reads_nothing(connection: Connection) -> None:
    """The point of it: wanted and held alike, or held and never tagged by deskbridge."""
    _clear(connection)
    alike = {"tags": dumped(["VIP"]), "merge": dumped({"TIER": "a"})}
    held = {**alike, "pushed": dumped(["VIP"]), "status": "subscribed", "error": None}
    _store(connection, AUDIENCE, "ann@example.org", (alike, held, None, False))
    untouched = {**held, "pushed": "[]"}
    _store(connection, AUDIENCE, "bob@example.org", (None, untouched, None, False))
    assert list(connection.execute(mailchimp_plan.unsettled(AUDIENCE, OWNERS))) == []


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(addresses, min_size=len(EMAILS), max_size=len(EMAILS)))
def test_the_plan_keeps_for_the_apply_exactly_the_diffs_that_need_a_call(
    connection: Connection, ours: list[tuple[Any, ...]]
) -> None:
    _clear(connection)
    connection.execute(delete(t.mailchimp_planned))
    specs = dict(zip(EMAILS, ours, strict=True))
    for email, spec in specs.items():
        _store(connection, AUDIENCE, email, spec)
    mailchimp_plan.count(connection, AUDIENCE, OWNERS, [])
    calls = [
        diff
        for diff in _reference(specs, OWNERS)
        if diff.deletion or diff.upsert or diff.add_tags or diff.remove_tags or diff.archive_for
    ]
    assert list(mailchimp_plan.planned(connection, AUDIENCE)) == calls
    mailchimp_plan.settle(connection, AUDIENCE, OWNERS)
    assert list(mailchimp_plan.planned(connection, AUDIENCE)) == []
