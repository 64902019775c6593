"""Shared pieces for the mappings tests: the sandbox's Zendesk schema and a config loader."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from mappings.load import Loaded, check
from mappings.problems import ConfigProblem
from mappings.schema import FieldOption, UserFieldSchema, ZendeskSchema
from sandbox.zendesk.fields import USER_FIELDS

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
GROUPS = ("Support", "VIP Support", "Returns")
ENV = {"ZENDESK_TOKEN": "zd-token", "MAILCHIMP_API_KEY": "mc-key-us21", "SURVEYMONKEY_TOKEN": "sm"}


def sandbox_schema(groups: tuple[str, ...] | None = GROUPS) -> ZendeskSchema:
    """The user fields the sandbox (and the retail cookbooks) define, and some group names."""
    return ZendeskSchema.of(
        (
            UserFieldSchema(
                f.key,
                f.type,
                f.title,
                tuple(FieldOption(name, tag) for name, tag in f.options),
                f.tag,
            )
            for f in USER_FIELDS
        ),
        groups,
    )


def check_files(
    files: Mapping[str, str],
    main: str = "config.toml",
    schema: ZendeskSchema | None = None,
    env: Mapping[str, str] = ENV,
) -> tuple[Loaded | None, list[ConfigProblem]]:
    """`mappings.load.check` over in-memory files (name -> TOML text)."""
    import fnmatch

    def read_text(name: str) -> str:
        if name not in files:
            raise FileNotFoundError(2, "No such file or directory", name)
        return files[name]

    def expand(pattern: str) -> list[str]:
        return [name for name in files if fnmatch.fnmatch(name, pattern)]

    return check(main, read_text, expand, env, schema)


def messages(problems: list[ConfigProblem]) -> list[str]:
    return [str(problem) for problem in problems]


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")
