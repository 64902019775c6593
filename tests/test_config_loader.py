"""The config loader: every class of problem with its exact message, file and line, all at once."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import Field

from mappings.conditions.problems import Problem
from mappings.loader import (
    ConfigModel,
    check_config,
    load_config,
    load_documents,
    merge,
)
from mappings.problems import ConfigError, ConfigProblem
from mappings.secrets import Secret, SecretError, env_overrides, resolve_secret

FIXTURES = Path(__file__).parent / "fixtures" / "config"
TOKEN = "s3cr3t-token-value"
ENV = {"ZENDESK_TOKEN": TOKEN}

Operator = Literal["is", "is_not", "greater_than", "less_than", "includes"]


class Condition(ConfigModel):
    field: str
    operator: Operator
    value: str | int | float | bool | list[str] | None = None


class Conditions(ConfigModel):
    all: list[Condition] = Field(default_factory=list)
    any: list[Condition] = Field(default_factory=list)


class ListSpec(ConfigModel):
    name: str
    group_by: str | None = None
    conditions: Conditions = Field(default_factory=Conditions)


class Zendesk(ConfigModel):
    subdomain: str
    email: str
    token: Secret
    page_size: int = 1000


class Config(ConfigModel):
    zendesk: Zendesk
    lists: list[ListSpec] = Field(default_factory=list)


ZENDESK = """\
[zendesk]
subdomain = "acme"
email = "admin@acme.test"
token = "env:ZENDESK_TOKEN"
"""


class MemoryFiles:
    """A file system in a dict: what `check_config` reads and globs, with no disk."""

    def __init__(self, files: Mapping[str, str]) -> None:
        self.files = dict(files)

    def read_text(self, name: str) -> str:
        if name not in self.files:
            raise FileNotFoundError(2, "No such file or directory", name)
        return self.files[name]

    def glob(self, pattern: str) -> list[str]:
        return fnmatch.filter(self.files, pattern)


def check(
    files: Mapping[str, str], env: Mapping[str, str] = ENV
) -> tuple[Config | None, list[str]]:
    memory = MemoryFiles(files)
    model, problems = check_config("config.toml", Config, memory.read_text, memory.glob, env)
    return model, [str(problem) for problem in problems]


# --- a good config ---------------------------------------------------------------------------


def test_a_config_with_includes_loads_lists_in_file_order() -> None:
    files = {
        "config.toml": 'include = ["recipes/*.toml"]\n' + ZENDESK + '[[lists]]\nname = "main"\n',
        "recipes/b.toml": '[[lists]]\nname = "b"\n',
        "recipes/a.toml": '[[lists]]\nname = "a"\n',
    }
    model, problems = check(files)
    assert problems == []
    assert model is not None
    assert [spec.name for spec in model.lists] == ["main", "a", "b"]
    assert model.zendesk.token.reveal() == TOKEN


def test_load_config_reads_real_files_and_reports_an_included_files_line() -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(str(FIXTURES / "config.toml"), Config, env=ENV)
    vip = FIXTURES / "recipes" / "vip.toml"
    assert str(raised.value) == (
        "1 problem in the config:\n"
        f"  {vip}:5: lists[2].conditions.any[1].operator: 'greater_then' is not a valid operator"
        " (did you mean 'greater_than'?)"
    )


# --- one test per class of problem -----------------------------------------------------------


def test_unknown_key_says_did_you_mean_and_where() -> None:
    text = ZENDESK.replace("subdomain", "subdomian")
    assert check({"config.toml": text})[1] == [
        "config.toml:1: zendesk.subdomain: required, but not set",
        "config.toml:2: zendesk.subdomian: 'subdomian' is not a known key"
        " (did you mean 'subdomain'?)",
    ]


def test_unknown_key_far_from_any_known_key_lists_the_known_keys() -> None:
    assert check({"config.toml": ZENDESK + "colour = 3\n"})[1] == [
        "config.toml:5: zendesk.colour: 'colour' is not a known key;"
        " known keys here: email, page_size, subdomain, token",
    ]


def test_wrong_type_says_what_was_expected_in_plain_words() -> None:
    assert check({"config.toml": ZENDESK + 'page_size = "lots"\n'})[1] == [
        "config.toml:5: zendesk.page_size: expected a whole number, got text",
    ]


def test_missing_required_key_points_at_its_table() -> None:
    text = "# connections\n" + ZENDESK.replace('email = "admin@acme.test"\n', "")
    assert check({"config.toml": text})[1] == [
        "config.toml:2: zendesk.email: required, but not set",
    ]


def test_bad_literal_says_did_you_mean_at_the_index_it_has_after_merging() -> None:
    files = {
        "config.toml": 'include = ["more.toml"]\n' + ZENDESK + '[[lists]]\nname = "a"\n',
        "more.toml": (
            '[[lists]]\nname = "b"\nconditions.all = [\n'
            '  { field = "tags", operator = "is" },\n'
            '  { field = "spend", operator = "greater_then", value = 1 },\n]\n'
        ),
    }
    assert check(files)[1] == [
        "more.toml:5: lists[1].conditions.all[1].operator: 'greater_then' is not a valid"
        " operator (did you mean 'greater_than'?)",
    ]


def test_bad_literal_far_from_any_choice_lists_the_choices() -> None:
    text = ZENDESK + '[[lists]]\nname = "a"\nconditions.all = [{ field = "x", operator = "zz" }]\n'
    assert check({"config.toml": text})[1] == [
        "config.toml:7: lists[0].conditions.all[0].operator: 'zz' is not a valid operator;"
        " expected one of 'is', 'is_not', 'greater_than', 'less_than', 'includes'",
    ]


def test_syntax_error_names_file_line_and_column() -> None:
    files = {"config.toml": 'include = ["bad.toml"]\n' + ZENDESK, "bad.toml": "[[lists]]\nname =\n"}
    assert check(files)[1] == [
        "bad.toml:2: not valid TOML (column 7): Invalid value",
    ]


def test_missing_include_is_a_problem_at_the_include_line() -> None:
    files = {"config.toml": 'include = ["recipes/*.toml", "extra.toml"]\n' + ZENDESK}
    assert check(files)[1] == [
        "config.toml:1: include[1]: cannot read the included file extra.toml:"
        " No such file or directory",
    ]


def test_missing_main_file_is_a_problem_naming_it() -> None:
    assert check({})[1] == [
        "config.toml: cannot read the file: No such file or directory",
    ]


def test_include_cycle_names_the_chain() -> None:
    files = {
        "config.toml": 'include = ["a.toml"]\n' + ZENDESK,
        "a.toml": 'include = ["b.toml"]\n',
        "b.toml": '\ninclude = ["a.toml"]\n',
    }
    assert check(files)[1] == [
        "b.toml:2: include[0]: include cycle: a.toml -> b.toml -> a.toml",
    ]


def test_same_key_in_two_files_names_both_places() -> None:
    files = {
        "config.toml": 'include = ["more.toml"]\n' + ZENDESK,
        "more.toml": '# more\n[zendesk]\nsubdomain = "other"\n',
    }
    assert check(files)[1] == [
        "more.toml:3: zendesk.subdomain: is already set in config.toml:3; set it in one file only",
    ]


def test_missing_environment_variable_is_named() -> None:
    assert check({"config.toml": ZENDESK}, env={})[1] == [
        "config.toml:4: zendesk.token: the environment variable ZENDESK_TOKEN is not set",
    ]


def test_unreadable_secret_file_is_named() -> None:
    text = ZENDESK.replace("env:ZENDESK_TOKEN", "file:/run/secrets/zendesk")
    assert check({"config.toml": text})[1] == [
        "config.toml:4: zendesk.token: cannot read the secret file /run/secrets/zendesk:"
        " No such file or directory",
    ]


def test_all_problems_come_back_at_once_sorted_by_file_and_line() -> None:
    files = {
        "config.toml": 'include = ["z.toml", "missing.toml"]\n'
        + ZENDESK.replace("email", "emial")
        + "page_size = [1]\n",
        "z.toml": '[[lists]]\nname = 3\nconditions.any = [{ field = "f", operator = "is_nt" }]\n',
    }
    _, problems = check(files, env={})
    assert problems == [
        "config.toml:1: include[1]: cannot read the included file missing.toml:"
        " No such file or directory",
        "config.toml:2: zendesk.email: required, but not set",
        "config.toml:4: zendesk.emial: 'emial' is not a known key (did you mean 'email'?)",
        "config.toml:5: zendesk.token: the environment variable ZENDESK_TOKEN is not set",
        "config.toml:6: zendesk.page_size: expected a whole number, got an array",
        "z.toml:2: lists[0].name: expected text (in quotes), got a whole number",
        "z.toml:3: lists[0].conditions.any[0].operator: 'is_nt' is not a valid operator"
        " (did you mean 'is_not'?)",
    ]


# --- secrets -----------------------------------------------------------------------------------


def test_a_secret_never_shows_its_value() -> None:
    secret = resolve_secret("env:ZENDESK_TOKEN", ENV, MemoryFiles({}).read_text)
    shown = [
        repr(secret),
        str(secret),
        f"{secret}",
        f"{secret:>40}",
        format(secret, ""),
        ascii(secret),
    ]
    assert shown[0] == "Secret('***', from env:ZENDESK_TOKEN)"
    assert all(TOKEN not in text for text in shown)
    assert secret.reveal() == TOKEN


def test_secrets_stay_hidden_in_models_dumps_and_errors() -> None:
    model, _ = check({"config.toml": ZENDESK})
    assert model is not None
    assert TOKEN not in repr(model)
    assert TOKEN not in str(model.model_dump())
    assert TOKEN not in model.model_dump_json()
    assert model.model_copy(deep=True).zendesk.token.reveal() == TOKEN
    text = ZENDESK.replace("env:ZENDESK_TOKEN", TOKEN) + "page_size = []\n"
    with pytest.raises(ConfigError) as raised:
        load_config_from_memory({"config.toml": text})
    assert TOKEN not in str(raised.value)


def load_config_from_memory(files: Mapping[str, str]) -> Config:
    memory = MemoryFiles(files)
    model, problems = check_config("config.toml", Config, memory.read_text, memory.glob, ENV)
    if model is None:
        raise ConfigError(problems)
    return model


def test_a_secret_file_loses_one_trailing_newline() -> None:
    files = MemoryFiles({"/run/secrets/t": "abc\n\n"})
    secret = resolve_secret("file:/run/secrets/t", {}, files.read_text)
    assert secret.reveal() == "abc\n"
    assert repr(secret) == "Secret('***', from file:/run/secrets/t)"


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        pytest.param(
            "env:", "env: needs a variable name, e.g. env:ZENDESK_TOKEN", id="env-no-name"
        ),
        pytest.param("env:EMPTY", "the environment variable EMPTY is empty", id="env-empty"),
        pytest.param("file:/empty", "the secret file /empty is empty", id="file-empty"),
    ],
)
def test_secret_reference_errors_name_the_place(reference: str, message: str) -> None:
    files = MemoryFiles({"/empty": "\n"})
    with pytest.raises(SecretError) as raised:
        resolve_secret(reference, {"EMPTY": ""}, files.read_text)
    assert str(raised.value) == message


def test_an_inline_secret_loads_with_a_warning() -> None:
    text = ZENDESK.replace("env:ZENDESK_TOKEN", TOKEN)
    model, problems = check({"config.toml": text})
    assert model is not None
    assert model.zendesk.token.reveal() == TOKEN
    assert problems == [
        "config.toml:4: warning: zendesk.token: holds a secret inline; write env:NAME or"
        " file:/path instead of the secret itself",
    ]


# --- environment overrides -----------------------------------------------------------------------


def test_environment_overrides_win_over_the_files() -> None:
    env = {**ENV, "DESKBRIDGE_ZENDESK__SUBDOMAIN": "other", "DESKBRIDGE_ZENDESK__PAGE_SIZE": "50"}
    model, problems = check({"config.toml": ZENDESK}, env)
    assert problems == []
    assert model is not None
    assert (model.zendesk.subdomain, model.zendesk.page_size) == ("other", 50)


def test_environment_overrides_can_supply_a_whole_section() -> None:
    env = {
        **ENV,
        "DESKBRIDGE_ZENDESK__SUBDOMAIN": "acme",
        "DESKBRIDGE_ZENDESK__EMAIL": "a@b.test",
        "DESKBRIDGE_ZENDESK__TOKEN": "env:ZENDESK_TOKEN",
        "DESKBRIDGE_CONFIG": "not an override: it has no double underscore",
    }
    model, problems = check({"config.toml": ""}, env)
    assert problems == []
    assert model is not None
    assert model.zendesk.token.reveal() == TOKEN


def test_errors_in_overridden_values_name_the_variable() -> None:
    env = {**ENV, "DESKBRIDGE_ZENDESK__PAGE_SIZE": "lots", "DESKBRIDGE_ZENDESK__SUBDOMIAN": "x"}
    assert check({"config.toml": ZENDESK}, env)[1] == [
        "config.toml:1: zendesk.page_size: expected a whole number, got text"
        " (from the environment variable DESKBRIDGE_ZENDESK__PAGE_SIZE)",
        "config.toml:1: zendesk.subdomian: 'subdomian' is not a known key"
        " (did you mean 'subdomain'?)"
        " (from the environment variable DESKBRIDGE_ZENDESK__SUBDOMIAN)",
    ]


def test_an_override_cannot_replace_a_table_or_go_through_an_array() -> None:
    text = ZENDESK + '[[lists]]\nname = "a"\n'
    env = {**ENV, "DESKBRIDGE_LISTS__NAME": "x", "DESKBRIDGE_ZENDESK": "ignored"}
    env["DESKBRIDGE_X__Y"] = "1"
    assert check({"config.toml": text}, env)[1] == [
        "config.toml:1: x: 'x' is not a known key; known keys here: lists, zendesk"
        " (from the environment variable DESKBRIDGE_X__Y)",
        "config.toml:5: lists: is not a table,"
        " so DESKBRIDGE_LISTS__NAME cannot set a key inside it",
    ]


def test_env_overrides_parse_names_into_paths() -> None:
    env = {"DESKBRIDGE_A__B_C__D": "1", "DESKBRIDGE_A": "2", "OTHER__X": "3", "DESKBRIDGE___X": "4"}
    assert [(o.variable, o.path) for o in env_overrides(env)] == [
        ("DESKBRIDGE_A__B_C__D", ("a", "b_c", "d")),
    ]


# --- the pieces on their own ---------------------------------------------------------------------


def test_merge_maps_every_element_to_its_file_and_line() -> None:
    memory = MemoryFiles(
        {
            "config.toml": 'include = ["b.toml"]\n[[lists]]\nname = "a"\n',
            "b.toml": '\n\n[[lists]]\nname = "b"\ntags = ["x"]\n',
        }
    )
    documents, problems = load_documents("config.toml", memory.read_text, memory.glob)
    merged, merge_problems = merge(documents)
    assert problems == merge_problems == []
    assert merged.data == {"lists": [{"name": "a"}, {"name": "b", "tags": ["x"]}]}
    assert merged.origin_of(("lists", 1, "tags", 0)).file == "b.toml"
    assert merged.origin_of(("lists", 1, "tags", 0)).line == 5
    assert merged.origin_of(("lists", 0, "name")).line == 3


def test_a_condition_problem_is_relocated_into_the_config() -> None:
    problem = Problem("all[2].operator", "'greater_then' is not an operator", "greater_than")
    relocated = ConfigProblem.from_condition(problem, "config.toml", 14, ("lists", 2, "conditions"))
    assert str(relocated) == (
        "config.toml:14: lists[2].conditions.all[2].operator: 'greater_then' is not an operator"
        " (did you mean 'greater_than'?)"
    )


def test_odd_keys_are_quoted_in_paths() -> None:
    problem = ConfigProblem("c.toml", 2, ("zendesk", "api token"), "unknown")
    assert str(problem) == 'c.toml:2: zendesk."api token": unknown'


# --- never crash ---------------------------------------------------------------------------------

FRAGMENTS = st.sampled_from(
    [
        "[zendesk]",
        "[[lists]]",
        "[[zendesk]]",
        "[lists]",
        'subdomain = "acme"',
        'email = "a@b.test"',
        'token = "env:ZENDESK_TOKEN"',
        'token = "file:/nowhere"',
        "token = 3",
        'name = "x"',
        "name = 1979-05-27T07:32:00Z",
        "page_size = 10",
        "page_size = 1.5",
        'include = ["*.toml"]',
        'include = ["other.toml"]',
        "include = 3",
        "include = [3]",
        'conditions.all = [{ field = "a", operator = "greater_then" }]',
        'conditions = { any = [{ field = "a", operator = "is", value = [1, "x"] }] }',
        "lists = 3",
        'zendesk.subdomain = "x"',
        "[lists.conditions]",
        '"odd key" = { a = 1 }',
        "= broken",
    ]
)
TOML_TEXT = st.lists(FRAGMENTS, max_size=12).map("\n".join) | st.text(max_size=80)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(main=TOML_TEXT, other=TOML_TEXT, env_value=st.text(max_size=10))
def test_loading_arbitrary_text_returns_a_model_or_readable_problems(
    main: str, other: str, env_value: str
) -> None:
    files = {"config.toml": main, "other.toml": other}
    env = {**ENV, "DESKBRIDGE_ZENDESK__PAGE_SIZE": env_value}
    model, problems = check(files, env)
    assert all(problem for problem in problems)
    errors = [problem for problem in problems if ": warning:" not in problem]
    assert (model is None) == bool(errors)
    assert all(TOKEN not in problem for problem in problems)
