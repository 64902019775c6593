"""`deskbridge demo`: the embedded sandbox, seen through the real client libraries.

Until the sync exists, the demo starts the sandbox on a free loopback port, reads what it holds
the way deskbridge will — zenpy for Zendesk, mailchimp-marketing for Mailchimp, requests for
SurveyMonkey — prints a summary, and stops the sandbox.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import requests
from rich.console import Console
from rich.table import Table

from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer

DEMO_USERS = 2000
DEMO_SEED = 1
ZENDESK_EMAIL, ZENDESK_TOKEN = "admin@example.com", "sandbox-token"
MAILCHIMP_KEY, SURVEYMONKEY_TOKEN = "sandbox-us1", "sandbox-token"


def run_demo(users: int = DEMO_USERS, seed: int = DEMO_SEED) -> int:
    console = Console()
    config = SandboxConfig(users=users, seed=seed, rate_limits="realistic", time_scale=60)
    with SandboxServer(config) as sandbox:
        console.print(f"[bold]deskbridge demo[/] — sandbox on {sandbox.url} ({users} users)")
        show_zendesk(console, sandbox)
        show_mailchimp(console, sandbox)
        show_surveymonkey(console, sandbox)
        calls = requests.get(f"{sandbox.url}/_sandbox/requests", timeout=30).json()
        by_service = Counter(entry["service"] for entry in calls["requests"])
        console.print(f"API calls made: {dict(by_service)}")
    console.print("sandbox stopped")
    return 0


def zendesk_client(sandbox: SandboxServer) -> Any:
    from zenpy import Zenpy

    os.environ["ZENPY_FORCE_SCHEME"] = "http"
    os.environ["ZENPY_FORCE_NETLOC"] = f"{sandbox.host}:{sandbox.port}"
    return Zenpy(subdomain="sandbox", email=ZENDESK_EMAIL, token=ZENDESK_TOKEN, disable_cache=True)


def show_zendesk(console: Console, sandbox: SandboxServer) -> None:
    zendesk = zendesk_client(sandbox)
    people = list(zendesk.users.incremental(start_time=0))
    customers = [u for u in people if u.role == "end-user" and u.active]
    tickets = list(zendesk.tickets.incremental(start_time=0))
    bad = list(zendesk.satisfaction_ratings(score="bad"))
    fields = {f.key: f for f in zendesk.user_fields()}

    table = Table(title="Zendesk", show_header=True)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("users (all roles, incl. deleted)", str(len(people)))
    table.add_row("active customers", str(len(customers)))
    table.add_row("customers without email", str(sum(1 for u in customers if not u.email)))
    table.add_row("VIPs (tag vip)", str(sum(1 for u in customers if "vip" in u.tags)))
    table.add_row("tickets", str(len(tickets)))
    table.add_row("bad satisfaction ratings", str(len(bad)))
    console.print(table)
    console.print(f"user fields: {', '.join(sorted(fields))}")
    for title, key in (
        ("preferred product line", "product_line"),
        ("phone model", "phone_model"),
        ("service level", "service_level"),
    ):
        console.print(_counts(title, customers, key))
    channels = Counter(t.via.channel for t in tickets)
    console.print(f"tickets by channel: {dict(channels.most_common())}")


def _counts(title: str, customers: list[Any], key: str) -> str:
    values = Counter(u.user_fields.get(key) or "(none)" for u in customers)
    return f"{title}: " + ", ".join(f"{v} {n}" for v, n in values.most_common())


def mailchimp_client(sandbox: SandboxServer) -> Any:
    from mailchimp_marketing import Client

    client = Client()
    client.set_config({"api_key": MAILCHIMP_KEY, "server": "us1"})
    client.api_client.host = f"{sandbox.url}/3.0"
    return client


def show_mailchimp(console: Console, sandbox: SandboxServer) -> None:
    mailchimp = mailchimp_client(sandbox)
    console.print(f"Mailchimp ping: {mailchimp.ping.get()['health_status']}")
    for audience in mailchimp.lists.get_all_lists()["lists"]:
        statuses = Counter(m["status"] for m in _members(mailchimp, audience["id"]))
        console.print(f"audience {audience['name']!r} ({audience['id']}): {dict(statuses)}")


def _members(mailchimp: Any, list_id: str) -> Iterator[dict[str, Any]]:
    offset = 0
    while True:
        page = mailchimp.lists.get_list_members_info(
            list_id, count=1000, offset=offset, fields=["members.status", "total_items"]
        )
        yield from page["members"]
        offset += len(page["members"])
        if not page["members"] or offset >= page["total_items"]:
            return


def show_surveymonkey(console: Console, sandbox: SandboxServer) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {SURVEYMONKEY_TOKEN}"
    surveys = session.get(f"{sandbox.url}/v3/surveys", timeout=30).json()["data"]
    for survey in surveys:
        collectors = session.get(
            f"{sandbox.url}/v3/surveys/{survey['id']}/collectors", timeout=30
        ).json()["data"]
        kinds = ", ".join(c.get("type", c.get("name", "?")) for c in collectors) or "none"
        console.print(f"SurveyMonkey survey {survey['title']!r}: collectors {kinds}")
