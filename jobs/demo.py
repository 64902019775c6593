"""`deskbridge demo` (and `make demo`): the real sync against the embedded sandbox, offline.

It starts the sandbox on a free loopback port, writes a config for it into a fresh folder from
`config.example.toml` and the recipes (connections pointed at the sandbox, secrets from the
environment), and runs `deskbridge sync --dry-run`, the sync, then — after the sandbox changes
some customers the way a day would — an incremental sync, printing each plan and result. The
sandbox is stopped at the end; the folder (config, state store, CSV exports) is kept to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import requests
from rich.console import Console

from jobs import commands
from jobs.sync import EXIT_INVALID, EXIT_OK, EXIT_PARTIAL, SyncOptions
from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer

DEMO_USERS = 2000
DEMO_SEED = 1
TIME_SCALE = 60.0  # a sandbox minute lasts a second: the rate limits' windows are short
ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config.example.toml"
RECIPES = ROOT / "mappings" / "recipes"
SECRETS = {
    "ZENDESK_TOKEN": "sandbox-token",
    "MAILCHIMP_API_KEY": "sandbox-us1",
    "SURVEYMONKEY_TOKEN": "sandbox-token",
}
# The example's own survey is not one the sandbox holds; the demo sends to one it does.
SANDBOX_SURVEY = "Customer Satisfaction Survey"


def write_config(folder: Path, sandbox_url: str, example: Path = EXAMPLE) -> Path:
    """The example config, pointed at the sandbox, with the recipes beside it."""
    text = example.read_text(encoding="utf-8")
    text = re.sub(r'^# base_url = "[^"]*"$', f'base_url = "{sandbox_url}"', text, flags=re.M)
    text = re.sub(r'^subdomain = "[^"]*"$', 'subdomain = "sandbox"', text, count=1, flags=re.M)
    text = re.sub(r'^email = "[^"]*"$', 'email = "admin@example.com"', text, count=1, flags=re.M)
    text = text.replace('survey = "Renewal check-in"', f'survey = "{SANDBOX_SURVEY}"')
    shutil.copytree(RECIPES, folder / "mappings" / "recipes")
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def run_demo(users: int = DEMO_USERS, seed: int = DEMO_SEED, folder: Path | None = None) -> int:
    console = Console()
    missing = [p for p in (EXAMPLE, RECIPES) if not p.exists()]
    if missing:  # an installed package (the image, a wheel) holds only the code
        print(
            f"deskbridge demo runs from a source checkout: {', '.join(map(str, missing))} "
            "not found (git clone the project, then `make demo`)",
            file=sys.stderr,
        )
        return EXIT_INVALID
    folder = folder or Path(tempfile.mkdtemp(prefix="deskbridge-demo-"))
    os.environ.update(SECRETS)
    config = SandboxConfig(users=users, seed=seed, rate_limits="realistic", time_scale=TIME_SCALE)
    window = 60.0 / TIME_SCALE
    with SandboxServer(config) as sandbox:
        path = write_config(folder, sandbox.url)
        console.rule(f"deskbridge demo — sandbox on {sandbox.url} ({users} customers)")
        console.print(f"config and state in {folder}")
        steps = [
            ("1. deskbridge sync --dry-run (nothing is written)", SyncOptions(dry_run=True)),
            ("2. deskbridge sync", SyncOptions()),
        ]
        for title, options in steps:
            console.rule(title)
            code = commands.sync(str(path), options, window_seconds=window)
            if code not in (EXIT_OK, EXIT_PARTIAL):
                return code
        changed = requests.post(
            f"{sandbox.url}/_sandbox/mutate", json={"count": 60}, timeout=60
        ).json()
        console.rule("3. a day passes in the helpdesk")
        console.print(f"the sandbox changed {changed['count']} things (new tickets, ratings, ...)")
        console.rule("4. deskbridge sync (incremental)")
        code = commands.sync(str(path), SyncOptions(), window_seconds=window)
    console.print(f"sandbox stopped; config, state store and CSV files are in {folder}")
    return code
