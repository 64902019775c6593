"""The service keeps the text of the last valid config, so it can go on with it after the file
on disk has changed into something invalid."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs.service_config import ConfigFiles
from mappings.problems import ConfigError

MAIN = """
include = ["more/*.toml"]
[zendesk]
subdomain = "acme"
email = "admin@acme.example"
token = "file:{secret}"
[[schedule.jobs]]
name = "incremental"
every = "{every}"
"""
RULE = """
[[rules]]
name = "Tag VIPs"
conditions.all = [{ field = "tags", operator = "includes", value = "vip" }]
actions = [{ field = "add_tags", value = "valued" }]
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "rules.toml").write_text(RULE, encoding="utf-8")
    (tmp_path / "token").write_text("the-secret-token\n", encoding="utf-8")
    write_main(tmp_path, "15m")
    return tmp_path


def write_main(folder: Path, every: str) -> str:
    path = folder / "config.toml"
    text = MAIN.format(secret=folder / "token", every=every)
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_kept_text_loads_again_after_the_file_changed(folder: Path) -> None:
    files, loaded = ConfigFiles.read(str(folder / "config.toml"))
    assert loaded.config.schedule.jobs[0].every == 15 * 60
    write_main(folder, "not a duration")
    (folder / "more" / "rules.toml").unlink()
    again = files.load()
    assert again.config.schedule.jobs[0].every == 15 * 60
    assert [rule.name for rule in again.config.rules] == ["Tag VIPs"]
    with pytest.raises(ConfigError, match=r"schedule\.jobs\[0\]\.every"):
        ConfigFiles.read(str(folder / "config.toml"))


def test_changed_names_the_files_that_differ(folder: Path) -> None:
    path = str(folder / "config.toml")
    first, _ = ConfigFiles.read(path)
    same, _ = ConfigFiles.read(path)
    assert same.changed_from(first) == []
    write_main(folder, "30m")
    (folder / "more" / "other.toml").write_text("", encoding="utf-8")
    changed, loaded = ConfigFiles.read(path)
    assert loaded.config.schedule.jobs[0].every == 30 * 60
    names = changed.changed_from(first)
    assert path in names
    assert str(folder / "more" / "other.toml") in names
    assert str(folder / "more" / "*.toml") in names  # the include's matches changed
    assert str(folder / "more" / "rules.toml") not in names


def test_the_kept_files_never_show_a_secret(folder: Path) -> None:
    files, loaded = ConfigFiles.read(str(folder / "config.toml"))
    assert loaded.config.zendesk.token.reveal() == "the-secret-token"
    assert "the-secret-token" not in repr(files)
    assert "the-secret-token" not in str(files)
