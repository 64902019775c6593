"""`deskbridge validate` and `deskbridge test` on the example config, with and without a schema."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from jobs.cli import main
from sandbox.server import SandboxServer
from tests.sandbox_helpers import zendesk_get

ROOT = Path(__file__).parent.parent
ENV = {"ZENDESK_TOKEN": "zd", "MAILCHIMP_API_KEY": "mc-us21", "SURVEYMONKEY_TOKEN": "sm"}


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """config.example.toml and the recipes it includes, copied where a test may break them."""
    shutil.copy(ROOT / "config.example.toml", tmp_path / "config.toml")
    shutil.copytree(ROOT / "mappings" / "recipes", tmp_path / "mappings" / "recipes")
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    # validate tries the live schema first: point Zendesk at a closed local port, never at DNS.
    monkeypatch.setenv("DESKBRIDGE_ZENDESK__BASE_URL", "http://127.0.0.1:9")
    return tmp_path / "config.toml"


@pytest.fixture
def schema_file(sandbox: SandboxServer, tmp_path: Path) -> Path:
    """The sandbox's answer to GET /api/v2/user_fields.json, saved as an admin would."""
    path = tmp_path / "user_fields.json"
    path.write_text(json.dumps(zendesk_get(sandbox, "user_fields.json").json()), encoding="utf-8")
    return path


def test_validate_with_the_accounts_schema_says_valid(
    example: Path, schema_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--config", str(example), "--schema", str(schema_file)]) == 0
    out = capsys.readouterr().out
    assert out.strip() == f"{example}: valid — 3 rules, 11 lists, 44 tests"


def test_the_rule_tests_pass_against_the_accounts_schema(
    example: Path, schema_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["test", "--config", str(example), "--schema", str(schema_file)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "44 passed, 0 failed"


def test_without_a_schema_validate_warns_that_user_fields_were_not_checked(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--config", str(example)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith(f"{example}: warning: checked without the Zendesk user-field schema")


def test_a_failing_rule_test_exits_1_and_says_where(
    example: Path, schema_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recipe = example.parent / "mappings" / "recipes" / "vip.toml"
    text = recipe.read_text(encoding="utf-8")
    recipe.write_text(text.replace('value = "vip"', 'value = "vipp"', 1), encoding="utf-8")
    assert main(["test", "--config", str(example), "--schema", str(schema_file)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and f"{recipe}:" in out
    assert "expected in list 'VIP customers', but it is not" in out


def test_an_invalid_config_exits_2_with_every_problem(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = example.read_text(encoding="utf-8")
    text = text.replace('plan = "', 'plan = "x', 1).replace('subdomain = "', 'subdomain = "-', 1)
    example.write_text(text, encoding="utf-8")
    assert main(["test", "--config", str(example)]) == 2
    out = capsys.readouterr().out
    assert out.startswith("2 problems in the config:")
    assert "zendesk.plan" in out and "zendesk.subdomain" in out


def test_validate_refuses_a_cron_the_scheduler_cannot_run_saying_where(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = example.read_text(encoding="utf-8")
    example.write_text(text.replace('cron = "0 3 * * *"', 'cron = "0 3 * * 8"'), "utf-8")
    assert main(["validate", "--config", str(example)]) == 2
    out = capsys.readouterr().out
    assert "config.toml:127: schedule job 'nightly full': cron '0 3 * * 8': day of week" in out
    assert "valid —" not in out


def test_a_schema_file_that_is_not_user_fields_is_refused(
    example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "users.json"
    bad.write_text('{"users": []}', encoding="utf-8")
    assert main(["validate", "--config", str(example), "--schema", str(bad)]) == 2
    assert capsys.readouterr().out.strip() == (
        f"{bad}: expected Zendesk's user_fields answer: "
        '{"user_fields": [{"key": ..., "type": ...}, ...]}'
    )


def test_the_config_path_comes_from_the_environment(
    example: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DESKBRIDGE_CONFIG", str(example))
    assert main(["validate"]) == 0
    assert "valid — 3 rules" in capsys.readouterr().out
