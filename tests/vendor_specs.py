"""Validate JSON response bodies against the vendors' own published schemas.

Tests of the sandbox's emulation of Zendesk, Mailchimp and SurveyMonkey use this to assert that
a body "validates against the vendor's schema" for one (API, method, path template, status):

    assert_valid("zendesk", "GET", "/api/v2/incremental/users/cursor", 200, body)

The specs are read-only data under ``SPECS_DIR`` (see its README.md). Zendesk: OpenAPI files per
resource plus ``official-components.yml`` (an excerpt of Zendesk's oas.yaml) which is preferred
for paths and ``#/components/...`` schemas it holds. Mailchimp: Swagger 2.0, schemas inline, paths
relative to basePath ``/3.0``. SurveyMonkey: markdown only, so there is nothing to validate
against and ``SchemaNotInSpec`` says so. Refs resolve inside the loaded files only (no network).
Swagger 2.0 and OpenAPI 3.0 use the draft-4 validator (3.0's ``nullable: true`` becomes a
``"null"`` type, as OpenAPI 3.0.3 defines it: only where ``type`` is given); OpenAPI 3.1 uses
draft 2020-12. Formats are not checked. Spec bugs are corrected only through KNOWN_SPEC_ERRATA.
"""

from __future__ import annotations

import copy
import fnmatch
import functools
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml
from jsonschema import Draft4Validator, Draft202012Validator
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from referencing import Registry
from referencing.jsonschema import DRAFT4, DRAFT202012

_DEFAULT_SPECS = Path(__file__).resolve().parents[1].parent / "shared" / "specs"
SPECS_DIR: Path = Path(os.environ.get("DESKBRIDGE_SPECS_DIR") or _DEFAULT_SPECS)
APIS = ("zendesk", "mailchimp", "surveymonkey")
MAX_LINES = 20
_OFFICIAL = "official-components.yml"  # zendesk: preferred for paths and components
_SCHEMA_DATA_KEYS = frozenset({"example", "examples", "enum", "default", "const"})


class SchemaNotInSpec(Exception):
    """The vendor's spec gives no (resolvable) response schema; the message says where and why."""


@dataclass(frozen=True)
class Erratum:
    """A documented correction of a vendor spec, applied after loading the file."""

    files: str  # glob relative to SPECS_DIR
    where: str  # JSON pointer of the node patched ("" is the document root)
    patch: Mapping[str, Any]  # keys set on that node
    what: str
    why: str
    evidence: str


KNOWN_SPEC_ERRATA: tuple[Erratum, ...] = (
    Erratum(
        files="zendesk/*.yml",
        where="",
        patch={"openapi": "3.0.3"},
        what="read every Zendesk file as OpenAPI 3.0.3 (per-resource files say `openapi: 3.1.0`; "
        "official-components.yml has no version key at all)",
        why="they are splits/excerpts of Zendesk's oas.yaml, which is OpenAPI 3.0.3, and keep its "
        "3.0-only `nullable: true`; read as 3.1 (JSON Schema 2020-12) `nullable` is ignored and "
        "every documented null would be rejected",
        evidence="specs/README.md (per-resource files are 'split from Zendesk's published "
        "oas.yaml'); official-components.yml header comment ('Zendesk's official Support API "
        "OpenAPI 3.0.3 spec'); users.yml CursorBasedExportIncrementalUsersResponse declares "
        "before_cursor `type: string, nullable: true` (line 1730) and its own example has "
        "`before_cursor:` null (line 1746), invalid under 3.1",
    ),
    *(
        Erratum(
            files="zendesk/official-components.yml",
            where=f"/components/schemas/TicketObject/properties/{name}",
            patch={"enum": [*values, None]},
            what=f"TicketObject.{name} may be null",
            why="the property says `nullable: true`, but under OpenAPI 3.0.3 `nullable` does not "
            "extend an `enum`, so null must be listed (OAI/OpenAPI-Specification#1900)",
            evidence=f"official-components.yml TicketObject.{name}: `nullable: true` beside "
            f"`enum: {list(values)}`",
        )
        for name, values in (
            ("priority", ("urgent", "high", "normal", "low")),
            ("type", ("problem", "incident", "question", "task")),
        )
    ),
    *(
        Erratum(
            files="zendesk/official-components.yml",
            where=f"/components/schemas/{schema}/properties/email",
            patch={"nullable": True},
            what=f"{schema}.email may be null",
            why="users without an email address exist (phone-only end users, permanently "
            "deleted users), and Zendesk returns their `email` as null",
            evidence="deleted-users.yml GET /api/v2/deleted_users description: for permanently "
            "deleted users 'the users' properties that normally contain personal data, such as "
            "`email` and `phone`, are null'",
        )
        for schema in ("UserForAdmin", "UserForEndUser")
    ),
)


class _Loader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """YAML loader that keeps unquoted timestamps as strings, as a JSON body would carry them."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _nullable_to_type(node: Any) -> Any:
    """OpenAPI 3.0 `nullable: true` next to `type` → JSON Schema `type: [<type>, "null"]`."""
    if isinstance(node, list):
        return [_nullable_to_type(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _nullable_to_type(value) for key, value in node.items()}
    if out.get("nullable") is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


def _pointer(*segments: str) -> str:
    return "".join("/" + s.replace("~", "~0").replace("/", "~1") for s in segments)


def _resolve(doc: Any, pointer: str) -> Any:
    node = doc
    for raw in pointer.lstrip("/").split("/") if pointer else []:
        key = raw.replace("~1", "/").replace("~0", "~")
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


@functools.cache
def load_spec(path: Path) -> dict[str, Any]:
    """The parsed file with KNOWN_SPEC_ERRATA applied and 3.0 `nullable` translated (cached)."""
    with path.open(encoding="utf-8") as stream:
        doc: dict[str, Any] = yaml.load(stream, Loader=_Loader)  # noqa: S506 (a safe loader)
    rel = path.relative_to(path.parents[1]).as_posix()
    for erratum in KNOWN_SPEC_ERRATA:
        if fnmatch.fnmatch(rel, erratum.files):
            _resolve(doc, erratum.where).update(copy.deepcopy(dict(erratum.patch)))
    return _nullable_to_type(doc) if str(doc.get("openapi", "")).startswith("3.0") else doc


def _spec_files(specs_dir: Path, api: str) -> list[Path]:
    if not specs_dir.is_dir():
        missing = f"the vendors' specs are not at {specs_dir}; set DESKBRIDGE_SPECS_DIR"
        if os.environ.get("CI"):  # CI always has shared/ beside the clone: never skip there
            raise FileNotFoundError(missing)
        raise SchemaNotInSpec(missing)
    files = sorted((specs_dir / api).glob("*.yml"), key=lambda p: (p.name != _OFFICIAL, p.name))
    if not files:
        raise SchemaNotInSpec(f"no {api} spec files under {specs_dir / api}")
    return files


def _response(doc: dict[str, Any], responses: dict[Any, Any], status: int) -> tuple[str, Any]:
    for key in (str(status), status, f"{str(status)[0]}XX", "default"):
        if key in responses:
            response = responses[key]
            if isinstance(response, dict) and isinstance(response.get("$ref"), str):
                response = _resolve(doc, response["$ref"].removeprefix("#"))
            return str(key), response
    raise KeyError(status)


def _dangling_refs(doc: Any, node: Any, seen: set[str], in_props: bool = False) -> Iterator[str]:
    """Local `$ref`s reachable from `node` that point nowhere in `doc`."""
    if isinstance(node, list):
        for item in node:
            yield from _dangling_refs(doc, item, seen)
    elif isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref not in seen:
            seen.add(ref)
            try:
                yield from _dangling_refs(doc, _resolve(doc, ref.removeprefix("#")), seen)
            except (KeyError, IndexError, ValueError, TypeError):
                yield ref
        for key, value in node.items():
            if in_props or key not in _SCHEMA_DATA_KEYS:
                yield from _dangling_refs(doc, value, seen, in_props=key == "properties")


def response_schema(api: str, method: str, path_template: str, status: int) -> Validator:
    """A validator for the vendor's response schema, or SchemaNotInSpec saying why there is none."""
    return _validator(SPECS_DIR, api, method.lower(), path_template, status)


@functools.cache
def _validator(specs_dir: Path, api: str, method: str, path: str, status: int) -> Validator:
    what = f"{method.upper()} {path} {status}"
    if api not in APIS:
        raise ValueError(f"unknown api {api!r}; expected one of {APIS}")
    if api == "surveymonkey":
        raise SchemaNotInSpec(
            f"surveymonkey: no schema for {what}: SurveyMonkey publishes its API reference as "
            "markdown only (surveymonkey/*.md), with no machine-readable schema"
        )
    files = _spec_files(specs_dir, api)
    for file in files:  # the first file with the operation wins (duplicates differ only in tags)
        doc = load_spec(file)
        if isinstance(doc.get("paths", {}).get(path, {}).get(method), dict):
            return _build(api, file, doc, method, path, status)
    hint = " (mailchimp paths are relative to basePath /3.0)" if path.startswith("/3.0/") else ""
    raise SchemaNotInSpec(f"no {api} spec file has the path {path!r} with method {what}{hint}")


def _build(
    api: str, file: Path, doc: dict[str, Any], method: str, path: str, status: int
) -> Validator:
    name, what = f"{api}/{file.name}", f"{method.upper()} {path} {status}"
    try:
        key, response = _response(doc, doc["paths"][path][method].get("responses") or {}, status)
    except KeyError:
        raise SchemaNotInSpec(
            f"{name} declares no {status} (nor default) response: {what}"
        ) from None
    media = [m for m in response.get("content", {}) if "json" in m]
    schema = response["content"][media[0]].get("schema") if media else response.get("schema")
    if schema is None:
        raise SchemaNotInSpec(
            f"{name}: the spec has no schema for {what} (response {key!r}: "
            f"{response.get('description', '')!r})"
        )
    pointer = _pointer("paths", path, method, "responses", key)
    pointer += _pointer("content", media[0], "schema") if media else "/schema"
    if api == "zendesk" and file.name != _OFFICIAL:  # per-resource files lack most components
        own = doc.get("components", {})
        common = load_spec(file.with_name(_OFFICIAL)).get("components", {})
        schemas = {**own.get("schemas", {}), **common.get("schemas", {})}  # official preferred
        doc, name = {**doc, "components": {**own, "schemas": schemas}}, f"{name} + {_OFFICIAL}"
    dangling = sorted(set(_dangling_refs(doc, schema, set())))
    if dangling:
        raise SchemaNotInSpec(
            f"{name}: the schema for {what} refers to {', '.join(dangling)}, "
            "which no spec file defines"
        )
    modern = str(doc.get("openapi", "")).startswith("3.1")
    cls, spec = (Draft202012Validator, DRAFT202012) if modern else (Draft4Validator, DRAFT4)
    uri = file.resolve().as_uri()  # refs resolve in this registry only: no retrieval, no network
    registry: Registry[Any] = Registry().with_resource(uri, spec.create_resource(doc))
    return cls({"$ref": f"{uri}#{quote(pointer, safe='/~')}"}, registry=registry)


def _lines(error: ValidationError, depth: int = 0) -> Iterator[str]:
    message = error.message if len(error.message) <= 160 else error.message[:157] + "..."
    yield f"{'  ' * depth}{error.json_path}: {message}"
    for sub in sorted(error.context or (), key=lambda e: (e.json_path, e.message)):
        yield from _lines(sub, depth + 1)


def assert_valid(api: str, method: str, path_template: str, status: int, body: Any) -> None:
    """AssertionError listing every schema violation (with its JSON path) of `body`, if any."""
    validator = response_schema(api, method, path_template, status)
    errors = sorted(validator.iter_errors(body), key=lambda e: (e.json_path, e.message))
    if not errors:
        return
    noun = "error" if len(errors) == 1 else "errors"
    lines = list(dict.fromkeys(line for error in errors for line in _lines(error)))
    shown = lines[:MAX_LINES] + (
        [f"... and {len(lines) - MAX_LINES} more"] if len(lines) > MAX_LINES else []
    )
    raise AssertionError(
        f"{api} {method.upper()} {path_template} {status}: body does not match "
        f"the vendor schema ({len(errors)} {noun}):\n" + "\n".join(shown)
    )
