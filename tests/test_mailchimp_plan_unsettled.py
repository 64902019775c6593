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
from sqlalchemy import Connection, delete, insert

from jobs import mailchimp_plan
from jobs.mailchimp_plan import MemberDiff, TagOwners, member_diff
from jobs.state import StateStore
from jobs.state import tables as t

AUDIENCE, OTHER = "a1b2c3", "z9y8x7"
NOW = 1_795_000_000
EMAILS = [f"{name}@example.org" for name in ("ann", "bob", "cy", "dee", "eve", "fay")]
TAGS = st.lists(st.sampled_from(["VIP", "vip", "Phones: X", "Newsletter"]), unique=True)
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


def _reference(specs: dict[str, tuple[Any, ...]]) -> list[MemberDiff]:
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
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(mailchimp_plan, "_settled", lambda want, have: False)
            diff = member_diff(email, want_row, have_row, OWNERS, pending)
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
    for table in (t.mailchimp_wanted, t.mailchimp_members, t.mailchimp_erasures):
        connection.execute(delete(table))
    specs = dict(zip(EMAILS, ours, strict=True))
    for email, spec in specs.items():
        _store(connection, AUDIENCE, email, spec)
    for email, spec in zip(EMAILS, others, strict=True):  # another audience is never read
        _store(connection, OTHER, email, spec)
    assert list(mailchimp_plan.diffs(connection, AUDIENCE, OWNERS)) == _reference(specs)


def test_a_synced_audience_reads_nothing(connection: Connection) -> None:
    """The point of it: wanted and held alike, or held and never tagged by deskbridge."""
    for table in (t.mailchimp_wanted, t.mailchimp_members, t.mailchimp_erasures):
        connection.execute(delete(table))
    alike = {"tags": dumped(["VIP"]), "merge": dumped({"TIER": "a"})}
    held = {**alike, "pushed": dumped(["VIP"]), "status": "subscribed", "error": None}
    _store(connection, AUDIENCE, "ann@example.org", (alike, held, None, False))
    untouched = {**held, "pushed": "[]"}
    _store(connection, AUDIENCE, "bob@example.org", (None, untouched, None, False))
    assert list(connection.execute(mailchimp_plan.unsettled(AUDIENCE))) == []
