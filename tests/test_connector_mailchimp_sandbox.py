"""The Mailchimp connector against the sandbox, with 10% 5xx, 5% 429 and 2% dropped connections.

Every operation must end with the right result, checked against `/_sandbox/state`, or with a
clear error once its retry budget is spent; nothing may be skipped without saying so.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from connector.errors import RetriesExhausted
from connector.http import Edge
from connector.mailchimp import MailchimpConnector, MemberUpdate, MergeFieldTypeMismatch
from connector.retry import RetryPolicy
from sandbox.server import SandboxServer
from tests.conftest import MAILCHIMP_KEY
from tests.mailchimp_connector_helpers import Waits
from tests.sandbox_helpers import control, state

FAULTS = ",".join(
    f"mailchimp:{kind}" for kind in ("500=0.05", "502=0.03", "503=0.02", "429=0.05", "drop=0.02")
)
RETAIL = "Retail Customers"


def fast_edge(sleep: Any = time.sleep, max_attempts: int = 12) -> Edge:
    policy = RetryPolicy(
        max_attempts=max_attempts, initial_backoff=0.001, max_backoff=0.01, max_retry_after=0.01
    )
    return Edge(policy=policy, sleep=sleep, timeout=30)


def retail(sandbox: SandboxServer) -> dict[str, Any]:
    audience: dict[str, Any] = next(
        a for a in state(sandbox, "mailchimp")["lists"] if a["name"] == RETAIL
    )
    return audience


def log(sandbox: SandboxServer) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = control(sandbox, "GET", "requests?service=mailchimp")[
        "requests"
    ]
    return entries


@pytest.fixture
def faulty(sandbox: SandboxServer) -> SandboxServer:
    control(sandbox, "POST", "faults", {"spec": FAULTS})
    return sandbox


@pytest.fixture
def mailchimp(faulty: SandboxServer) -> MailchimpConnector:
    return MailchimpConnector(MAILCHIMP_KEY, f"{faulty.url}/3.0", requests.Session(), fast_edge())


def test_upserting_1200_members_creates_the_new_and_keeps_every_existing_status(
    faulty: SandboxServer, mailchimp: MailchimpConnector
) -> None:
    before = retail(faulty)
    by_status: dict[str, list[str]] = {}
    for member in before["members"]:
        by_status.setdefault(member["status"], []).append(member["email_address"])
    existing = (
        by_status["subscribed"][:300]
        + by_status["unsubscribed"]
        + by_status["cleaned"]
        + by_status["pending"][:20]
        + by_status["transactional"][:20]
    )
    new = [f"new.{n}@deskbridge.example" for n in range(1200 - len(existing))]
    emails = existing + new
    # Every seventh address in another letter case: it must still find its member.
    members = [
        MemberUpdate(e.upper() if n % 7 == 0 else e, {"FNAME": f"Synced {n}"})
        for n, e in enumerate(emails)
    ]

    result = mailchimp.upsert(before["id"], members, "subscribed")

    assert [o for o in result.outcomes if o.failed] == []
    assert Counter(o.action for o in result.outcomes) == {
        "created": len(new),
        "updated": len(existing),
    }
    assert {o.email.lower() for o in result.outcomes} == {e.lower() for e in emails}
    status_before = {m["email_address"].lower(): m["status"] for m in before["members"]}
    after = {m["email_address"].lower(): m for m in retail(faulty)["members"]}
    for n, email in enumerate(emails):
        member = after[email.lower()]
        wanted_status = status_before.get(email.lower(), "subscribed")
        assert (member["status"], member["merge_fields"]["FNAME"]) == (
            wanted_status,
            f"Synced {n}",
        ), email
    assert mailchimp.stats.retries > 0  # the faults were met, and got through
    batches = [
        e for e in log(faulty) if e["method"] == "POST" and e["status"] == 200 and not e["fault"]
    ]
    assert len(batches) == math.ceil(1200 / 500) + math.ceil(len(existing) / 500)


def test_every_member_is_read_back_in_pages(
    faulty: SandboxServer, mailchimp: MailchimpConnector
) -> None:
    audience = retail(faulty)
    listed = [m for m in audience["members"] if m["status"] != "archived"]
    pages = list(mailchimp.members(audience["id"], page_size=100))
    read = [m for p in pages for m in p.members]
    assert len(pages) == math.ceil(len(listed) / 100)
    assert [m.email for m in read] == [m["email_address"] for m in listed]
    by_email = {m["email_address"]: m for m in listed}
    for member in read:
        assert member.status == by_email[member.email]["status"]
        assert list(member.tags) == by_email[member.email]["tags"]
    assert pages[-1].next_offset is None and mailchimp.stats.retries > 0


def test_an_incremental_read_returns_just_the_members_changed_since(
    faulty: SandboxServer, mailchimp: MailchimpConnector
) -> None:
    audience = retail(faulty)
    since = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    changed = [m["email_address"] for m in audience["members"][:5]]
    upserted = mailchimp.upsert(
        audience["id"], [MemberUpdate(e, {"LNAME": "Changed"}) for e in changed], "subscribed"
    )
    assert not upserted.failed
    pages = list(mailchimp.members(audience["id"], since_last_changed=since))
    assert sorted(m.email for p in pages for m in p.members) == sorted(changed)


def test_tags_are_added_and_removed(faulty: SandboxServer, mailchimp: MailchimpConnector) -> None:
    audience = retail(faulty)
    subscribed = [m["email_address"] for m in audience["members"] if m["status"] == "subscribed"]
    added = mailchimp.tag_members(
        audience["id"], "Synced", add=[*subscribed[:700], "stranger@deskbridge.example"]
    )
    removed = mailchimp.tag_members(audience["id"], "synced", remove=subscribed[:100])
    assert len(added.added) == 700 and added.tag.created
    assert [p.email for p in added.failed] == ["stranger@deskbridge.example"]
    assert len(removed.removed) == 100 and removed.tag.id == added.tag.id
    segments = [s for s in retail(faulty)["segments"] if s["name"] == "Synced"]
    assert len(segments) == 1
    assert sorted(segments[0]["member_emails"]) == sorted(subscribed[100:700])


def test_a_tag_and_merge_fields_are_made_once_however_often_they_are_ensured(
    faulty: SandboxServer, mailchimp: MailchimpConnector
) -> None:
    list_id = retail(faulty)["id"]
    wanted = {"FNAME": "text", "PLAN": "text", "SPEND": "number"}
    first = mailchimp.ensure_merge_fields(list_id, wanted)
    second = mailchimp.ensure_merge_fields(list_id, wanted)
    tags = {mailchimp.ensure_tag(list_id, "Synced").id for _ in range(5)}
    assert [f.tag for f in first.created] == ["PLAN", "SPEND"]
    assert second.created == () and [f.tag for f in second.present] == ["FNAME", "PLAN", "SPEND"]
    with pytest.raises(MergeFieldTypeMismatch, match="SPEND is number, wanted text"):
        mailchimp.ensure_merge_fields(list_id, {"SPEND": "text"})
    after = retail(faulty)
    assert Counter(f["tag"] for f in after["merge_fields"]) == dict.fromkeys(
        ["FNAME", "LNAME", "PHONE", "BIRTHDAY", "PLAN", "SPEND"], 1
    )
    assert {f["tag"]: f["type"] for f in after["merge_fields"]}["SPEND"] == "number"
    assert len(tags) == 1 and [s["name"] for s in after["segments"]].count("Synced") == 1


def test_members_are_archived_and_erased(
    faulty: SandboxServer, mailchimp: MailchimpConnector
) -> None:
    audience = retail(faulty)
    subscribed = [m["email_address"] for m in audience["members"] if m["status"] == "subscribed"]
    archived = mailchimp.archive(audience["id"], subscribed[0].upper())
    erased = mailchimp.erase(audience["id"], subscribed[1])
    stranger = mailchimp.archive(audience["id"], "stranger@deskbridge.example")
    assert (archived.action, erased.action, stranger.action) == (
        "archived",
        "erased",
        "not_on_list",
    )
    after = retail(faulty)
    members = {m["email_address"]: m for m in after["members"]}
    assert members[subscribed[0]]["status"] == "archived"
    assert members[subscribed[0]]["status_before_archive"] == "subscribed"
    assert subscribed[1] not in members and subscribed[1].lower() in after["forgotten"]


def test_a_queued_429_then_503_are_waited_out_and_the_call_succeeds(
    sandbox: SandboxServer,
) -> None:
    list_id = retail(sandbox)["id"]
    waits = Waits()
    client = MailchimpConnector(
        MAILCHIMP_KEY, f"{sandbox.url}/3.0", requests.Session(), fast_edge(waits)
    )
    control(sandbox, "POST", "faults", {"queue": {"mailchimp": ["429", "503"]}})
    audience = client.check(list_id)
    assert audience.name == RETAIL
    assert [(e["path"], e["status"]) for e in log(sandbox)] == [
        ("/3.0/ping", 429),
        ("/3.0/ping", 503),
        ("/3.0/ping", 200),
        (f"/3.0/lists/{list_id}", 200),
    ]
    assert waits.seconds == [0.01, 0.01]  # Retry-After: 1, clamped by the policy
    assert (client.stats.retries, client.stats.throttled) == (2, 1)


def test_a_fault_that_outlasts_the_retry_budget_is_a_clear_error(sandbox: SandboxServer) -> None:
    list_id = retail(sandbox)["id"]
    client = MailchimpConnector(
        MAILCHIMP_KEY,
        f"{sandbox.url}/3.0",
        requests.Session(),
        fast_edge(max_attempts=3),
    )
    control(sandbox, "POST", "faults", {"queue": {"mailchimp": ["503", "drop", "503"]}})
    with pytest.raises(RetriesExhausted) as raised:
        client.check(list_id)
    assert "mailchimp GET /3.0/ping answered 503" in str(raised.value)
    assert "gave up after 3 attempts" in str(raised.value)
    assert MAILCHIMP_KEY not in str(raised.value)
    assert client.check(list_id).id == list_id  # the queue is spent: the next call goes through
