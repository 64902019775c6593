"""`deskbridge demo`: the real sync against the embedded sandbox — dry run, sync, incremental."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs import demo
from jobs.demo import run_demo
from jobs.sync import EXIT_INVALID


def test_the_demo_runs_a_dry_run_a_sync_and_an_incremental_sync(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run_demo(users=300, seed=3, folder=tmp_path) == 0
    out = capsys.readouterr().out
    assert "1. deskbridge sync --dry-run" in out
    assert "dry run: nothing was written" in out
    assert "2. deskbridge sync" in out and "4. deskbridge sync (incremental)" in out
    assert out.rstrip().endswith(str(tmp_path)) or str(tmp_path) in out.splitlines()[-1]
    assert (tmp_path / "config.toml").is_file()
    assert (tmp_path / "deskbridge-state.db").is_file()
    assert (tmp_path / "exports" / "vip-customers.csv").is_file()


def test_outside_a_source_checkout_the_demo_says_what_it_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(demo, "EXAMPLE", tmp_path / "config.example.toml")

    assert demo.run_demo(folder=tmp_path) == EXIT_INVALID

    err = capsys.readouterr().err
    assert "runs from a source checkout" in err and "config.example.toml not found" in err
