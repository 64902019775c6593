"""The whole sync at volume: a first sync, then an incremental one after 1% of customers change.

    python -m bench.sync [--users 100000] [--changed 0.01] [--trace-memory]

A sandbox runs in its own process (rate limits off; the connectors' own throttles get a tiny
window so that they do not wait either). This process runs `deskbridge sync` twice with the
example config and the recipes: the first sync, then — after `/_sandbox/mutate` changes 1% of
the customers (field edits, new tickets and ratings, unsubscribes...) and Zendesk's one-minute
export delay has passed — the incremental sync. For each it prints the API calls per kind
against the minimum the data allows, the wall time per stage, and the process's peak resident
memory; with --trace-memory, the peak Python memory each sync allocated instead (tracemalloc:
SQLite's own page cache is not in it, and the times are then two to three times longer).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import re
import resource
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

import requests

from bench.sandbox_process import sandbox_process
from jobs import commands
from jobs.demo import SECRETS, write_config
from jobs.sync import SyncOptions

TIME_SCALE = 600.0  # the sandbox's minute (Zendesk's export delay) lasts 0.1 s
KINDS = (  # (kind, service, method, path pattern)
    ("zendesk: export users", "zendesk", "GET", r"/incremental/users"),
    ("zendesk: export tickets", "zendesk", "GET", r"/incremental/tickets"),
    ("zendesk: ratings", "zendesk", "GET", r"/satisfaction_ratings"),
    ("zendesk: fields, groups", "zendesk", "GET", r"/(user_fields|groups)"),
    ("zendesk: bulk updates", "zendesk", "PUT", r"/update_many"),
    ("zendesk: job polls", "zendesk", "GET", r"/job_statuses"),
    ("mailchimp: read members", "mailchimp", "GET", r"/lists/\w+/members$"),
    ("mailchimp: upsert batches", "mailchimp", "POST", r"/lists/\w+$"),
    ("mailchimp: member PUTs", "mailchimp", "PUT", r"/members/"),
    ("mailchimp: tag members", "mailchimp", "POST", r"/segments/\d+$"),
    ("mailchimp: other", "mailchimp", "", r""),
    ("surveymonkey", "surveymonkey", "", r""),
)


def categorise(entries: list[dict[str, Any]]) -> tuple[Counter[str], Counter[str]]:
    """Calls per kind, and the sandbox's own time answering them (ms) per kind."""
    found: Counter[str] = Counter()
    served: Counter[str] = Counter()
    for entry in entries:
        for kind, service, method, pattern in KINDS:
            if entry["service"] != service or (method and entry["method"] != method):
                continue
            if re.search(pattern, entry["path"]):
                found[kind] += 1
                served[kind] += entry.get("duration_ms", 0)
                break
    return found, served


def minimum(document: dict[str, Any], kind: str) -> int | None:
    """The fewest calls of a kind the run's own figures allow (None: not a batched kind)."""
    pulled, zendesk = document["pulled"], document["zendesk"]
    audiences = document["mailchimp"]
    if kind == "zendesk: export users":
        return pulled["users_pulled"] // 1000 + 1
    if kind == "zendesk: export tickets":
        return pulled["tickets_pulled"] // 1000 + 1
    if kind == "zendesk: ratings":
        return max(1, math.ceil(pulled["ratings_pulled"] / 100))
    if kind == "zendesk: fields, groups":
        return 2
    if kind == "zendesk: bulk updates":
        return math.ceil(zendesk["user_updates"] / 100) + math.ceil(zendesk["ticket_updates"] / 100)
    if kind == "mailchimp: read members":
        # Each listing costs a call even when empty: after a large push, the read is split
        # around it (jobs/mailchimp_pull.py) so as not to read our own writes back.
        read = sum(v for k, v in pulled.items() if k.startswith("mailchimp_members:"))
        walks = sum(v for k, v in pulled.items() if k.startswith("mailchimp_walks:"))
        return max(walks, math.ceil(read / 1000))
    if kind == "mailchimp: upsert batches":
        # Adds and updates cannot share a call without risking consent (see
        # connector/mailchimp/upsert.py): one call per 500 of each.
        return sum(math.ceil(a["adds"] / 500) + math.ceil(a["updates"] / 500) for a in audiences)
    if kind == "mailchimp: tag members":
        return sum(
            math.ceil(n / 500)
            for a in audiences
            for counts in (a["tag_adds"], a["tag_removals"])
            for n in counts.values()
        )
    return None


def one_sync(
    config: Path, url: str, now: int, trace: bool
) -> tuple[dict[str, Any], float, float, Counter[str], Counter[str]]:
    start = requests.get(f"{url}/_sandbox/requests", params={"since": 10**12}, timeout=60)
    first_seq = start.json()["next_seq"]
    out = io.StringIO()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    code = commands.sync(
        str(config), SyncOptions(now=now), as_json=True, out=out, window_seconds=0.001
    )
    seconds = time.perf_counter() - started
    if trace:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    document = json.loads(out.getvalue())
    if code not in (0, 3):
        raise SystemExit(f"the sync failed ({code}): {document['error']}")
    log = requests.get(f"{url}/_sandbox/requests", params={"since": first_seq}, timeout=600)
    body = log.json()
    if body.get("dropped"):
        print(f"warning: the sandbox's request log dropped {body['dropped']} entries")
    return document, seconds, peak, *categorise(body["requests"])


def report(
    title: str,
    document: dict[str, Any],
    seconds: float,
    peak: float,
    calls: Counter[str],
    served: Counter[str],
) -> None:
    print(f"\n== {title}: {seconds:.1f} s, peak memory {peak:.1f} MiB ==")
    print(
        f"customers {document['profiles']}, evaluated {document['evaluated']}, "
        f"changes planned {document['writes']}, status {document['status']}"
    )
    total_calls = total_minimum = 0
    for kind, *_ in KINDS:
        n = calls.get(kind, 0)
        least = minimum(document, kind)
        if n == 0 and not least:
            continue
        shown = f"minimum {least}" if least is not None else "unbatched"
        print(f"  {kind:<28} {n:>6} calls   {shown:<16} sandbox {served[kind] / 1000:6.1f} s")
        total_calls += n
        total_minimum += least if least is not None else n
    over = (total_calls - total_minimum) / total_minimum if total_minimum else 0.0
    print(f"  {'all':<28} {total_calls:>6} calls   minimum {total_minimum} (+{over:.1%})")
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in document["seconds"].items())
    print(f"  stages: {stages}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--trace-memory", action="store_true")
    args = parser.parse_args(argv)
    os.environ.update(SECRETS)
    folder = Path(tempfile.mkdtemp(prefix="deskbridge-bench-"))
    with sandbox_process(args.users, "--time-scale", str(TIME_SCALE)) as sandbox:
        config = write_config(folder, sandbox.url)
        now = int(time.time())
        first = one_sync(config, sandbox.url, now, args.trace_memory)
        report(f"first sync of {args.users} customers", *first)
        changes = max(1, int(args.users * args.changed))
        kinds = ["zendesk_field_edit", "zendesk_new_ticket", "zendesk_new_rating",
                 "zendesk_ticket_solved", "mailchimp_unsubscribe"]  # fmt: skip
        requests.post(
            f"{sandbox.url}/_sandbox/mutate", json={"count": changes, "kinds": kinds}, timeout=600
        ).raise_for_status()
        time.sleep(60 / TIME_SCALE + 0.5)  # Zendesk's exports hold back the last minute
        second = one_sync(config, sandbox.url, now + 600, args.trace_memory)
        report(f"incremental sync after {changes} changes", *second)
        calls_ratio = sum(second[3].values()) / max(1, sum(first[3].values()))
        print(
            f"\nincremental/first: calls {calls_ratio:.1%}, time {second[1] / first[1]:.1%} "
            "(target: under 5%)"
        )
    print(f"state and exports in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
