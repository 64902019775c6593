"""Problems found in the admin's config: file, line, key path, what was expected, a did-you-mean.

Every problem is collected before anything is raised (the Meltano way), so the admin fixes a whole
config in one pass. A condition `Problem` (located by a string such as `all[2].operator`) can be
re-located into a `ConfigProblem` with `from_condition`, so both speak with one voice.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from mappings.conditions.problems import Problem, did_you_mean
from mappings.toml_source import PathKey

__all__ = [
    "ConfigError",
    "ConfigProblem",
    "PathProblem",
    "did_you_mean",
    "explain_validation_error",
    "format_path",
]

_LOCATION_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")
_BARE = re.compile(r"[A-Za-z0-9_-]+")


def format_path(path: PathKey) -> str:
    """`("lists", 2, "conditions")` -> `lists[2].conditions`; odd keys are quoted as in TOML."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            key = part if _BARE.fullmatch(part) else f'"{part}"'
            text = f"{text}.{key}" if text else key
    return text


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong (or, with `warning`, unwise) in the config, where the admin wrote it.

    `line` 0 means the file as a whole (e.g. it cannot be read). `source` names where a value came
    from when that is not the file itself, e.g. `the environment variable DESKBRIDGE_ZENDESK__X`.
    """

    file: str
    line: int
    path: PathKey
    message: str
    suggestion: str | None = None
    source: str | None = None
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        key = f" {format_path(self.path)}:" if self.path else ""
        kind = " warning:" if self.warning else ""
        hint = f" (did you mean {self.suggestion!r}?)" if self.suggestion else ""
        origin = f" (from {self.source})" if self.source else ""
        return f"{where}:{kind}{key} {self.message}{hint}{origin}"

    @classmethod
    def from_condition(cls, problem: Problem, file: str, line: int, path: PathKey) -> ConfigProblem:
        """A conditions-engine problem, found under `path` (the spec's place in the config)."""
        placed = PathProblem.from_condition(problem, path)
        return cls(file, line, placed.path, placed.message, placed.suggestion)

    def sort_key(self) -> tuple[str, int, str]:
        return (self.file, self.line, format_path(self.path))


class ConfigError(ValueError):
    """Every problem of a config, sorted by file and line, one per line of the message."""

    def __init__(self, problems: Iterable[ConfigProblem]) -> None:
        self.problems = tuple(sorted(problems, key=ConfigProblem.sort_key))
        count = len(self.problems)
        heading = f"{count} problem{'s' if count != 1 else ''} in the config:"
        super().__init__("\n".join([heading, *(f"  {p}" for p in self.problems)]))


_EXPECTED = {
    "string_type": "text (in quotes)",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "an array, e.g. [1, 2]",
    "tuple_type": "an array, e.g. [1, 2]",
    "set_type": "an array, e.g. [1, 2]",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "datetime_type": "a date and time, e.g. 2024-05-01T09:00:00Z",
    "datetime_parsing": "a date and time, e.g. 2024-05-01T09:00:00Z",
    "datetime_from_date_parsing": "a date and time, e.g. 2024-05-01T09:00:00Z",
    "date_type": "a date, e.g. 2024-05-01",
    "date_parsing": "a date, e.g. 2024-05-01",
    "date_from_datetime_parsing": "a date, e.g. 2024-05-01",
    "time_delta_type": "a duration",
    "url_type": "a URL",
    "url_parsing": "a URL",
}


def explain_validation_error(
    model_cls: type[BaseModel], data: Any, error: ErrorDetails
) -> tuple[PathKey, str, str | None]:
    """One pydantic error as (path in the data, plain message, did-you-mean).

    Pydantic's `loc` also names union branches (`int`, `literal['a']`, model names); those are
    dropped by following `loc` through the data itself. The input is shown only for a bad choice
    among allowed values, never for a type error (it could be a secret in the wrong place).
    """
    kind = error["type"]
    path = data_path(data, tuple(error["loc"]), keep_missing_last=kind == "missing")
    value = error.get("input")
    key = path[-1] if path else ""
    if kind == "missing":
        return path, "required, but not set", None
    if kind == "extra_forbidden":
        known = field_names(model_cls, path[:-1])
        suggestion = did_you_mean(str(key), known)
        listing = "" if suggestion or not known else f"; known keys here: {', '.join(known)}"
        return path, f"{str(key)!r} is not a known key{listing}", suggestion
    if kind in ("literal_error", "enum"):
        allowed = allowed_values(model_cls, path)
        words = [str(choice) for choice in allowed]
        suggestion = did_you_mean(value, words) if isinstance(value, str) else None
        what = f"a valid {key}" if isinstance(key, str) and key else "allowed"
        shown = repr(value) if len(repr(value)) <= 60 else "this value"
        listing = "" if suggestion else f"; expected one of {', '.join(map(repr, allowed))}"
        return path, f"{shown} is not {what}{listing}", suggestion
    if kind in _EXPECTED:
        return path, f"expected {_EXPECTED[kind]}, got {toml_kind(value)}", None
    message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    message = message.replace("Input should be", "expected")
    return path, message[:1].lower() + message[1:], None


def data_path(data: Any, loc: tuple[str | int, ...], keep_missing_last: bool) -> PathKey:
    """The part of pydantic's `loc` that is really in `data` (plus a missing key at the end)."""
    path: list[str | int] = []
    node = data
    for position, part in enumerate(loc):
        in_table = isinstance(node, dict) and part in node
        in_array = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_table or in_array:
            node = node[part]
            path.append(part)
        elif keep_missing_last and position == len(loc) - 1:
            path.append(part)
    return tuple(path)


def toml_kind(value: Any) -> str:
    """What a TOML value is, in the words of the TOML spec."""
    kinds = [
        (bool, "true/false"),
        (int, "a whole number"),
        (float, "a number"),
        (str, "text"),
        (list, "an array"),
        (dict, "a table"),
    ]
    for cls, word in kinds:
        if isinstance(value, cls):
            return word
    return {"datetime": "a date and time", "date": "a date", "time": "a time"}.get(
        type(value).__name__, type(value).__name__
    )


def field_names(model_cls: type[BaseModel], path: PathKey) -> list[str]:
    """The keys a table at `path` may hold, found by walking the model class along the path."""
    names: set[str] = set()
    for candidate in _types_at(model_cls, path):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            for name, info in candidate.model_fields.items():
                names.add(info.alias or name)
    return sorted(names)


def allowed_values(model_cls: type[BaseModel], path: PathKey) -> list[Any]:
    """The choices of a `Literal` or `Enum` field at `path`, in declaration order."""
    choices: list[Any] = []
    for candidate in _types_at(model_cls, path):
        if get_origin(candidate) is Literal:
            choices.extend(get_args(candidate))
        elif isinstance(candidate, type) and issubclass(candidate, Enum):
            choices.extend(member.value for member in candidate)
    return list(dict.fromkeys(choices))


def _types_at(annotation: Any, path: PathKey) -> list[Any]:
    candidates = _flatten(annotation)
    for part in path:
        following: list[Any] = []
        for candidate in candidates:
            origin, args = get_origin(candidate), get_args(candidate)
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                info = candidate.model_fields.get(str(part))
                if info is not None:
                    following.extend(_flatten(info.annotation))
            elif isinstance(origin, type) and issubclass(origin, Mapping) and len(args) == 2:
                following.extend(_flatten(args[1]))
            elif isinstance(origin, type) and issubclass(origin, Sequence | set | frozenset):
                following.extend(_flatten(args[0]) if args else [])
        candidates = following
    return candidates


def _flatten(annotation: Any) -> list[Any]:
    """`Annotated[X, ...]` -> X; `X | Y | None` -> X, Y, None."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _flatten(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [inner for arg in get_args(annotation) for inner in _flatten(arg)]
    return [annotation]


@dataclass(frozen=True)
class PathProblem:
    """A problem placed by key path only; the loader adds the file and line (`ConfigProblem`)."""

    path: PathKey
    message: str
    suggestion: str | None = None

    def __str__(self) -> str:
        hint = f" (did you mean {self.suggestion!r}?)" if self.suggestion else ""
        return f"{format_path(self.path)}: {self.message}{hint}"

    @classmethod
    def from_condition(cls, problem: Problem, path: PathKey) -> PathProblem:
        """A conditions-engine problem, found under `path` (the spec's place in the config)."""
        parts: list[str | int] = []
        for index, key in _LOCATION_PART.findall(problem.location):
            parts.append(int(index) if index else key)
        return cls((*path, *parts), problem.message, problem.suggestion)
