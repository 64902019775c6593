"""The one entry point: a config file (and its includes) to compiled mappings, or every problem.

    loaded = load("config.toml", schema=schema)     # raises ConfigError listing every problem
    loaded.config, loaded.mappings, loaded.warnings

`check` is the pure form: files, globbing and the environment are passed in, and problems come
back (errors and warnings, sorted by file and line) instead of being raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ConfigDict, Field

from mappings.actions import compile_action
from mappings.build import compile_mappings, conditions_problems
from mappings.config import (
    Action,
    Config,
    CustomerList,
    MailchimpConnection,
    Rule,
    RuleTest,
    Schedule,
    SurveyMonkeyConnection,
)
from mappings.engine import Mappings
from mappings.loader import (
    ConfigModel,
    ExpandGlob,
    Merged,
    ReadText,
    expand_file_glob,
    read_and_validate,
    read_file_text,
    validate,
)
from mappings.problems import ConfigError, ConfigProblem, PathProblem
from mappings.schema import ZendeskSchema
from mappings.toml_source import PathKey

NO_SCHEMA = (
    "checked without the Zendesk user-field schema: user_fields.* are untyped, a dropdown value "
    "must be written as the option's tag (its name does not match), and a checkbox's tag does "
    "not follow the checkbox; check against the account's schema "
    "(deskbridge validate --schema user_fields.json)"
)


@dataclass(frozen=True)
class Loaded:
    config: Config
    mappings: Mappings
    warnings: tuple[ConfigProblem, ...]
    merged: Merged

    def locate(self, path: PathKey) -> str:
        """`file:line` where `path` was written."""
        origin = self.merged.origin_of(path)
        return f"{origin.file}:{origin.line}"


def check(
    path: str,
    read_text: ReadText,
    expand_glob: ExpandGlob,
    env: Mapping[str, str],
    schema: ZendeskSchema | None = None,
) -> tuple[Loaded | None, list[ConfigProblem]]:
    """Load, merge, override, validate and compile; all problems, sorted."""
    merged, config, problems = read_and_validate(path, Config, read_text, expand_glob, env)
    if merged is None:
        return None, problems
    mappings = None
    if config is not None:
        mappings, found = compile_mappings(config, schema)
        problems += [_placed(merged, p) for p in found]
    else:
        problems += [
            _placed(merged, p)
            for p in _meaning_of_rules_and_lists(merged, env, read_text, schema)
            if not _already(problems, p)
        ]
    if schema is None and mappings is not None and _uses_user_fields(mappings):
        problems.append(ConfigProblem(merged.main_file, 0, (), NO_SCHEMA, warning=True))
    problems = sorted(dict.fromkeys(problems), key=ConfigProblem.sort_key)
    if config is None or mappings is None or any(not p.warning for p in problems):
        return None, problems
    warnings = tuple(p for p in problems if p.warning)
    return Loaded(config, mappings, warnings, merged), problems


def _uses_user_fields(mappings: Mappings) -> bool:
    reads = [rule.conditions.reads() for rule in mappings.rules]
    reads += [lst.conditions.reads() for lst in mappings.lists]
    fields = [path[0] for found in reads for path in found]
    fields += [lst.group_by.path[0] for lst in mappings.lists if lst.group_by]
    targets = [a.target for rule in mappings.rules for a in rule.actions]
    return "user_fields" in fields or any(t.startswith("user_fields.") for t in targets)


def _placed(merged: Merged, problem: PathProblem) -> ConfigProblem:
    return merged.problem(problem.path, problem.message, problem.suggestion)


def _already(problems: list[ConfigProblem], problem: PathProblem) -> bool:
    return any(p.path[: len(problem.path)] == problem.path for p in problems)


class _RulesAndLists(ConfigModel):
    """Only the admin's rules, lists and tests: checked on their own when a connection is wrong."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    rules: list[Rule] = Field(default_factory=list)
    lists: list[CustomerList] = Field(default_factory=list)
    tests: list[RuleTest] = Field(default_factory=list)


def _meaning_of_rules_and_lists(
    merged: Merged, env: Mapping[str, str], read_text: ReadText, schema: ZendeskSchema | None
) -> list[PathProblem]:
    """What compiling would say of the rules, lists and tests of a config the model refused, so
    that every problem is reported in one pass. Only when they are well-formed themselves is the
    whole compilation possible; otherwise their conditions and actions are checked as written."""
    part, problems = validate(_RulesAndLists, merged, env, read_text)
    if part is None or problems:
        return _meaning_of_raw(merged.data, schema)
    mailchimp = MailchimpConnection.model_construct(unsubscribed_field=None)
    surveymonkey = SurveyMonkeyConnection.model_construct()
    stand_in = Config.model_construct(
        mailchimp=mailchimp if "mailchimp" in merged.data else None,
        surveymonkey=surveymonkey if "surveymonkey" in merged.data else None,
        schedule=Schedule(),
        rules=part.rules,
        lists=part.lists,
        tests=part.tests,
    )
    return compile_mappings(stand_in, schema)[1]


def _meaning_of_raw(data: dict[str, Any], schema: ZendeskSchema | None) -> list[PathProblem]:
    """Condition and action problems in a config the model refused, reported in the same pass."""
    found: list[PathProblem] = []
    for section in ("rules", "lists"):
        items = data.get(section)
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            spec = item.get("conditions")
            if isinstance(spec, dict):
                found += conditions_problems(spec, (section, index, "conditions"), schema)
            actions = item.get("actions") if section == "rules" else None
            for position, action in enumerate(actions if isinstance(actions, list) else []):
                if isinstance(action, dict) and isinstance(action.get("field"), str):
                    where = (section, index, "actions", position)
                    spoken = Action.model_construct(
                        field=action["field"], value=action.get("value")
                    )
                    compile_action(spoken, schema, where, found)
    return found


def load(
    path: str, env: Mapping[str, str] | None = None, schema: ZendeskSchema | None = None
) -> Loaded:
    """The thin edge: real files and (by default) `os.environ`; raises `ConfigError`."""
    import os

    given = os.environ if env is None else env
    loaded, problems = check(path, read_file_text, expand_file_glob, given, schema)
    if loaded is None:
        raise ConfigError(p for p in problems if not p.warning)
    return loaded
