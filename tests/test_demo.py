"""`deskbridge demo`: the real sync against the embedded sandbox — dry run, sync, incremental."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs.demo import run_demo


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
