"""A sandbox in its own process, so that a benchmark measures the client side alone."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import requests


@dataclass(frozen=True)
class RunningSandbox:
    url: str
    pid: int


@contextmanager
def sandbox_process(users: int, *extra: str) -> Iterator[RunningSandbox]:
    """`deskbridge sandbox serve` on a free port with limits off; stopped on exit."""
    command = [
        sys.executable, "-m", "jobs.cli", "sandbox", "serve",
        "--port", "0", "--users", str(users), "--rate-limits", "off", *extra,
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        found = re.search(r"(http://[\d.]+:\d+)", first_line)
        if not found:
            raise RuntimeError(f"the sandbox did not start: {first_line!r}")
        url = found.group(1)
        requests.get(f"{url}/_sandbox/", timeout=120).raise_for_status()
        yield RunningSandbox(url, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
