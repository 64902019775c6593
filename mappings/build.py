"""From a validated `Config` (and, when known, the Zendesk schema) to compiled `Mappings`.

Everything the model's shape cannot say is checked here, and every problem is collected:
conditions (operators, values, fields), rule actions, `group_by`, merge-field and CSV column
fields, destinations that need a connection, names that must be unique, and `[[tests]]` that
name lists, rules and actions that exist. Problems are placed by key path; the loader adds files
and lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from mappings.actions import TARGETS, USER_FIELDS, compile_action
from mappings.conditions import Compiled, ConditionsError, compile_conditions
from mappings.conditions.fields import Catalogue, Field, resolve_field
from mappings.conditions.problems import did_you_mean
from mappings.config import Action, Config, CustomerList, Rule, RuleTest
from mappings.engine import Mappings
from mappings.lists import GROUPABLE, CompiledList
from mappings.problems import PathProblem
from mappings.rules import CompiledRule
from mappings.schema import ZendeskSchema
from mappings.toml_source import PathKey

PROFILE_SECTIONS = ("user", "user_fields", "tags", "tickets", "satisfaction", "mailchimp")


def compile_mappings(
    config: Config, schema: ZendeskSchema | None = None
) -> tuple[Mappings | None, list[PathProblem]]:
    """The compiled mappings, or None and every problem found."""
    problems: list[PathProblem] = []
    catalogue: Catalogue | None = dict(schema.fields) if schema else None
    _unique(((r.name, ("rules", i, "name")) for i, r in enumerate(config.rules)), "rule", problems)
    _unique(((x.name, ("lists", i, "name")) for i, x in enumerate(config.lists)), "list", problems)
    _unique(((t.name, ("tests", i, "name")) for i, t in enumerate(config.tests)), "test", problems)
    jobs = enumerate(config.schedule.jobs)
    _unique(((j.name, ("schedule", "jobs", i, "name")) for i, j in jobs), "job", problems)
    rules = [_rule(rule, i, catalogue, schema, problems) for i, rule in enumerate(config.rules)]
    lists = [_list(lst, i, catalogue, config, problems) for i, lst in enumerate(config.lists)]
    _mailchimp_tags(config.lists, problems)
    _unsubscribed_field(config, schema, problems)
    for index, test in enumerate(config.tests):
        _test(test, ("tests", index), config, schema, problems)
    if problems:
        return None, problems
    enabled = [r for r, spec in zip(rules, config.rules, strict=True) if r and spec.enabled]
    compiled_rules = tuple(
        CompiledRule(r.name, position, r.conditions, r.actions)
        for position, r in enumerate(enabled)
        if r is not None
    )
    checkbox_tags = {f.key: f.tag for f in schema.fields.values() if f.tag} if schema else {}
    compiled_lists = tuple(lst for lst in lists if lst is not None)
    return Mappings(config, schema, compiled_rules, compiled_lists, checkbox_tags), problems


def _unique(names: Iterable[tuple[str, PathKey]], kind: str, problems: list[PathProblem]) -> None:
    first: dict[str, PathKey] = {}
    for name, path in names:
        key = name.casefold()
        if key in first:
            where = _show_path(first[key])
            problems.append(
                PathProblem(path, f"another {kind} is already named {name!r} ({where})")
            )
        else:
            first[key] = path


def _show_path(path: PathKey) -> str:
    from mappings.problems import format_path

    return format_path(path[:-1]) if path and path[-1] == "name" else format_path(path)


def _conditions(
    spec: dict[str, Any], path: PathKey, catalogue: Catalogue | None, problems: list[PathProblem]
) -> Compiled | None:
    try:
        return compile_conditions(spec, catalogue)
    except ConditionsError as error:
        problems.extend(PathProblem.from_condition(p, path) for p in error.problems)
        return None


def conditions_problems(
    spec: dict[str, Any], path: PathKey, schema: ZendeskSchema | None
) -> list[PathProblem]:
    """What is wrong with one condition spec found at `path` (empty when nothing is)."""
    problems: list[PathProblem] = []
    _conditions(spec, path, dict(schema.fields) if schema else None, problems)
    return problems


def _rule(
    rule: Rule,
    index: int,
    catalogue: Catalogue | None,
    schema: ZendeskSchema | None,
    problems: list[PathProblem],
) -> CompiledRule | None:
    path: PathKey = ("rules", index)
    conditions = _conditions(rule.conditions, (*path, "conditions"), catalogue, problems)
    actions = [
        compile_action(action, schema, (*path, "actions", i), problems)
        for i, action in enumerate(rule.actions)
    ]
    if conditions is None or not all(actions):
        return None
    return CompiledRule(rule.name, index, conditions, tuple(a for a in actions if a))


def _field(
    address: str, path: PathKey, catalogue: Catalogue | None, problems: list[PathProblem]
) -> Field | None:
    resolved = resolve_field(address, catalogue)
    if isinstance(resolved, Field):
        return resolved
    message, suggestion = resolved
    problems.append(PathProblem(path, message, suggestion))
    return None


def _list(
    lst: CustomerList,
    index: int,
    catalogue: Catalogue | None,
    config: Config,
    problems: list[PathProblem],
) -> CompiledList | None:
    path: PathKey = ("lists", index)
    before = len(problems)
    conditions = _conditions(lst.conditions, (*path, "conditions"), catalogue, problems)
    group_by = None
    merge_fields: list[tuple[str, Field]] = []
    columns: list[tuple[str, Field]] = []
    if lst.group_by is not None:
        group_by = _field(lst.group_by, (*path, "group_by"), catalogue, problems)
        if group_by is not None and group_by.type not in GROUPABLE:
            message = (
                f"cannot group by {group_by.address} ({group_by.type.value}); group by a text, "
                "number, true/false or list field such as user_fields.phone_model"
            )
            problems.append(PathProblem((*path, "group_by"), message))
    if lst.mailchimp is not None:
        if config.mailchimp is None:
            message = "sends to Mailchimp, but there is no [mailchimp] section with the api_key"
            problems.append(PathProblem((*path, "mailchimp"), message))
        for tag, address in lst.mailchimp.merge_fields.items():
            found = _field(address, (*path, "mailchimp", "merge_fields", tag), catalogue, problems)
            if found is not None:
                merge_fields.append((tag, found))
    if lst.surveymonkey is not None and config.surveymonkey is None:
        message = "sends SurveyMonkey invitations, but there is no [surveymonkey] section"
        problems.append(PathProblem((*path, "surveymonkey"), message))
    if lst.csv is not None:
        for position, (header, address) in enumerate(lst.csv.headed_columns()):
            found = _field(address, (*path, "csv", "columns", position), catalogue, problems)
            if found is not None:
                columns.append((header, found))
    if conditions is None or len(problems) > before:
        return None
    return CompiledList(
        lst.name, index, lst, conditions, group_by, tuple(merge_fields), tuple(columns)
    )


def _mailchimp_tags(lists: Sequence[CustomerList], problems: list[PathProblem]) -> None:
    """Two lists may not drive the same tag in one audience: each would undo the other."""
    owners: dict[tuple[str, str], int] = {}
    for index, lst in enumerate(lists):
        if lst.mailchimp is None:
            continue
        tag = lst.mailchimp.tag or lst.name
        key = (lst.mailchimp.audience.casefold(), tag.casefold())
        if key in owners:
            other = lists[owners[key]].name
            message = (
                f"the tag {tag!r} in audience {lst.mailchimp.audience!r} is already used by the "
                f"list {other!r}; give one of them another tag"
            )
            problems.append(PathProblem(("lists", index, "mailchimp", "tag"), message))
        else:
            owners[key] = index


def _unsubscribed_field(
    config: Config, schema: ZendeskSchema | None, problems: list[PathProblem]
) -> None:
    address = config.mailchimp.unsubscribed_field if config.mailchimp else None
    if address is None:
        return
    path: PathKey = ("mailchimp", "unsubscribed_field")
    if not address.startswith(USER_FIELDS) or len(address) == len(USER_FIELDS):
        message = "expected a checkbox user field, e.g. user_fields.marketing_unsubscribed"
        problems.append(PathProblem(path, message))
        return
    key = address[len(USER_FIELDS) :]
    if schema is None:
        return
    field = schema.fields.get(key)
    if field is None:
        known = ", ".join(sorted(schema.fields)) or "none"
        suggestion = did_you_mean(key, schema.fields)
        problems.append(
            PathProblem(
                path,
                f"the user field {key!r} does not exist in Zendesk; known user fields: {known}",
                USER_FIELDS + suggestion if suggestion else None,
            )
        )
    elif field.type != "checkbox":
        message = f"{key} is a {field.type} field; unsubscribes are written to a checkbox"
        problems.append(PathProblem(path, message))


def _test(
    test: RuleTest,
    path: PathKey,
    config: Config,
    schema: ZendeskSchema | None,
    problems: list[PathProblem],
) -> None:
    for key in test.profile:
        if key not in PROFILE_SECTIONS:
            problems.append(
                PathProblem(
                    (*path, "profile", key),
                    f"{key!r} is not part of a profile; expected {', '.join(PROFILE_SECTIONS)}",
                    did_you_mean(key, PROFILE_SECTIONS),
                )
            )
    list_names = list(dict.fromkeys(lst.name for lst in config.lists))
    grouped = [lst.name for lst in config.lists if lst.group_by]
    for kind in ("in_lists", "not_in_lists"):
        for position, name in enumerate(getattr(test, kind)):
            known = name in list_names or any(name.startswith(f"{g}: ") for g in grouped)
            if not known:
                problems.append(
                    PathProblem(
                        (*path, kind, position),
                        f"there is no list {name!r}; lists: {', '.join(list_names) or 'none'}",
                        did_you_mean(name, list_names),
                    )
                )
    rule_names = [rule.name for rule in config.rules]
    for kind in ("fires", "not_fires"):
        for position, name in enumerate(getattr(test, kind)):
            if name not in rule_names:
                problems.append(
                    PathProblem(
                        (*path, kind, position),
                        f"there is no rule {name!r}; rules: {', '.join(rule_names) or 'none'}",
                        did_you_mean(name, rule_names),
                    )
                )
    for position, expected in enumerate(test.actions):
        action = Action(field=expected.field, value=expected.value)
        compile_action(action, schema, (*path, "actions", position), problems)
    for position, target in enumerate(test.not_actions):
        if target not in TARGETS and not target.startswith(USER_FIELDS):
            problems.append(
                PathProblem(
                    (*path, "not_actions", position),
                    f"unknown action {target!r}; expected user_fields.<key>, {', '.join(TARGETS)}",
                    did_you_mean(target, TARGETS),
                )
            )


__all__ = ["PROFILE_SECTIONS", "compile_mappings", "conditions_problems"]
