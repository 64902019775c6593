"""The configuration reference (docs/configuration.md), generated so that it cannot drift.

Keys, types, defaults, allowed values and bounds come from the config model (`mappings.config`);
what each key is for comes from the comments of `config.example.toml`, the comment block right
above a key (or above a commented-out `# key = ...`). A key written right after another one
shares its comment; a table's comment is the block above its header, or the introduction under
the `# --- section ---` banner before it. Tables the example writes as `[x]` or `[[x]]` get their
own section, whatever engineers add to the model; other nested models are shown inline.

    python -m mappings.reference > docs/configuration.md

`render_reference` is pure (the model and the example's text are passed in); only `main` reads.
"""

from __future__ import annotations

import re
import sys
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import annotated_types
from pydantic import BaseModel, BeforeValidator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from mappings.config import Config, parse_duration
from mappings.secrets import Secret
from mappings.toml_source import PathKey, parse_toml

Path_ = tuple[str, ...]
REGENERATE = "python -m mappings.reference > docs/configuration.md"
EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"
_BANNER = re.compile(r"#\s*---\s*(.*?)\s*-*\s*$")
# Keys the loader reads before the model sees the config.
PRESENCE = {
    "required": "A required table.",
    "defaults": "Every key has a default: leave out what you do not change, or the whole table.",
    "optional": "Optional: leave the whole table out when it is not needed.",
}
LOADER_KEYS: dict[Path_, tuple[str, str]] = {("include",): ("list of file names or globs", "[]")}

INTRO = """\
# Configuration reference

<!-- Generated from mappings/config.py and the comments of config.example.toml: do not edit.
     Regenerate with: {regenerate} -->

deskbridge reads one TOML file (`--config PATH`, else `$DESKBRIDGE_CONFIG`, else `config.toml`)
and the files it `include`s. This page lists every key: its type, its default, the values it
allows, and what it is for. [config.example.toml](../config.example.toml) shows them all in use.

- A key you leave out takes its default; a key marked **required** must be set; an unknown key
  is an error (with a did-you-mean).
- A **secret** is written as `"env:NAME"` (the environment variable NAME) or
  `"file:/run/secrets/name"` (a file; one trailing newline is stripped). A secret written
  inline still works, with a warning.
- Any single value can be set from the environment: `DESKBRIDGE_<SECTION>__<KEY>=value`
  (e.g. `DESKBRIDGE_ZENDESK__SUBDOMAIN=acme`, `DESKBRIDGE_SURVEYMONKEY__FATIGUE__DAYS=60`);
  it wins over the files.
- A **duration** is a whole number of seconds or text such as `"45s"`, `"15m"`, `"1h30m"`,
  `"2d"`.
- `deskbridge validate` reports every problem at once as `file:line: key: message`.
"""


# --- the example's comments -------------------------------------------------------------------


@dataclass
class ExampleDocs:
    """The comments of the example config, by key path (array indices left out)."""

    keys: dict[Path_, list[str]] = field(default_factory=dict)
    tables: dict[Path_, list[str]] = field(default_factory=dict)

    def for_key(self, path: Path_) -> list[str]:
        return self.keys.get(path, [])

    def for_table(self, path: Path_) -> list[str]:
        return self.tables.get(path, [])

    @property
    def table_paths(self) -> set[Path_]:
        return set(self.tables)


def _names(path: PathKey) -> Path_:
    return tuple(part for part in path if isinstance(part, str))


def _structure(text: str) -> dict[int, tuple[str, Path_]]:
    """For each line (from 1) that opens a table or sets a key: ("table" | "key", its path)."""
    shortest: dict[int, PathKey] = {}
    for path, line in parse_toml(text).lines.items():
        if line not in shortest or len(path) < len(shortest[line]):
            shortest[line] = path
    lines = text.splitlines()
    found: dict[int, tuple[str, Path_]] = {}
    for number, path in shortest.items():
        if isinstance(path[-1], int) and not lines[number - 1].lstrip().startswith("[["):
            continue  # an item of a multi-line array, not a key
        kind = "table" if lines[number - 1].lstrip().startswith("[") else "key"
        found[number] = (kind, _names(path))
    return found


def _commented_key(body: str) -> str | None:
    """`key` of a commented-out `key = value`, else None."""
    import tomllib

    try:
        shown = tomllib.loads(body)
    except tomllib.TOMLDecodeError:
        return None
    return next(iter(shown)) if len(shown) == 1 else None


def example_docs(text: str) -> ExampleDocs:
    """The comment blocks of `text` (a valid config), attached to the keys and tables below."""
    structure = _structure(text)
    docs = ExampleDocs()
    table: Path_ = ()
    pending: list[str] = []  # comment lines since the last blank line or key
    banner_intro: list[str] = []  # the introduction under the last `# --- x ---` banner
    in_banner = False
    last_key_doc: list[str] | None = None  # a key right after a key shares its comment

    def document(path: Path_, doc: list[str]) -> None:
        docs.keys.setdefault(path, doc)
        docs.keys.setdefault(path[: len(table) + 1], doc)  # `conditions.all` documents conditions

    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        kind, path = structure.get(number, ("", ()))
        if kind == "table":
            table = path
            docs.tables.setdefault(table, pending or banner_intro)
            pending, banner_intro, in_banner, last_key_doc = [], [], False, None
        elif kind == "key":
            doc = pending or (last_key_doc or [])
            document(path, doc)
            pending, last_key_doc = [], doc
        elif not stripped:
            if in_banner:
                banner_intro = pending
            pending, in_banner, last_key_doc = [], False, None
        elif stripped.startswith("#"):
            body = stripped[1:].removeprefix(" ") if stripped != "#" else ""
            if _BANNER.fullmatch(stripped):
                pending, in_banner, last_key_doc = [], True, None
            elif (key := _commented_key(body)) is not None:
                doc = pending or (last_key_doc or [])
                document((*table, *key.split(".")), doc)
                pending, last_key_doc = [], doc
            else:
                pending = [*pending, body]
    return docs


# --- the model --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    path: Path_
    kind: str  # the type, in the admin's words
    default: str  # "required", or the default as TOML
    allowed: str  # allowed values and bounds, or ""


@dataclass
class Table:
    path: Path_
    model: type[BaseModel]
    array: bool  # [[x]] rather than [x]
    presence: str  # "required", "defaults" (every key has one) or "optional" (default: none)
    keys: list[Key] = field(default_factory=list)


def _without_none(annotation: Any) -> tuple[Any, bool]:
    """The annotation with `None` left out of a union, and whether `None` was in it."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(members) < len(typing.get_args(annotation))
        if len(members) == 1:
            return members[0], optional
        return typing.Union[tuple(members)], optional  # noqa: UP007 (a runtime union)
    return annotation, False


def _unannotated(annotation: Any) -> tuple[Any, list[Any]]:
    if typing.get_origin(annotation) is typing.Annotated:
        base, *metadata = typing.get_args(annotation)
        inner, more = _unannotated(base)
        return inner, [*metadata, *more]
    return annotation, []


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _is_duration(metadata: list[Any]) -> bool:
    return any(isinstance(m, BeforeValidator) and m.func is parse_duration for m in metadata)


def _kind(annotation: Any, metadata: list[Any]) -> str:
    """The type of a value in the admin's words."""
    annotation, more = _unannotated(annotation)
    metadata = [*metadata, *more]
    annotation, _optional = _without_none(annotation)
    annotation, more = _unannotated(annotation)
    metadata = [*metadata, *more]
    origin = typing.get_origin(annotation)
    if _is_duration(metadata):
        return "duration"
    if origin is Literal:
        return "text"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_kind(member, []) for member in typing.get_args(annotation))
    if origin is list:
        (item,) = typing.get_args(annotation)
        return f"list of {_kind(item, [])}"
    if origin is dict:
        _key, value = typing.get_args(annotation)
        return "table" if value is Any else f"table of {_kind(value, [])}"
    if _is_model(annotation):
        return "{ " + ", ".join(annotation.model_fields) + " }"
    simple = {
        str: "text",
        bool: "true/false",
        int: "whole number",
        float: "number",
        datetime: "date-time",
        date: "date",
        Secret: "secret",
    }
    return simple.get(annotation, "any value")


def _literal_values(annotation: Any) -> tuple[Any, ...]:
    annotation, _ = _without_none(_unannotated(annotation)[0])
    return typing.get_args(annotation) if typing.get_origin(annotation) is Literal else ()


def _toml(value: Any, duration: bool = False) -> str:
    if duration and isinstance(value, int):
        return f'"{value}s"' if value else "0"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, BaseModel):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value) + " }"
    if isinstance(value, dict) and not value:
        return "{}"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return str(value)


def _default(info: FieldInfo, duration: bool) -> str:
    if info.is_required():
        return "required"
    value = info.get_default(call_default_factory=True, validated_data={})
    if value is None or value is PydanticUndefined:
        return "none"
    return _toml(value, duration)


def _bounds(metadata: list[Any]) -> list[str]:
    low = high = None
    found: list[str] = []
    for item in metadata:
        if isinstance(item, annotated_types.Ge):
            low = item.ge
        elif isinstance(item, annotated_types.Le):
            high = item.le
        elif isinstance(item, annotated_types.MinLen):
            found.append(f"at least {item.min_length} item{'s' if item.min_length != 1 else ''}")
    if low is not None and high is not None:
        found.insert(0, f"{low} to {high}")
    elif low is not None:
        found.insert(0, f"{low} or more")
    elif high is not None:
        found.insert(0, f"at most {high}")
    return found


def _key(path: Path_, info: FieldInfo) -> Key:
    _base, inner = _unannotated(info.annotation)
    metadata = [*info.metadata, *inner]
    for member in typing.get_args(_without_none(info.annotation)[0]) or ():
        metadata += _unannotated(member)[1]
    duration = _is_duration(metadata)
    values = _literal_values(info.annotation)
    allowed = [", ".join(_toml(v) for v in values)] if values else []
    allowed += _bounds(metadata)
    return Key(path, _kind(info.annotation, metadata), _default(info, duration), "; ".join(allowed))


def _nested_model(annotation: Any) -> tuple[type[BaseModel] | None, bool, bool]:
    """The model a field holds as a table (or array of tables), whether an array, whether
    optional."""
    annotation, optional = _without_none(_unannotated(annotation)[0])
    if _is_model(annotation):
        return annotation, False, optional
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation)
        item = _unannotated(item)[0]
        if _is_model(item):
            return item, True, optional
    return None, False, optional


def tables(model: type[BaseModel], sections: set[Path_]) -> Iterator[Table]:
    """The model's tables in order: the root, then each nested table the example writes as
    `[x]` or `[[x]]` (in `sections`), depth first."""

    def walk(table: Table) -> Iterator[Table]:
        nested: list[Table] = []
        for name, info in table.model.model_fields.items():
            path = (*table.path, name)
            inner, array, optional = _nested_model(info.annotation)
            if inner is not None and path in sections:
                presence = "required" if info.is_required() else "defaults"
                nested.append(Table(path, inner, array, "optional" if optional else presence))
            else:
                table.keys.append(_key(path, info))
        yield table
        for child in nested:
            yield from walk(child)

    yield from walk(Table((), model, False, "required"))


# --- the page ---------------------------------------------------------------------------------


def _paragraphs(lines: list[str]) -> list[str]:
    """Comment lines as Markdown: prose joined, indented lines kept as a preformatted block."""
    blocks: list[str] = []
    prose: list[str] = []
    code: list[str] = []
    for line in [*lines, ""]:
        if line.startswith("  "):
            if prose:
                blocks.append(" ".join(prose))
                prose = []
            code.append(line)
            continue
        if code:
            blocks.append("```text\n" + "\n".join(code) + "\n```")
            code = []
        if line:
            prose.append(line)
    if prose:
        blocks.append(" ".join(prose))
    return blocks


def _header(table: Table) -> str:
    name = ".".join(table.path)
    return f"[[{name}]]" if table.array else f"[{name}]"


def _render_key(key: Key, doc: list[str]) -> list[str]:
    facts = [key.kind]
    if key.allowed:
        facts.append(f"allowed: {key.allowed}")
    facts.append("**required**" if key.default == "required" else f"default: `{key.default}`")
    lines = [f"### `{'.'.join(key.path)}`", "", " · ".join(facts), ""]
    for block in _paragraphs(doc):
        lines += [block, ""]
    return lines


def _render_table(table: Table, docs: ExampleDocs) -> list[str]:
    lines: list[str] = []
    if table.path:
        lines += [f"## `{_header(table)}`", ""]
        if table.array:
            lines += ["An array of tables: write the header once per item.", ""]
        else:
            lines += [PRESENCE[table.presence], ""]
        for block in _paragraphs(docs.for_table(table.path)):
            lines += [block, ""]
    else:
        lines += ["## Top level", ""]
        for path, (kind, default) in LOADER_KEYS.items():
            lines += _render_key(Key(path, kind, default, ""), docs.for_key(path))
    for key in table.keys:
        lines += _render_key(key, docs.for_key(key.path))
    return lines


def render_reference(model: type[BaseModel], example_text: str) -> str:
    """docs/configuration.md for `model`, explained by the comments of `example_text`."""
    docs = example_docs(example_text)
    all_tables = list(tables(model, docs.table_paths))
    lines = [INTRO.format(regenerate=REGENERATE), "Sections:", ""]
    lines += [f"- [`{_header(t)}`](#{_anchor(t)})" for t in all_tables if t.path] + [""]
    for table in all_tables:
        lines += _render_table(table, docs)
    return "\n".join(lines).rstrip("\n") + "\n"


def _anchor(table: Table) -> str:
    """GitHub's anchor of the table's heading: lower case, punctuation but - and _ dropped."""
    return re.sub(r"[^a-z0-9_\- ]", "", f"`{_header(table)}`".lower()).replace(" ", "-")


def main() -> int:
    sys.stdout.write(render_reference(Config, EXAMPLE.read_text(encoding="utf-8")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
