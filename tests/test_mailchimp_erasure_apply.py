"""Applying the deletion of a customer deleted in Zendesk: one call, then the ledger row and the
pending deletion settled together; a failed call is that member's error and stays pending."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from connector.errors import ConnectorError, RetriableError
from connector.mailchimp import MemberOutcome, MemberUpdate, RemovalOutcome, TagResult
from jobs import mailchimp_plan
from jobs.mailchimp_apply import AudienceApply
from jobs.mailchimp_plan import TagOwners
from jobs.state import StateStore
from jobs.state import tables as t

NOW = 1_795_000_000
AUDIENCE = "a1b2c3"
NO_LISTS = TagOwners({}, ())


@dataclass
class FakeMailchimp:
    """Answers removals as told; any other write is a mistake of the test's subject."""

    answers: dict[str, RemovalOutcome | ConnectorError] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)

    def archive(self, list_id: str, email: str) -> RemovalOutcome:
        return self._remove("archive", list_id, email)

    def erase(self, list_id: str, email: str) -> RemovalOutcome:
        return self._remove("erase", list_id, email)

    def _remove(self, how: str, list_id: str, email: str) -> RemovalOutcome:
        assert list_id == AUDIENCE
        self.calls.append((how, email))
        answer = self.answers.get(email, RemovalOutcome(email, "erased"))
        if isinstance(answer, ConnectorError):
            raise answer
        return answer

    def upsert_stream(
        self, list_id: str, members: Iterable[MemberUpdate], status_if_new: str
    ) -> Iterable[MemberOutcome]:
        raise AssertionError("a deleted customer is not upserted")

    def tag_members(
        self, list_id: str, name: str, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> TagResult:
        raise AssertionError("a deleted customer is not tagged")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    opened = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    yield opened
    opened.close()


def given(store: StateStore, email: str, action: str, status: str = "subscribed") -> None:
    with store.engine.begin() as connection:
        connection.execute(
            insert(t.mailchimp_members).values(
                audience=AUDIENCE,
                email=email,
                tags=json.dumps(["VIP"]),
                merge=json.dumps({"FNAME": "Ann"}),
                pushed=json.dumps(["VIP"]),
                status=status,
                error=None,
                updated_at=NOW - 60,
            )
        )
        connection.execute(
            insert(t.mailchimp_erasures).values(
                audience=AUDIENCE, email=email, user_id=1, action=action, planned_at=NOW - 60
            )
        )


def apply(store: StateStore, mailchimp: FakeMailchimp) -> tuple[AudienceApply, list[str]]:
    errors: list[str] = []
    applier = AudienceApply(
        mailchimp,
        store,
        AUDIENCE,
        NOW,
        withheld=frozenset({"VIP"}),  # the guard holds the list back: deletions still go
        on_error=lambda record, message, permanent: errors.append(f"{record}|{permanent}"),
    )
    with store.engine.connect() as connection:
        applier.run(mailchimp_plan.diffs(connection, AUDIENCE, NO_LISTS))
    return applier, errors


def ledger(store: StateStore) -> dict[str, tuple[str | None, str, str]]:
    m = t.mailchimp_members.c
    with store.engine.connect() as connection:
        rows = connection.execute(select(m.email, m.status, m.tags, m.pushed)).all()
    return {email: (status, tags, pushed) for email, status, tags, pushed in rows}


def pending(store: StateStore) -> set[str]:
    e = t.mailchimp_erasures.c
    with store.engine.connect() as connection:
        return set(connection.execute(select(e.email).where(e.done_at.is_(None))).scalars())


def test_erased_and_archived_members_are_settled_and_not_asked_again(store: StateStore) -> None:
    given(store, "ann@example.org", "erase")
    given(store, "bob@example.org", "archive")
    mailchimp = FakeMailchimp({"bob@example.org": RemovalOutcome("bob@example.org", "archived")})
    applier, errors = apply(store, mailchimp)
    assert mailchimp.calls == [("erase", "ann@example.org"), ("archive", "bob@example.org")]
    assert (applier.result.done, applier.result.failed, errors) == (2, 0, [])
    assert ledger(store) == {
        "ann@example.org": ("erased", "[]", "[]"),
        "bob@example.org": ("archived", "[]", "[]"),
    }
    assert pending(store) == set()
    again = FakeMailchimp()
    apply(store, again)
    assert again.calls == []


def test_a_member_no_longer_on_the_list_settles_it_too(store: StateStore) -> None:
    given(store, "ann@example.org", "erase")
    mailchimp = FakeMailchimp({"ann@example.org": RemovalOutcome("ann@example.org", "not_on_list")})
    apply(store, mailchimp)
    assert ledger(store) == {"ann@example.org": (None, "[]", "[]")}
    assert pending(store) == set()


def test_a_failed_call_is_the_members_error_and_is_tried_again(store: StateStore) -> None:
    given(store, "ann@example.org", "erase")
    given(store, "bob@example.org", "erase")
    failure = RetriableError("mailchimp", "POST", "/lists/x/members/y", 503, "down")
    applier, errors = apply(store, FakeMailchimp({"ann@example.org": failure}))
    assert (applier.result.done, applier.result.failed) == (1, 1)
    assert errors == [f"{AUDIENCE}/ann@example.org|False"]
    assert pending(store) == {"ann@example.org"}
    assert ledger(store)["ann@example.org"] == ("subscribed", '["VIP"]', '["VIP"]')
    retried = FakeMailchimp()
    apply(store, retried)
    assert retried.calls == [("erase", "ann@example.org")]
    assert pending(store) == set()
