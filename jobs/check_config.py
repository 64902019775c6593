"""`deskbridge validate` and `deskbridge test`: the admin's config, checked and its rule tests run.

Both work offline. Against a real account the Zendesk user-field schema makes the checks exact
(dropdown options, field types, checkbox tags); without an account, `--schema FILE` reads a saved
answer of Zendesk's `GET /api/v2/user_fields.json` (e.g. `curl ... > user_fields.json`), so the
rule tests can run in the admin's own CI.

`validate` without `--schema` also tries the account itself: when the config's Zendesk connection
answers, the config is checked against its live schema; when it does not (no network, wrong
credentials), one line says so and the offline check stands, with the same exit code.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from connector.errors import ConnectorError
from connector.http import Edge
from connector.retry import RetryPolicy
from mappings.config import Config
from mappings.load import Loaded
from mappings.problems import ConfigError
from mappings.ruletests import run_tests
from mappings.schema import ZendeskSchema

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2
DEFAULT_CONFIG = "config.toml"
# A probe, not a run: one try, a short timeout, so an unreachable account costs seconds at most.
PROBE = Edge(policy=RetryPolicy(max_attempts=1, max_total_wait=0.0), timeout=10.0)


class SchemaFileError(ValueError):
    """A `--schema` file that is not a saved `user_fields` answer."""


def read_schema(path: str, groups: Sequence[str] | None = None) -> ZendeskSchema:
    """A schema from a saved `GET /api/v2/user_fields.json` answer (or its `user_fields` list)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise SchemaFileError(f"{path}: cannot read the schema file: {error.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise SchemaFileError(f"{path}: not JSON: {error}") from None
    fields = data.get("user_fields") if isinstance(data, dict) else data
    if not isinstance(fields, list) or not all(
        isinstance(f, dict) and isinstance(f.get("key"), str) for f in fields
    ):
        raise SchemaFileError(
            f"{path}: expected Zendesk's user_fields answer: "
            '{"user_fields": [{"key": ..., "type": ...}, ...]}'
        )
    return ZendeskSchema.from_user_fields_json(fields, groups)


def config_path(given: str | None) -> str:
    return given or os.environ.get("DESKBRIDGE_CONFIG") or DEFAULT_CONFIG


def load_for_cli(path: str, schema_file: str | None, out: TextIO) -> Loaded | None:
    """The loaded config, with warnings printed; or None with every problem printed."""
    try:
        schema = read_schema(schema_file) if schema_file else None
    except SchemaFileError as error:
        print(error, file=out)
        return None
    return _load(path, schema, out)


def _load(
    path: str, schema: ZendeskSchema | None, out: TextIO, *, quiet: bool = False
) -> Loaded | None:
    from mappings.load import load

    try:
        loaded = load(path, schema=schema)
    except ConfigError as error:
        print(error, file=out)
        return None
    if not quiet:
        for warning in loaded.warnings:
            print(warning, file=out)
    return loaded


def fetch_live_schema(config: Config, edge: Edge = PROBE) -> ZendeskSchema:
    """The account's user-field schema, read through the config's Zendesk connection;
    `ConnectorError` when it cannot be read."""
    from jobs.connections import connect, live_schema

    services = connect(config, edge=edge)
    try:
        schema, _group_ids = live_schema(services.zendesk)
    finally:
        services.zendesk.api.session.close()
    return schema


def validate(
    path: str, schema_file: str | None, out: TextIO, *, live: bool = True, edge: Edge = PROBE
) -> int:
    """Check the config: against `--schema FILE` when given, else against the account's live
    schema when its Zendesk connection answers, else offline."""
    if schema_file is not None or not live:
        loaded = load_for_cli(path, schema_file, out)
        if loaded is None:
            return EXIT_INVALID
        return _valid(path, loaded, out)
    offline = _load(path, None, out, quiet=True)
    if offline is None:
        return EXIT_INVALID
    subdomain = offline.config.zendesk.subdomain
    try:
        schema = fetch_live_schema(offline.config, edge)
    except ConnectorError as error:
        for warning in offline.warnings:
            print(warning, file=out)
        print(
            f"the live Zendesk schema of {subdomain} could not be read ({error}); "
            "checked offline only",
            file=out,
        )
        return _valid(path, offline, out)
    print(f"checked against the live Zendesk schema of {subdomain}", file=out)
    loaded = _load(path, schema, out)
    if loaded is None:
        return EXIT_INVALID
    return _valid(path, loaded, out)


def _valid(path: str, loaded: Loaded, out: TextIO) -> int:
    from jobs.service_schedule import ScheduleError, trigger

    config = loaded.config
    for index, job in enumerate(config.schedule.jobs):  # a cron APScheduler cannot run
        try:
            trigger(job)
        except ScheduleError as error:
            print(f"{loaded.locate(('schedule', 'jobs', index))}: {error}", file=out)
            return EXIT_INVALID
    print(
        f"{path}: valid — {len(config.rules)} rules, {len(config.lists)} lists, "
        f"{len(config.tests)} tests",
        file=out,
    )
    return EXIT_OK


def test(path: str, schema_file: str | None, out: TextIO, now: datetime | None = None) -> int:
    loaded = load_for_cli(path, schema_file, out)
    if loaded is None:
        return EXIT_INVALID
    report = run_tests(loaded.mappings, now or datetime.now(UTC), loaded.locate)
    print(report.text(), file=out)
    return EXIT_OK if report.ok else EXIT_FAILED
