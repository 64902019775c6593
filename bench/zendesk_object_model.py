"""What zenpy's object model costs on a large pull, against reading raw JSON pages.

    python -m bench.zendesk_object_model [--users 30000] [--repeat 2] [--url http://127.0.0.1:8765]

Pulls every user of a sandbox (its own `deskbridge sandbox serve` process, limits off, unless
`--url` names a running one) through the cursor-based incremental export, twice over:

- zenpy's object model: `users.incremental(start_time=0)`, then `to_dict()` on every user;
- deskbridge's connector: the same pages as raw JSON through the session zenpy signed in;
- bare `requests` on the same pages, the floor (mostly the sandbox's own time).

It prints the wall time of each (best of `--repeat`), the requests made and the difference per
user. The figure in `connector/zendesk/__init__.py` comes from this script.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import requests

from bench.sandbox_process import sandbox_process
from connector.http import Edge
from connector.zendesk import ExportPage, ZendeskAccount, ZendeskConnector, ZendeskLimits

EMAIL = "admin@example.com"
TOKEN = "sandbox-token"  # noqa: S105  (the sandbox's documented fake token)


def requests_logged(url: str) -> int:
    log = requests.get(f"{url}/_sandbox/requests", params={"service": "zendesk"}, timeout=60)
    return len(log.json()["requests"])


def with_zenpy_objects(url: str) -> int:
    from zenpy import Zenpy

    where = urlsplit(url)
    os.environ["ZENPY_FORCE_SCHEME"] = where.scheme
    os.environ["ZENPY_FORCE_NETLOC"] = where.netloc
    client = Zenpy(subdomain="sandbox", email=EMAIL, token=TOKEN, disable_cache=True)
    return sum(
        1 for user in client.users.incremental(start_time=0, per_page=1000) if user.to_dict()
    )


def with_connector(url: str) -> int:
    account = ZendeskAccount("sandbox", EMAIL, TOKEN, base_url=url)
    # The sandbox runs with its limits off; so does the connector's own export throttle here.
    limits = ZendeskLimits(requests_per_minute=100_000, export_requests_per_minute=100_000)
    connector = ZendeskConnector(account, requests.Session(), Edge(), limits=limits)
    counted = 0

    def count(page: ExportPage) -> None:
        nonlocal counted
        counted += len(page.records)

    connector.users_since(count, start_time=0)
    return counted


def with_plain_requests(url: str) -> int:
    """The floor: the same pages with bare `requests`, no connector, no objects."""
    auth = (f"{EMAIL}/token", TOKEN)
    params = {"start_time": 0, "per_page": 1000}
    with requests.Session() as session:
        page = session.get(
            f"{url}/api/v2/incremental/users/cursor.json", params=params, auth=auth
        ).json()
        counted = len(page["users"])
        while not page["end_of_stream"]:
            page = session.get(page["after_url"], auth=auth).json()
            counted += len(page["users"])
    return counted


def best_of(repeat: int, url: str, pull: Callable[[str], int]) -> tuple[float, int, int]:
    """(seconds, users, requests) of the fastest of `repeat` pulls."""
    runs = []
    for _ in range(repeat):
        requests.delete(f"{url}/_sandbox/requests", timeout=60)
        started = time.perf_counter()
        users = pull(url)
        runs.append((time.perf_counter() - started, users, requests_logged(url)))
    return min(runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--url", help="a running sandbox (seeded as you like) instead of a new one")
    args = parser.parse_args()
    with _sandbox_url(args.users) if args.url is None else _given(args.url) as url:
        figures = {
            "zenpy objects + to_dict()": best_of(args.repeat, url, with_zenpy_objects),
            "connector, raw JSON pages": best_of(args.repeat, url, with_connector),
            "bare requests (the floor)": best_of(args.repeat, url, with_plain_requests),
        }
    print(f"{'pull':<28} {'users':>8} {'requests':>9} {'seconds':>8}")
    for name, (seconds, users, calls) in figures.items():
        print(f"{name:<28} {users:>8} {calls:>9} {seconds:>8.2f}")
    (slow, users, _), (fast, _, _), _floor = figures.values()
    print(f"zenpy's object model costs {(slow - fast) / max(users, 1) * 1e6:.0f} µs a user")
    return 0


@contextmanager
def _given(url: str) -> Iterator[str]:
    yield url.rstrip("/")


@contextmanager
def _sandbox_url(users: int) -> Iterator[str]:
    with sandbox_process(users) as running:
        yield running.url


if __name__ == "__main__":
    sys.exit(main())
