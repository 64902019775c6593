"""`deskbridge lists` and `explain`: what the state store says about lists and customers.

`lists` reads the config and the store only, so it works without an account: the memberships are
those of the last sync (the `evaluation.now` cursor says when). `explain` reads one customer's
stored profile and evaluates it now against the live schema, beside what the store says of them.
The helpers at the top are shared with `list_export`.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy import Connection, distinct, func, select

from connector.errors import ConnectorError
from jobs import csv_export
from jobs.check_config import EXIT_FAILED, EXIT_INVALID, EXIT_OK
from jobs.commands import CommandFailed, open_session
from jobs.connections import open_state
from jobs.evaluate import EVALUATED_AT, NOT_IN_LISTS
from jobs.profiles import profile_pages
from jobs.render import iso
from jobs.state import NewerSchema, StateStore, StoreError
from jobs.state import tables as t
from mappings.config import Config
from mappings.engine import Mappings
from mappings.explain import explain_profile
from mappings.lists import CompiledList
from mappings.load import Loaded, load
from mappings.problems import ConfigError
from mappings.schema import ZendeskSchema

NO_EMAIL = "(no email)"


# --- shared --------------------------------------------------------------------------------


def load_config(config_path: str, schema: ZendeskSchema | None = None) -> Loaded:
    try:
        return load(config_path, schema=schema)
    except ConfigError as error:
        raise CommandFailed(str(error), EXIT_INVALID) from None


def open_store(config: Config, config_path: str) -> StateStore:
    try:
        return open_state(config, Path(config_path).resolve().parent)
    except (StoreError, NewerSchema) as error:
        raise CommandFailed(str(error), EXIT_FAILED) from None


def list_named(mappings: Mappings, name: str) -> CompiledList:
    found = mappings.list_named(name)
    if found is None:
        names = ", ".join(repr(lst.name) for lst in mappings.lists) or "none"
        raise CommandFailed(f"no list is called {name!r}; the lists: {names}", EXIT_INVALID)
    return found


@dataclass(frozen=True)
class Evaluated:
    """When the lists were last evaluated, and which lists were."""

    at: int | None
    lists: frozenset[str]

    def describe(self) -> str:
        if self.at is None:
            return "no sync has evaluated the lists yet (run `deskbridge sync`)"
        return f"memberships as of the last sync, evaluated at {iso(self.at)}"


def last_evaluation(connection: Connection) -> Evaluated:
    at = connection.execute(
        select(t.cursors.c.value).where(t.cursors.c.name == EVALUATED_AT)
    ).scalar()
    names = connection.execute(select(t.list_versions.c.list_name)).scalars()
    return Evaluated(int(at) if at is not None else None, frozenset(names))


# --- deskbridge lists ----------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    email: str | None
    name: str
    group: str
    since: int

    def sort_key(self) -> tuple[bool, str, str]:
        return (self.email is None, (self.email or "").lower(), self.group)


def lists(config_path: str, name: str | None, members: bool, out: TextIO | None = None) -> int:
    """Every list (or the one named) with its members count, groups and destinations."""
    out = out or sys.stdout
    try:
        loaded = load_config(config_path)
        chosen = [list_named(loaded.mappings, name)] if name else list(loaded.mappings.lists)
        store = open_store(loaded.config, config_path)
    except CommandFailed as error:
        print(error, file=out)
        return error.code
    base_dir = Path(config_path).resolve().parent
    try:
        with store.engine.connect() as connection:
            evaluated = last_evaluation(connection)
            totals, groups = _counts(connection)
            print(evaluated.describe(), file=out)
            for lst in chosen:
                print(file=out)
                if lst.name not in evaluated.lists:
                    print(f"{lst.name}: not evaluated yet", file=out)
                else:
                    _print_counts(lst, totals.get(lst.name, 0), groups.get(lst.name, {}), out)
                for line in destinations(lst, base_dir):
                    print(f"  {line}", file=out)
                if members and lst.name in evaluated.lists:
                    _print_members(list_members(connection, lst.name), out)
    finally:
        store.close()
    return EXIT_OK


def _counts(connection: Connection) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """Distinct members by list, and members by list and group (for grouped lists)."""
    m = t.memberships.c
    totals = {
        list_name: count
        for list_name, count in connection.execute(
            select(m.list_name, func.count(distinct(m.user_id))).group_by(m.list_name)
        )
    }
    groups: dict[str, dict[str, int]] = defaultdict(dict)
    query = select(m.list_name, m.group_name, func.count()).group_by(m.list_name, m.group_name)
    for list_name, group_name, count in connection.execute(query):
        if group_name:
            groups[list_name][group_name] = count
    return totals, groups


def _print_counts(lst: CompiledList, total: int, groups: dict[str, int], out: TextIO) -> None:
    noun = "member" if total == 1 else "members"
    if lst.group_by is None:
        print(f"{lst.name}: {total} {noun}", file=out)
        return
    print(f"{lst.name}: {total} {noun} in {len(groups)} groups by {lst.group_by.address}", file=out)
    for group in sorted(groups, key=str.casefold):
        print(f"  {lst.name}: {group} — {groups[group]}", file=out)


def destinations(lst: CompiledList, base_dir: Path) -> list[str]:
    """Where the list goes, one line each."""
    spec = lst.spec
    found = []
    if spec.mailchimp is not None:
        tag = spec.mailchimp.tag or lst.name
        shown = f"'{tag}: <group>'" if lst.group_by is not None else repr(tag)
        found.append(f"Mailchimp: audience {spec.mailchimp.audience!r}, tag {shown}")
    if spec.surveymonkey is not None:
        found.append(f"SurveyMonkey: survey {spec.surveymonkey.survey!r}")
    if spec.csv is not None:
        found.append(f"CSV: {csv_export.target(lst, base_dir)}")
    return found or ["no destinations"]


def list_members(connection: Connection, list_name: str) -> list[Member]:
    """The members of a list (one row per group), sorted by email, letter case aside."""
    m, p = t.memberships.c, t.profiles.c
    query = (
        select(p.email, p.data, m.group_name, m.since)
        .select_from(t.memberships.join(t.profiles, m.user_id == p.user_id))
        .where(m.list_name == list_name)
    )
    found = [
        Member(email, _name(data), group, since)
        for email, data, group, since in connection.execute(query)
    ]
    return sorted(found, key=Member.sort_key)


def _name(data: str) -> str:
    user = json.loads(data).get("user") or {}
    name = user.get("name")
    return name if isinstance(name, str) else ""


def _print_members(found: list[Member], out: TextIO) -> None:
    if not found:
        return
    rows = [("email", "name", "group", "since")]
    rows += [(m.email or NO_EMAIL, m.name, m.group or "-", iso(m.since)) for m in found]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("    " + "  ".join([*cells, row[3]]), file=out)


# --- deskbridge explain --------------------------------------------------------------------


def explain(
    config_path: str,
    email: str,
    out: TextIO | None = None,
    *,
    now: datetime | None = None,
    window_seconds: float = 60.0,
) -> int:
    """The customer's stored profile evaluated now (every rule and list, with the values seen),
    and the lists the store says they are in."""
    out = out or sys.stdout
    try:
        session = open_session(config_path, window_seconds=window_seconds)
    except CommandFailed as error:
        print(error, file=out)
        return error.code
    moment = now or datetime.now(UTC)
    wanted = email.strip().lower()
    try:
        audiences, note = _audience_names(session.loaded.config, session.services.mailchimp)
        with session.store.engine.connect() as connection:
            ids = connection.execute(
                select(t.profiles.c.user_id)
                .where(func.lower(t.profiles.c.email) == wanted)
                .order_by(t.profiles.c.user_id)
            ).scalars()
            stored = [
                user
                for page in profile_pages(connection, list(ids), audiences=audiences)
                for user in page
            ]
            if not stored:
                print(
                    f"no customer with the email {email.strip()!r} is in the state store "
                    "(it holds what the last sync pulled from Zendesk)",
                    file=out,
                )
                return EXIT_FAILED
            evaluated = last_evaluation(connection)
            if note:
                print(note, file=out)
            for user in stored:
                places = _places(connection, user.user_id)
                print(
                    f"{user.email} — Zendesk user {user.user_id} ({user.status}), "
                    f"evaluated at {iso(moment.timestamp())}",
                    file=out,
                )
                if user.status in NOT_IN_LISTS:
                    print(
                        f"a {user.status} user is in no list, whatever the conditions say", file=out
                    )
                why = explain_profile(session.loaded.mappings, user.profile, moment)
                print(why.text(), file=out)
                print(f"in the store ({evaluated.describe()}):", file=out)
                for line in places or ["in no list"]:
                    print(f"  {line}", file=out)
    finally:
        session.close()
    return EXIT_OK


def _audience_names(config: Config, mailchimp: object) -> tuple[dict[str, tuple[str, ...]], str]:
    """Audience id -> the names conditions may call it by, as a sync resolves them; and a note
    when Mailchimp cannot say (the `mailchimp.status.*` values are then unknown)."""
    from connector.mailchimp import MailchimpConnector

    names: dict[str, tuple[str, ...]] = {}
    if not isinstance(mailchimp, MailchimpConnector):
        return names, ""
    try:
        for configured in dict.fromkeys(
            lst.mailchimp.audience for lst in config.lists if lst.mailchimp
        ):
            found = mailchimp.find_audience(configured)
            names[found.id] = tuple(dict.fromkeys((*names.get(found.id, ()), found.id, configured)))
    except ConnectorError as error:
        return {}, f"Mailchimp statuses are not shown: {error}"
    return names, ""


def _places(connection: Connection, user_id: int) -> list[str]:
    m = t.memberships.c
    query = (
        select(m.list_name, m.group_name, m.since)
        .where(m.user_id == user_id)
        .order_by(m.list_name, m.group_name)
    )
    return [
        f"{name}{': ' + group if group else ''} (since {iso(since)})"
        for name, group, since in connection.execute(query)
    ]
