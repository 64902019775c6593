"""TOML with the line of every key: what config errors need to say where they are."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mappings.toml_source import PathKey, TomlSyntaxError, parse_toml

SAMPLE = '''\
# deskbridge config
title = "retail"   # a comment
include = ["recipes/*.toml"]

[zendesk]
subdomain = "acme"
"api token" = "env:ZENDESK_TOKEN"
limits.requests_per_minute = 400

[[lists]]
name = "VIP customers"
conditions.all = [
  { field = "tags", operator = "includes", value = "vip" },
  # a comment between elements
  { field = "user.suspended", operator = "is", value = false },
]

[[lists]]
name = """Phone
owners"""
group_by = 'user_fields.phone_model'
conditions = { any = [
  { field = "user_fields.phone_model", operator = "present" },
] }

[[lists.destinations]]
kind = "mailchimp"
audience = "Retail Customers"

[[rules]]
name = "Bad rating"
conditions.all = [{ field = "satisfaction.last_score", operator = "is", value = "bad" }]
actions = [
  { set_user_field = "bad_rating_submitted", value = true },
]
'''


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (("title",), 2),
        (("include", 0), 3),
        (("zendesk",), 5),
        (("zendesk", "api token"), 7),
        (("zendesk", "limits", "requests_per_minute"), 8),
        (("lists",), 10),
        (("lists", 0), 10),
        (("lists", 0, "conditions", "all", 0), 13),
        (("lists", 0, "conditions", "all", 0, "operator"), 13),
        (("lists", 0, "conditions", "all", 1, "value"), 15),
        (("lists", 1), 18),
        (("lists", 1, "group_by"), 21),
        (("lists", 1, "conditions", "any", 0, "field"), 23),
        (("lists", 1, "destinations", 0), 26),
        (("lists", 1, "destinations", 0, "audience"), 28),
        (("rules", 0, "conditions", "all", 0, "value"), 32),
        (("rules", 0, "actions", 0, "set_user_field"), 34),
    ],
)
def test_every_key_and_element_has_the_line_it_starts_on(path: PathKey, line: int) -> None:
    assert parse_toml(SAMPLE, "config.toml").lines[path] == line


def leaf_paths(value: Any, path: PathKey = ()) -> Iterator[PathKey]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaf_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaf_paths(item, (*path, index))
    else:
        yield path


def test_every_parsed_value_has_a_line_whose_text_names_its_key() -> None:
    document = parse_toml(SAMPLE, "config.toml")
    source = SAMPLE.splitlines()
    for path in leaf_paths(document.data):
        assert path in document.lines, path
        key = next((part for part in reversed(path) if isinstance(part, str)), None)
        if isinstance(path[-1], str) and key is not None:
            assert key.split()[0] in source[document.lines[path] - 1], path


def test_a_path_without_a_line_falls_back_to_its_nearest_ancestor() -> None:
    document = parse_toml(SAMPLE, "config.toml")
    assert document.line_of(("lists", 1, "destinations", 0, "no_such_key")) == 26
    assert document.line_of(("nowhere",)) == 1


def test_a_syntax_error_names_the_file_line_and_column() -> None:
    with pytest.raises(TomlSyntaxError) as error:
        parse_toml('[zendesk]\nsubdomain = "acme\n', "config.toml")
    assert (error.value.file, error.value.line) == ("config.toml", 2)
    assert str(error.value).startswith("config.toml:2:")


def test_escaped_and_quoted_keys_are_recorded_by_their_value() -> None:
    document = parse_toml("\"a\\u00e9\" = 1\n'lit.eral' = 2\n")
    assert document.lines[("aé",)] == 1 and document.lines[("lit.eral",)] == 2


# --- any document: the scanner never fails and every value gets a line -------------------------

keys = st.text(min_size=1, max_size=6)
scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)


def toml_string(text: str) -> str:
    """A TOML basic string: JSON's escaping, minus surrogate pairs, plus DEL."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(value: Any, spread: bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        items = [toml_value(item, spread) for item in value]
        return "[\n  " + ",\n  ".join(items) + "\n]" if spread else "[" + ", ".join(items) + "]"
    pairs = [f"{toml_string(k)} = {toml_value(v, False)}" for k, v in value.items()]
    return "{ " + ", ".join(pairs) + " }" if pairs else "{}"


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(keys, values, min_size=1, max_size=5), st.booleans())
def test_any_document_is_scanned_and_every_value_has_a_line(
    data: dict[str, Any], spread: bool
) -> None:
    text = "\n".join(f"{toml_string(k)} = {toml_value(v, spread)}  # note" for k, v in data.items())
    document = parse_toml(text)
    assert document.data == data
    for path in leaf_paths(document.data):
        assert path in document.lines, path
