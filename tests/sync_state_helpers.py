"""What a sync leaves in the sandbox, read back to compare runs; and a sync to kill.

`final_state` reads the three services' data as far as deskbridge writes it (Mailchimp members
of the "Retail Customers" audience, Zendesk users and tickets, SurveyMonkey recipients);
`differences` says how two such states differ. The checks name every broken promise: an address
invited twice to a survey, a message sent twice, a consent overridden. `child_main` is the body of
a sync run in a subprocess (the test kills it with SIGKILL); `fast_edge` is the connectors' edge
with their waits scaled to the sandbox's clock.
"""

from __future__ import annotations

import io
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import requests

from connector.http import Edge
from connector.retry import RetryPolicy

TIME_SCALE = 30.0  # the sandbox's minute lasts two real seconds; the connectors wait as long
AUDIENCE = "retail customers"
NO_CONSENT = frozenset({"unsubscribed", "cleaned"})
SEND = re.compile(r"^/v3/collectors/(?P<collector>[^/]+)/messages/(?P<message>[^/]+)/send$")

Json = dict[str, Any]
State = dict[str, dict[str, Any]]


def scaled_sleep(seconds: float) -> None:
    time.sleep(seconds / TIME_SCALE)


def fast_edge(policy: RetryPolicy | None = None) -> Edge:
    """The default edge (retry policy included), its sleeping as short as the sandbox's time."""
    return Edge(policy=policy or RetryPolicy(), sleep=scaled_sleep)


# --- the state a sync leaves --------------------------------------------------------------


def service_state(url: str, service: str) -> Json:
    response = requests.get(f"{url}/_sandbox/state", params={"service": service}, timeout=120)
    response.raise_for_status()
    found: Json = response.json()[service]
    return found


def audience(mailchimp: Json) -> Json:
    (found,) = (a for a in mailchimp["lists"] if a["name"].casefold() == AUDIENCE)
    return found


def member_statuses(mailchimp: Json) -> dict[str, str]:
    return {m["email_address"].lower(): m["status"] for m in audience(mailchimp)["members"]}


def final_state(url: str) -> State:
    """What deskbridge writes, per record: comparable between runs with `==`."""
    mailchimp = service_state(url, "mailchimp")
    zendesk = service_state(url, "zendesk")
    surveymonkey = service_state(url, "surveymonkey")
    return {
        "mailchimp members": {
            m["email_address"].lower(): {
                "status": m["status"],
                "tags": sorted(m["tags"]),
                "merge_fields": m["merge_fields"],
            }
            for m in audience(mailchimp)["members"]
        },
        "zendesk users": {
            str(u["id"]): {"user_fields": u["user_fields"], "tags": sorted(u["tags"])}
            for u in zendesk["users"]
        },
        "zendesk tickets": {
            str(t["id"]): {
                "priority": t["priority"],
                "group_id": t["group_id"],
                "tags": sorted(t["tags"]),
            }
            for t in zendesk["tickets"]
        },
        "survey recipients": {
            title: sorted(emails) for title, emails in survey_recipients(surveymonkey).items()
        },
    }


def survey_recipients(surveymonkey: Json) -> dict[str, list[str]]:
    """Every address on the invitation messages of each survey (by title), repeats kept."""
    title = {s["id"]: s["title"] for s in surveymonkey["surveys"]}
    survey_of = {c["id"]: title[c["survey_id"]] for c in surveymonkey["collectors"]}
    found: dict[str, list[str]] = {t: [] for t in title.values()}
    for message in surveymonkey["messages"]:
        found[survey_of[message["collector_id"]]] += [
            r["email"].lower() for r in message["recipients"]
        ]
    return found


def differences(expected: State, actual: State, limit: int = 4) -> list[str]:
    """Each section's records missing, extra or different in `actual`, a few of each."""
    found = []
    for section, want in expected.items():
        have = actual.get(section, {})
        missing = sorted(set(want) - set(have))
        extra = sorted(set(have) - set(want))
        changed = sorted(k for k in set(want) & set(have) if want[k] != have[k])
        if missing:
            found.append(f"{section}: {len(missing)} missing, e.g. {missing[:limit]}")
        if extra:
            found.append(f"{section}: {len(extra)} extra, e.g. {extra[:limit]}")
        for key in changed[:limit]:
            found.append(f"{section}[{key}]: expected {want[key]!r}, got {have[key]!r}")
        if len(changed) > limit:
            found.append(f"{section}: {len(changed) - limit} more records differ")
    return found


# --- the promises -------------------------------------------------------------------------


def invited_twice(surveymonkey: Json) -> list[str]:
    """Addresses on more than one recipient entry of one survey's messages."""
    return [
        f"{title}: {email} is on {n} invitations"
        for title, emails in survey_recipients(surveymonkey).items()
        for email, n in sorted(Counter(emails).items())
        if n > 1
    ]


def messages_sent_more_than_once(log: Iterable[Json], surveymonkey: Json) -> list[str]:
    """Each message with recipients is sent by exactly one accepted request, and no request
    tries to send one again (which SurveyMonkey would refuse)."""
    accepted: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    for entry in log:
        match = SEND.match(entry["path"]) if entry["service"] == "surveymonkey" else None
        if match is None or entry["method"] != "POST" or entry["status"] == 0:
            continue  # a dropped connection never reached the service
        if 200 <= entry["status"] < 300:
            accepted[match["message"]] += 1
        elif entry["status"] < 500 and entry["status"] != 429:
            refused[match["message"]] += 1
    found = [f"message {m} sent {n} times" for m, n in sorted(accepted.items()) if n > 1]
    found += [f"message {m}: {n} refused sends" for m, n in sorted(refused.items())]
    found += [
        f"message {m['id']} has {len(m['recipients'])} recipients but was never sent"
        for m in surveymonkey["messages"]
        if m["recipients"] and accepted[m["id"]] == 0
    ]
    return found


def consent_overridden(seeded: Mapping[str, str], mailchimp: Json) -> list[str]:
    """Members seeded unsubscribed or cleaned that are now subscribed."""
    now = member_statuses(mailchimp)
    return [
        f"{email}: {status} → {now.get(email)}"
        for email, status in sorted(seeded.items())
        if status in NO_CONSENT and now.get(email) == "subscribed"
    ]


def request_log(url: str, since: int = 0) -> list[Json]:
    response = requests.get(f"{url}/_sandbox/requests", params={"since": since}, timeout=60)
    response.raise_for_status()
    body = response.json()
    assert body["dropped"] == 0, "the sandbox's request log overflowed"
    entries: list[Json] = body["requests"]
    return entries


# --- a sync in a subprocess ---------------------------------------------------------------

CHILD = "from tests.sync_state_helpers import child_main; child_main()"


def child_main() -> None:
    """Import everything, then wait for one line of JSON {config, now} on stdin and sync.

    Imports take a second; a spare child started ahead has them done by the time it is needed,
    so the kill lands on the sync, not on the interpreter's start."""
    import jobs.connections
    from jobs import commands
    from jobs.sync import SyncOptions

    jobs.connections.Edge = fast_edge  # type: ignore[misc,assignment]
    order = json.loads(sys.stdin.readline())
    code = commands.sync(
        order["config"],
        SyncOptions(now=order["now"]),
        as_json=True,
        out=io.StringIO(),
        window_seconds=60.0 / TIME_SCALE,
    )
    sys.exit(code)
