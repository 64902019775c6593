"""How the sandbox holds up at scale: start-up time, memory, and a full incremental pull.

    python -m bench.sandbox_scale [--sizes 100000,1000000] [--pull users,tickets]

Each size runs in its own `deskbridge sandbox serve` process; the figures are read from outside:
start-up until the control API answers, the process's peak resident memory (VmHWM), and the
time and requests for pulling every user (and ticket) through the incremental cursor export.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench.sandbox_process import sandbox_process

AUTH = ("admin@example.com/token", "sandbox-token")
STARTUP_LIMIT_SECONDS = 60
MEMORY_LIMIT_MIB = 4096


@dataclass
class Figures:
    users: int
    startup_seconds: float = 0.0
    pulls: dict[str, tuple[int, int, float]] = field(default_factory=dict)  # records, pages, s
    peak_mib: float = 0.0


def peak_rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else float("nan")


def pull(url: str, kind: str) -> tuple[int, int, float]:
    started = time.perf_counter()
    page = requests.get(
        f"{url}/api/v2/incremental/{kind}/cursor.json",
        params={"start_time": 0, "per_page": 1000},
        auth=AUTH,
        timeout=600,
    ).json()
    records, pages = len(page[kind]), 1
    while not page["end_of_stream"]:
        page = requests.get(page["after_url"], auth=AUTH, timeout=600).json()
        records, pages = records + len(page[kind]), pages + 1
    return records, pages, time.perf_counter() - started


def measure(users: int, kinds: list[str]) -> Figures:
    figures = Figures(users)
    started = time.perf_counter()
    with sandbox_process(users) as sandbox:
        figures.startup_seconds = time.perf_counter() - started
        for kind in kinds:
            figures.pulls[kind] = pull(sandbox.url, kind)
        figures.peak_mib = peak_rss_mib(sandbox.pid)
    return figures


def report(all_figures: list[Figures]) -> None:
    print(f"{'users':>10} {'start-up s':>11} {'peak MiB':>9}  pulls (records / pages / seconds)")
    for f in all_figures:
        pulls = "; ".join(
            f"{kind} {n} / {pages} / {seconds:.1f}" for kind, (n, pages, seconds) in f.pulls.items()
        )
        print(f"{f.users:>10} {f.startup_seconds:>11.1f} {f.peak_mib:>9.0f}  {pulls}")
    for f in all_figures:
        if f.startup_seconds > STARTUP_LIMIT_SECONDS or f.peak_mib > MEMORY_LIMIT_MIB:
            print(
                f"OVER TARGET at {f.users} users: start-up must stay under "
                f"{STARTUP_LIMIT_SECONDS} s and memory under {MEMORY_LIMIT_MIB} MiB"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--pull", default="users,tickets")
    args = parser.parse_args()
    kinds = [k for k in args.pull.split(",") if k]
    report([measure(int(size), kinds) for size in args.sizes.split(",")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
