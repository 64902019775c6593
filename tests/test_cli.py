"""The `deskbridge` command: help, version, and the sandbox in the foreground."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from importlib.metadata import version

import pytest
import requests

from jobs.cli import main

DESKBRIDGE = [sys.executable, "-m", "jobs.cli"]


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "demo" in out and "sandbox" in out


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"deskbridge {version('deskbridge')}"


def test_a_bad_faults_spec_exits_2_saying_what_is_wrong(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "serve", "--faults", "zendesk:5OO=0.1"]) == 2
    assert "unknown fault kind '5OO'" in capsys.readouterr().err


def test_sandbox_serve_answers_on_a_free_port_and_stops_on_sigterm() -> None:
    with subprocess.Popen(
        [*DESKBRIDGE, "sandbox", "serve", "--port", "0", "--users", "50", "--seed", "3"],
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            banner = process.stdout.readline()
            found = re.search(r"http://127\.0\.0\.1:(\d+)", banner)
            assert found, banner
            index = requests.get(f"{found.group(0)}/_sandbox/", timeout=30).json()
            assert index["seeding"]["users"] == 50 and index["seeding"]["seed"] == 3
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=20) == 0
            assert "sandbox stopped" in process.stdout.read()
        finally:
            if process.poll() is None:
                process.kill()


def test_a_reader_that_stops_early_ends_the_command_quietly() -> None:
    """`deskbridge lists --members | head`: no traceback, the shell's code for SIGPIPE."""
    code = (
        "import sys\n"
        "from jobs import cli\n"
        "cli._command = lambda args: print('member@example.org\\n' * 200_000) or 0\n"
        "sys.exit(cli.main(['runs']))\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.read(10)
        process.stdout.close()
        assert process.wait(timeout=60) == 141
        assert process.stderr.read() == b""
