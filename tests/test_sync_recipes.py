"""The example config and its recipes, synced for real against a sandbox, checked independently.

One module-scoped sandbox (600 customers, a fixed seed, no rate limits) is snapshotted through
`/_sandbox/state`, synced once with `deskbridge sync`, and snapshotted again. The expectations
are worked out in `tests/sync_helpers.py` from the "before" snapshot and the recipes' text alone
(no `jobs/` or `mappings/` code), then compared with the "after" snapshot.

`now` is fixed at noon on the sandbox's anchor day: the seeded data is defined relative to the
anchor, so every relative date ("created in the last 30 days", "renews in the next 30") has the
same answer on every run. Noon, not midnight: the example's survey is scheduled for the next
09:00 after `now`, and SurveyMonkey (the sandbox, by its wall clock) refuses a schedule in the
past — from noon on the anchor day, the next 09:00 is tomorrow's, always ahead of the wall clock.

Before the run an agent tags the two newest customers `bad_rating` by hand, so that two surveyed
lists share people and the fatigue limit has something to decide. Known bugs are strict xfails
at the end; the other tests leave the affected staff addresses out so they keep guarding the rest.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from jobs import commands
from jobs.demo import SECRETS, write_config
from jobs.sync import EXIT_PARTIAL, SyncOptions
from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer
from tests import sync_helpers as h
from tests.sandbox_helpers import finished_job, state, zendesk_get, zendesk_put

USERS = 600
SEED = 23  # every list non-empty; no renewal falls on the anchor day (an edge the text leaves open)
NOON = 12 * 3600
# A sandbox minute lasts a second: Zendesk's incremental export withholds the last minute, so the
# hand-made change below is exported after a second's wait, not a minute's.
TIME_SCALE = 60.0
SURVEYMONKEY_AUTH = {"Authorization": f"Bearer {SECRETS['SURVEYMONKEY_TOKEN']}"}

pytestmark = pytest.mark.slow


@dataclass
class Synced:
    sandbox: SandboxServer
    now: int
    code: int
    report: dict[str, Any]
    schema: h.Schema
    before: dict[str, Any]
    after: dict[str, Any]
    want: h.Expected

    def emails(self, list_name: str) -> set[str]:
        return h.emails_of(self.before["zendesk"], self.want.lists[list_name])

    @property
    def staff(self) -> set[str]:
        return h.staff_emails(self.before["zendesk"])


def _snapshot(sandbox: SandboxServer) -> dict[str, Any]:
    return {s: state(sandbox, s) for s in ("zendesk", "mailchimp", "surveymonkey")}


def _flag_newest_customers_by_hand(sandbox: SandboxServer, now: int, count: int = 2) -> None:
    """An agent tags the newest mailable customers `bad_rating`: they join both surveyed lists,
    so fatigue has someone to decide about (the seed alone gives no such overlap)."""
    zendesk, surveymonkey = state(sandbox, "zendesk"), state(sandbox, "surveymonkey")
    opted_out, bounced = h.suppressed(surveymonkey)
    newest = sorted(
        (c for c in h.customers(zendesk) if c.email and c.email not in opted_out | bounced),
        key=lambda c: c.user["created_at"],
    )[-count:]
    for customer in newest:
        assert now - (h.unix(customer.user["created_at"]) or 0) < 30 * h.DAY
    users = [{"id": c.id, "tags": sorted(c.tags | {"bad_rating"})} for c in newest]
    answer = zendesk_put(sandbox, "users/update_many.json", {"users": users})
    answer.raise_for_status()
    finished_job(sandbox, answer.json()["job_status"])
    time.sleep(1.5 * 60 / TIME_SCALE)  # out of the export's withheld last minute


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synced]:
    config = SandboxConfig(users=USERS, seed=SEED, rate_limits="off", time_scale=TIME_SCALE)
    with pytest.MonkeyPatch.context() as patch, SandboxServer(config) as sandbox:
        for name, value in SECRETS.items():
            patch.setenv(name, value)
        anchor = requests.get(f"{sandbox.url}/_sandbox/", timeout=30).json()["seeding"]["anchor"]
        now = anchor + NOON
        schema = h.Schema.of(
            zendesk_get(sandbox, "user_fields.json").json()["user_fields"],
            zendesk_get(sandbox, "groups.json").json()["groups"],
        )
        _flag_newest_customers_by_hand(sandbox, now)
        before = _snapshot(sandbox)
        path = write_config(tmp_path_factory.mktemp("recipes"), sandbox.url)
        out = io.StringIO()
        code = commands.sync(
            str(path), SyncOptions(now=now), as_json=True, out=out, window_seconds=60 / TIME_SCALE
        )
        after = _snapshot(sandbox)
        want = h.expected(before["zendesk"], schema, now)
        yield Synced(sandbox, now, code, json.loads(out.getvalue()), schema, before, after, want)


# --- the run itself ------------------------------------------------------------------------


def test_the_run_fails_only_the_records_the_services_must_refuse(synced: Synced) -> None:
    """Partial, not failed: Mailchimp refuses a forgotten address and SurveyMonkey a bounced
    one; deskbridge counts exactly those as permanent failures, and nothing else fails."""
    assert synced.code == EXIT_PARTIAL, synced.report
    assert synced.report["status"] == "partial"
    results = {r["destination"]: r for r in synced.report["results"]}
    assert {d: r["failed"] for d, r in results.items() if r["failed"]} == {}
    forgotten = {e.lower() for e in h.audience(synced.before["mailchimp"])["forgotten"]}
    listed = set().union(*(synced.emails(name) for name in synced.want.tags))
    _opted_out, bounced = h.suppressed(synced.before["surveymonkey"])
    expected = {"mailchimp:Retail customers": len(forgotten & listed)} | {
        f"surveymonkey:{survey}": len(bounced & _joiners(synced, survey)) for survey in SURVEYS
    }
    assert all(expected.values())
    assert {d: r["permanent"] for d, r in results.items() if r["permanent"]} == expected


def test_every_list_of_the_recipes_has_members_so_the_checks_below_are_not_vacuous(
    synced: Synced,
) -> None:
    sizes = {name: len(ids) for name, ids in synced.want.lists.items()}
    for name in (
        "VIP customers",
        "Product Line A",
        "Product Line B",
        "Product Line C",
        "iPhone 15 owners",
        "New customers (last 30 days)",
        "Bad rating submitted",
    ):
        assert sizes[name] > 5, sizes
    assert sum(len(synced.want.lists[f"Gold renewals: Product Line {x}"]) for x in "ABC") > 0
    assert synced.want.vip_priority and synced.want.bad_rating_flagged and synced.want.renewal_due


# --- 1. Mailchimp tags ---------------------------------------------------------------------


def _consent_withheld(synced: Synced) -> set[str]:
    """Addresses deskbridge must never tag or add: unsubscribed or cleaned before the run, or
    forgotten (Mailchimp refuses to take a permanently deleted contact back)."""
    before = h.members_by_email(synced.before["mailchimp"])
    forgotten = {e.lower() for e in h.audience(synced.before["mailchimp"])["forgotten"]}
    return {e for e, m in before.items() if m["status"] in h.NO_CONSENT} | forgotten


def _expected_tagged(synced: Synced, list_name: str) -> set[str]:
    return synced.emails(list_name) - _consent_withheld(synced)


def _managed_tags(synced: Synced) -> dict[str, str]:
    """Mailchimp tag → the list (or sub-list) that owns it in "Retail customers"."""
    return {tag: name for name, tag in synced.want.tags.items()}


def test_managed_tags_are_held_by_exactly_their_lists_members_and_earlier_holders(
    synced: Synced,
) -> None:
    """For each tag deskbridge manages, after the sync:

        holders(after) == holders(before) | expected

    where `expected` is every active end-user in the list with an email address, less those
    deskbridge may not touch (unsubscribed or cleaned before the run, or forgotten by
    Mailchimp). `holders(before)` is there because deskbridge only ever removes a tag it put on
    itself (the ledger's `pushed` column): on a first run that is none, so whoever wore the tag
    before (e.g. the hand-made "VIP" static segment) keeps it, and nobody else gains it. Read
    the other way: the members whose tags deskbridge changed are exactly the expected ones that
    lacked the tag. Agents and admins who gained a tag are left out here and shown by
    `test_agents_and_admins_are_not_treated_as_customers` (a known bug), so this test keeps
    guarding everything else.
    """
    mismatches = {}
    for tag, list_name in _managed_tags(synced).items():
        before = h.tag_holders(synced.before["mailchimp"], tag)
        after = h.tag_holders(synced.after["mailchimp"], tag) - (synced.staff - before)
        wanted = before | _expected_tagged(synced, list_name)
        if after != wanted:
            mismatches[tag] = {"missing": sorted(wanted - after), "extra": sorted(after - wanted)}
    assert not mismatches


def test_tags_deskbridge_does_not_manage_are_untouched(synced: Synced) -> None:
    managed = set(_managed_tags(synced))
    before = h.members_by_email(synced.before["mailchimp"])
    after = h.members_by_email(synced.after["mailchimp"])
    changed = {
        email: (sorted(set(m["tags"]) - managed), sorted(set(after[email]["tags"]) - managed))
        for email, m in before.items()
        if set(m["tags"]) - managed != set(after[email]["tags"]) - managed
    }
    assert not changed
    assert all(not set(m["tags"]) - managed for e, m in after.items() if e not in before)


# --- 2. consent ------------------------------------------------------------------------------


def test_no_existing_members_status_changes(synced: Synced) -> None:
    """Unsubscribed and cleaned members stay so — and so does every other existing member."""
    before = h.members_by_email(synced.before["mailchimp"])
    after = h.members_by_email(synced.after["mailchimp"])
    assert before.keys() <= after.keys()
    changed = {
        e: (m["status"], after[e]["status"])
        for e, m in before.items()
        if m["status"] != after[e]["status"]
    }
    assert not changed
    assert any(m["status"] in h.NO_CONSENT for m in before.values())


def test_new_members_are_exactly_the_listed_customers_and_only_pending(synced: Synced) -> None:
    """Nobody new is `subscribed`: the example's status_if_new is "pending" for every list."""
    before = h.members_by_email(synced.before["mailchimp"])
    after = h.members_by_email(synced.after["mailchimp"])
    listed = set().union(*(_expected_tagged(synced, name) for name in synced.want.tags))
    new = {e: m["status"] for e, m in after.items() if e not in before and e not in synced.staff}
    assert set(new) == listed - set(before)
    assert set(new.values()) == {"pending"}


def test_the_other_audience_is_untouched(synced: Synced) -> None:
    def others(mailchimp: dict[str, Any]) -> list[Any]:
        return [a for a in mailchimp["lists"] if a["name"].casefold() != h.AUDIENCE]

    assert others(synced.after["mailchimp"]) == others(synced.before["mailchimp"])


# --- 3. Zendesk write-backs ----------------------------------------------------------------


def _users(snapshot: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {u["id"]: u for u in snapshot["zendesk"]["users"]}


def test_bad_ratings_tick_the_checkbox_and_nothing_else_is_ticked(synced: Synced) -> None:
    before, after = _users(synced.before), _users(synced.after)
    flagged = synced.want.bad_rating_flagged
    not_ticked = sorted(
        i
        for i in flagged
        if after[i]["user_fields"]["bad_rating_submitted"] is not True
        or "bad_rating" not in after[i]["tags"]
    )
    assert not not_ticked
    newly = {
        i
        for i, u in after.items()
        if u["user_fields"]["bad_rating_submitted"]
        and not before[i]["user_fields"]["bad_rating_submitted"]
    }
    assert newly == {i for i in flagged if not before[i]["user_fields"]["bad_rating_submitted"]}
    assert newly, "the seed should hold bad ratings not flagged yet"


def test_customers_renewing_within_30_days_get_the_renewal_due_tag(synced: Synced) -> None:
    """config.example.toml's own rule adds the tag; nobody else gains it."""
    before, after = _users(synced.before), _users(synced.after)
    due = synced.want.renewal_due
    assert due
    assert {i for i in due if "renewal_due" not in after[i]["tags"]} == set()
    gained = {
        i for i, u in after.items() if "renewal_due" in set(u["tags"]) - set(before[i]["tags"])
    }
    assert gained == {i for i in due if "renewal_due" not in before[i]["tags"]}


def test_other_user_fields_and_tags_are_not_written(synced: Synced) -> None:
    """The only user write-backs in the example are the bad-rating checkbox (with the tag it
    carries) and the renewal_due tag."""
    before, after = _users(synced.before), _users(synced.after)

    def rest(user: dict[str, Any]) -> tuple[Any, ...]:
        fields = {k: v for k, v in user["user_fields"].items() if k != "bad_rating_submitted"}
        return fields, sorted(set(user["tags"]) - {"bad_rating", "renewal_due"})

    assert {i for i in before if rest(before[i]) != rest(after[i])} == set()


def test_vip_customers_unsolved_tickets_are_high_priority_in_vip_support(synced: Synced) -> None:
    vip_group = synced.schema.groups["VIP Support"]
    before = {t["id"]: t for t in synced.before["zendesk"]["tickets"]}
    after = {t["id"]: t for t in synced.after["zendesk"]["tickets"]}
    vip_unsolved = {
        i
        for i, t in before.items()
        if t["requester_id"] in synced.want.vip_priority and t["status"] in h.UNSOLVED
    }
    assert vip_unsolved
    wrong = {
        i: (after[i]["priority"], after[i]["group_id"])
        for i in vip_unsolved
        if (after[i]["priority"], after[i]["group_id"]) != ("high", vip_group)
    }
    assert not wrong
    touched = {
        i
        for i, t in before.items()
        if (t["priority"], t["group_id"], t["status"])
        != (after[i]["priority"], after[i]["group_id"], after[i]["status"])
    }
    assert touched <= vip_unsolved


# --- 4. survey invitations -----------------------------------------------------------------

# The surveys in plan order: the example's own list comes first, then the recipes by file name.
SURVEYS = {
    "Customer Satisfaction Survey": ("Gold renewals", "Bad rating submitted"),
    "Post-Purchase Survey": ("New customers (last 30 days)",),
}


def _joiners(synced: Synced, survey: str) -> set[str]:
    found: set[str] = set()
    for list_name in SURVEYS[survey]:
        for name in synced.want.lists:
            if name == list_name or name.startswith(f"{list_name}: "):
                found |= synced.emails(name)
    return found


def _sent(synced: Synced) -> dict[str, set[str]]:
    before = h.survey_recipients(synced.before["surveymonkey"])
    after = h.survey_recipients(synced.after["surveymonkey"])
    return {survey: after[survey] - before.get(survey, set()) for survey in SURVEYS}


def _sent_to_customers(synced: Synced) -> dict[str, set[str]]:
    return {survey: sent - synced.staff for survey, sent in _sent(synced).items()}


def test_every_recipient_is_a_joiner_and_nobody_is_invited_twice(synced: Synced) -> None:
    sent = _sent_to_customers(synced)
    for survey, recipients in sent.items():
        assert recipients <= _joiners(synced, survey), survey
    css, post = sent.values()
    assert css and post
    assert not css & post


def test_every_joiner_is_invited_somewhere_unless_surveymonkey_will_not_mail_them(
    synced: Synced,
) -> None:
    opted_out, bounced = h.suppressed(synced.after["surveymonkey"])
    invited = set().union(*_sent_to_customers(synced).values())
    joiners = set().union(*(_joiners(synced, s) for s in SURVEYS))
    assert joiners - invited - opted_out - bounced == set()


def test_fatigue_lets_the_first_planned_survey_win(synced: Synced) -> None:
    """Exactly: the first survey gets its mailable joiners; the second, its own less those."""
    opted_out, bounced = h.suppressed(synced.after["surveymonkey"])
    unmailable = opted_out | bounced
    css = _joiners(synced, "Customer Satisfaction Survey") - unmailable
    post = _joiners(synced, "Post-Purchase Survey") - unmailable - css
    assert _joiners(synced, "Post-Purchase Survey") & css, "nobody for fatigue to decide about"
    assert _sent_to_customers(synced) == {
        "Customer Satisfaction Survey": css,
        "Post-Purchase Survey": post,
    }


# --- known bugs ----------------------------------------------------------------------------


def test_agents_and_admins_are_not_treated_as_customers(synced: Synced) -> None:
    before = h.members_by_email(synced.before["mailchimp"])
    after = h.members_by_email(synced.after["mailchimp"])
    added_or_tagged = {
        e
        for e in synced.staff
        if e in after and (e not in before or set(after[e]["tags"]) != set(before[e]["tags"]))
    }
    invited = synced.staff & set().union(*_sent(synced).values())
    assert (added_or_tagged, invited) == (set(), set())


def test_invitations_go_on_the_configured_collector(synced: Synced) -> None:
    after = synced.after["surveymonkey"]
    name_of = {c["id"]: c["name"] for c in after["collectors"]}
    used = {name_of[m["collector_id"]] for m in after["messages"] if m["recipients"]}
    assert used == {"deskbridge"}
