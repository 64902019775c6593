"""`deskbridge validate` and `deskbridge test`: the admin's config, checked and its rule tests run.

Both work offline. Against a real account the Zendesk user-field schema makes the checks exact
(dropdown options, field types, checkbox tags); without an account, `--schema FILE` reads a saved
answer of Zendesk's `GET /api/v2/user_fields.json` (e.g. `curl ... > user_fields.json`), so the
rule tests can run in the admin's own CI.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from mappings.load import Loaded
from mappings.problems import ConfigError
from mappings.ruletests import run_tests
from mappings.schema import ZendeskSchema

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2
DEFAULT_CONFIG = "config.toml"


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
    from mappings.load import load

    try:
        schema = read_schema(schema_file) if schema_file else None
        loaded = load(path, schema=schema)
    except (ConfigError, SchemaFileError) as error:
        print(error, file=out)
        return None
    for warning in loaded.warnings:
        print(warning, file=out)
    return loaded


def validate(path: str, schema_file: str | None, out: TextIO) -> int:
    loaded = load_for_cli(path, schema_file, out)
    if loaded is None:
        return EXIT_INVALID
    config = loaded.config
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
