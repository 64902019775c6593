"""The connectors at volume: pull users from Zendesk and push members to Mailchimp, streamed.

    python -m bench.connectors [--sizes 20000,100000]

For each size a sandbox runs in its own process (rate limits off); this process pulls every user
through `ZendeskConnector.users_since` and upserts as many new members through
`MailchimpConnector.upsert_stream`. It prints the API calls per service against the minimum
(ceil(users/1000) export pages; ceil(members/500) batch upserts), the wall time, and the peak of
Python memory allocated during each phase (tracemalloc), so two sizes show whether memory stays
flat in the number of users.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import requests

from bench.sandbox_process import sandbox_process
from connector.http import Edge
from connector.mailchimp import MailchimpConnector, MemberUpdate
from connector.zendesk import ExportPage, ZendeskAccount, ZendeskConnector, ZendeskLimits

CALLS_TARGET = 0.02  # within 2% of the minimum


@dataclass
class Phase:
    name: str
    records: int
    calls: int
    minimum: int
    seconds: float
    peak_mib: float

    def line(self) -> str:
        over = (self.calls - self.minimum) / self.minimum if self.minimum else 0.0
        verdict = "ok" if over <= CALLS_TARGET else f"OVER the {CALLS_TARGET:.0%} target"
        return (
            f"{self.name:<22} {self.records:>8} records  {self.calls:>5} calls "
            f"(minimum {self.minimum}, +{over:.1%}, {verdict})  {self.seconds:6.1f} s  "
            f"peak {self.peak_mib:6.1f} MiB"
        )


def measured(work: Callable[[], int]) -> tuple[int, float, float]:
    """Run `work`; its result, wall seconds and peak Python allocation in MiB."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = work()
        seconds = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, seconds, peak / 2**20


def calls(url: str, service: str, path: str) -> int:
    log = requests.get(f"{url}/_sandbox/requests", params={"service": service}, timeout=60).json()
    return sum(1 for entry in log["requests"] if re.search(path, entry["path"]))


def pull_users(url: str, users: int) -> Phase:
    zendesk = ZendeskConnector(
        ZendeskAccount("sandbox", "admin@example.com", "sandbox-token", base_url=url),
        requests.Session(),
        # The sandbox runs with its limits off: measure the connector, not the 10-a-minute wait.
        limits=ZendeskLimits(export_requests_per_minute=100_000, requests_per_minute=100_000),
    )
    seen = 0

    def on_page(page: ExportPage) -> None:
        nonlocal seen
        seen += len(page.records)  # a real caller stores the page here, then the cursor

    def work() -> int:
        zendesk.users_since(on_page, start_time=0)
        return seen

    pulled, seconds, peak = measured(work)
    assert pulled == users, f"pulled {pulled} users of {users}"
    made = calls(url, "zendesk", r"/incremental/users/cursor")
    return Phase("pull users", pulled, made, math.ceil(users / 1000), seconds, peak)


def new_members(count: int) -> Iterator[MemberUpdate]:
    for n in range(count):
        yield MemberUpdate(f"bench.member{n}@bench.example", {"FNAME": f"Member{n}"})


def push_members(url: str, members: int) -> Phase:
    mailchimp = MailchimpConnector("sandbox-us1", f"{url}/3.0", requests.Session(), Edge())
    list_id = next(
        a["id"]
        for a in requests.get(f"{url}/3.0/lists", auth=("x", "sandbox-us1"), timeout=60).json()[
            "lists"
        ]
        if a["name"] == "Retail Customers"
    )
    outcomes: dict[str, int] = {}

    def work() -> int:
        for outcome in mailchimp.upsert_stream(list_id, new_members(members), "subscribed"):
            outcomes[outcome.action] = outcomes.get(outcome.action, 0) + 1
        return sum(outcomes.values())

    pushed, seconds, peak = measured(work)
    assert outcomes.get("created") == members, f"outcomes: {outcomes}"
    made = calls(url, "mailchimp", rf"^/3\.0/lists/{list_id}$")
    return Phase("push members", pushed, made, math.ceil(members / 500), seconds, peak)


def run(size: int) -> list[Phase]:
    with sandbox_process(size) as sandbox:
        return [pull_users(sandbox.url, size), push_members(sandbox.url, size)]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="20000,100000")
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"--- {size} users, {size} members")
        for phase in run(size):
            print(phase.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
