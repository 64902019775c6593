"""From TOML files to a validated pydantic model, or to every problem at once, each placed.

`load_documents` reads the main file and what it `include`s; `merge` joins them, keeping for
every key the file and line it came from; `apply_env_overrides` lays `DESKBRIDGE_*__*` variables
on top; `validate` runs the model and turns pydantic's errors into `ConfigProblem`s in the
admin's words. File reading, globbing and the environment are passed in: this module is pure.
"""

from __future__ import annotations

import copy
import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from mappings.problems import ConfigProblem, explain_validation_error, format_path
from mappings.secrets import EnvOverride, env_overrides
from mappings.toml_source import PathKey, TomlDocument, TomlSyntaxError, parse_toml

ReadText = Callable[[str], str]
ExpandGlob = Callable[[str], list[str]]
M = TypeVar("M", bound=BaseModel)


class ConfigModel(BaseModel):
    """Base for config models: unknown keys are errors, and a loaded config does not change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Origin:
    """Where a value was written: a file and line, or an environment variable."""

    file: str
    line: int
    source: str | None = None


@dataclass
class Merged:
    """The merged data and, for every path in it, its `Origin`."""

    data: dict[str, Any]
    origins: dict[PathKey, Origin] = field(default_factory=dict)
    main_file: str = "<config>"

    def origin_of(self, path: PathKey) -> Origin:
        """The origin of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), 0, -1):
            found = self.origins.get(path[:end])
            if found is not None:
                return found
        return Origin(self.main_file, 1)

    def problem(self, path: PathKey, message: str, suggestion: str | None = None) -> ConfigProblem:
        where = self.origin_of(path)
        return ConfigProblem(where.file, where.line, path, message, suggestion, where.source)


def _has_magic(pattern: str) -> bool:
    return any(char in pattern for char in "*?[")


def load_documents(
    path: str, read_text: ReadText, expand_glob: ExpandGlob
) -> tuple[list[TomlDocument], list[ConfigProblem]]:
    """The main file, then its includes depth-first in order; and every problem met on the way.

    `include = ["recipes/*.toml", "extra.toml"]` is relative to the including file; a glob's
    matches are sorted; a file reached twice is read once; a cycle is a problem naming the chain.
    """
    documents: list[TomlDocument] = []
    problems: list[ConfigProblem] = []
    seen: set[str] = set()

    def visit(file: str, chain: tuple[str, ...], at: tuple[str, int, PathKey] | None) -> None:
        if file in chain:
            where = at or (file, 0, ())
            cycle = " -> ".join((*chain[chain.index(file) :], file))
            problems.append(ConfigProblem(*where, f"include cycle: {cycle}"))
            return
        if file in seen:
            return
        seen.add(file)
        try:
            text = read_text(file)
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
            if at is None:
                problems.append(ConfigProblem(file, 0, (), f"cannot read the file: {reason}"))
            else:
                message = f"cannot read the included file {file}: {reason}"
                problems.append(ConfigProblem(*at, message))
            return
        try:
            document = parse_toml(text, file)
        except TomlSyntaxError as error:
            message = f"not valid TOML (column {error.column}): {error.problem}"
            problems.append(ConfigProblem(file, error.line, (), message))
            return
        documents.append(document)
        for target, where in _includes(document, expand_glob, problems):
            visit(target, (*chain, file), where)

    visit(posixpath.normpath(path), (), None)
    return documents, problems


def _includes(
    document: TomlDocument, expand_glob: ExpandGlob, problems: list[ConfigProblem]
) -> list[tuple[str, tuple[str, int, PathKey]]]:
    raw = document.data.get("include", [])
    entries = [raw] if isinstance(raw, str) else raw
    base = posixpath.dirname(document.file)
    found: list[tuple[str, tuple[str, int, PathKey]]] = []
    if not isinstance(entries, list):
        line = document.line_of(("include",))
        message = 'expected a list of file names, e.g. include = ["recipes/*.toml"]'
        problems.append(ConfigProblem(document.file, line, ("include",), message))
        return found
    for index, entry in enumerate(entries):
        path: PathKey = ("include", index) if isinstance(raw, list) else ("include",)
        where = (document.file, document.line_of(path), path)
        if not isinstance(entry, str):
            problems.append(ConfigProblem(*where, "expected a file name or a glob, as text"))
            continue
        pattern = posixpath.normpath(posixpath.join(base, entry))
        if _has_magic(entry):
            found.extend((match, where) for match in sorted(expand_glob(pattern)))
        else:
            found.append((pattern, where))
    return found


def merge(documents: list[TomlDocument]) -> tuple[Merged, list[ConfigProblem]]:
    """Join documents in order: tables key by key, arrays concatenated; a key set twice is wrong."""
    merged = Merged({}, {}, documents[0].file if documents else "<config>")
    problems: list[ConfigProblem] = []
    for document in documents:
        body = {key: value for key, value in document.data.items() if key != "include"}
        _merge_table(merged.data, body, document, (), (), merged, problems)
    return merged, problems


def _merge_table(
    target: dict[str, Any],
    source: dict[str, Any],
    document: TomlDocument,
    doc_path: PathKey,
    path: PathKey,
    merged: Merged,
    problems: list[ConfigProblem],
) -> None:
    for key, value in source.items():
        here, there = (*doc_path, key), (*path, key)
        if key not in target:
            target[key] = _place(value, document, here, there, merged)
            continue
        existing = target[key]
        if isinstance(existing, dict) and isinstance(value, dict):
            _merge_table(existing, value, document, here, there, merged, problems)
        elif isinstance(existing, list) and isinstance(value, list):
            offset = len(existing)
            for index, item in enumerate(value):
                spot = (*there, offset + index)
                existing.append(_place(item, document, (*here, index), spot, merged))
        else:
            first = merged.origin_of(there)
            line = document.line_of(here)
            message = f"is already set in {first.file}:{first.line}; set it in one file only"
            problems.append(ConfigProblem(document.file, line, there, message))


def _place(
    value: Any, document: TomlDocument, doc_path: PathKey, path: PathKey, merged: Merged
) -> Any:
    """A copy of `value` whose every path is recorded in `merged.origins`."""
    merged.origins[path] = Origin(document.file, document.line_of(doc_path))
    if isinstance(value, dict):
        return {
            key: _place(item, document, (*doc_path, key), (*path, key), merged)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [
            _place(item, document, (*doc_path, index), (*path, index), merged)
            for index, item in enumerate(value)
        ]
    return copy.copy(value)


def apply_env_overrides(
    merged: Merged, env: Mapping[str, str]
) -> tuple[Merged, list[ConfigProblem]]:
    """`merged` with every `DESKBRIDGE_<SECTION>__<KEY>` variable set over it (a new `Merged`)."""
    result = Merged(copy.deepcopy(merged.data), dict(merged.origins), merged.main_file)
    problems: list[ConfigProblem] = []
    for override in env_overrides(env):
        problem = _override(result, override)
        if problem is not None:
            problems.append(problem)
    return result, problems


def _override(merged: Merged, override: EnvOverride) -> ConfigProblem | None:
    node: Any = merged.data
    for depth, key in enumerate(override.path[:-1]):
        child = node.get(key)
        if child is None:
            child = node[key] = {}
        if not isinstance(child, dict):
            where = merged.origin_of(override.path[: depth + 1])
            message = f"is not a table, so {override.variable} cannot set a key inside it"
            return ConfigProblem(where.file, where.line, override.path[: depth + 1], message)
        node = child
    key = override.path[-1]
    if isinstance(node.get(key), dict | list):
        where = merged.origin_of(override.path)
        message = f"is a table or an array; {override.variable} can only replace a single value"
        return ConfigProblem(where.file, where.line, override.path, message)
    node[key] = override.value
    line = merged.origin_of(override.path).line
    for end in range(1, len(override.path) + 1):
        if override.path[:end] not in merged.origins or end == len(override.path):
            merged.origins[override.path[:end]] = Origin(merged.main_file, line, override.source)
    return None


def validate(
    model_cls: type[M],
    merged: Merged,
    env: Mapping[str, str] | None = None,
    read_file: ReadText | None = None,
) -> tuple[M | None, list[ConfigProblem]]:
    """The model, or None and every problem; inline secrets come back as warnings either way."""
    context = {"env": env or {}, "read_file": read_file or _no_files}
    try:
        model = model_cls.model_validate(merged.data, context=context)
    except ValidationError as error:
        problems: list[ConfigProblem] = []
        for entry in error.errors(include_url=False, include_input=True):
            path, message, suggestion = explain_validation_error(model_cls, merged.data, entry)
            problem = merged.problem(path, message, suggestion)
            if problem not in problems:
                problems.append(problem)
        return None, problems
    return model, _inline_secret_warnings(model, merged)


def _no_files(path: str) -> str:
    raise FileNotFoundError(2, "No such file or directory (no file reader was given)", path)


def _inline_secret_warnings(model: BaseModel, merged: Merged) -> list[ConfigProblem]:
    from mappings.secrets import Secret, inline_secret_warning

    warnings: list[ConfigProblem] = []

    def walk(value: Any, path: PathKey) -> None:
        if isinstance(value, Secret):
            message = inline_secret_warning(value)
            if message is not None:
                found = merged.problem(path, message)
                warnings.append(ConfigProblem(**{**found.__dict__, "warning": True}))
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name), (*path, name))
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                walk(item, (*path, index))
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, (*path, str(key)))

    walk(model, ())
    return warnings


def read_and_validate(
    path: str,
    model_cls: type[M],
    read_text: ReadText,
    expand_glob: ExpandGlob,
    env: Mapping[str, str],
) -> tuple[Merged | None, M | None, list[ConfigProblem]]:
    """The chain, pure: load, merge, override, validate. The merged data (None when the main
    file itself could not be read or parsed), the model (None when invalid) and every problem."""
    documents, problems = load_documents(path, read_text, expand_glob)
    if not documents:
        return None, None, problems
    merged, merge_problems = merge(documents)
    merged, override_problems = apply_env_overrides(merged, env)
    problems += merge_problems + override_problems
    model, validation_problems = validate(model_cls, merged, env, read_text)
    return merged, model, problems + validation_problems


def check_config(
    path: str,
    model_cls: type[M],
    read_text: ReadText,
    expand_glob: ExpandGlob,
    env: Mapping[str, str],
) -> tuple[M | None, list[ConfigProblem]]:
    """The whole chain, pure: load, merge, override, validate; all problems sorted."""
    _merged, model, problems = read_and_validate(path, model_cls, read_text, expand_glob, env)
    if any(not problem.warning for problem in problems):
        model = None
    return model, sorted(problems, key=ConfigProblem.sort_key)


def read_file_text(name: str) -> str:
    """The real file reader of the thin edges (`load_config`, `mappings.load.load`)."""
    from pathlib import Path

    return Path(name).read_text(encoding="utf-8")


def expand_file_glob(pattern: str) -> list[str]:
    """The real glob of the thin edges, with `/` separators as includes are written."""
    import glob
    import os

    return [name.replace(os.sep, "/") for name in glob.glob(pattern)]


def load_config(path: str, model_cls: type[M], env: Mapping[str, str] | None = None) -> M:
    """The thin edge: real files and (by default) `os.environ`; raises `ConfigError` with all
    problems. Warnings (inline secrets) do not stop loading; callers get them from `check_config`.
    """
    import os

    from mappings.problems import ConfigError

    model, problems = check_config(
        path, model_cls, read_file_text, expand_file_glob, os.environ if env is None else env
    )
    if model is None:
        raise ConfigError(problem for problem in problems if not problem.warning)
    return model


__all__ = [
    "ConfigModel",
    "Merged",
    "Origin",
    "apply_env_overrides",
    "check_config",
    "expand_file_glob",
    "format_path",
    "load_config",
    "load_documents",
    "merge",
    "read_and_validate",
    "read_file_text",
    "validate",
]
