"""The image's entrypoint and paths, run as an unprivileged user against the sandbox.

There is no Docker engine here, so the image's file system is laid out in a temporary folder:
`etc/deskbridge` (the config, read-only for the user), `var/lib/deskbridge` (the state volume,
the user's), `run/secrets` (secret files), `usr/local/bin` (the scripts the Dockerfile copies)
and `opt/venv/bin/deskbridge` (the command, running a copy of the packages as the wheel installs
them: their Python files only, so that nothing at run time may lean on a file of the source
tree the image does not hold). The environment is the Dockerfile's own ENV with those paths
moved into the folder. As root (CI), the commands run as `nobody` through setpriv; as anyone
else, as that user.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from prometheus_client import CollectorRegistry

from jobs.demo import write_config
from jobs.health import HealthServer
from jobs.metrics import Metrics
from jobs.sync import EXIT_FAILED, EXIT_INVALID, EXIT_OK, EXIT_PARTIAL
from mappings.config import Schedule
from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer
from tests.test_container import ROOT, copied, env_of, final_stage, only

IMAGE_PATHS = ("/opt/venv", "/var/lib/deskbridge", "/etc/deskbridge", "/run/secrets")
BASE_PATH = "/usr/local/bin:/usr/bin:/bin"  # the python base image's PATH
SECRETS = {
    "zendesk_token": ("env:ZENDESK_TOKEN", "sandbox-token"),
    "mailchimp_api_key": ("env:MAILCHIMP_API_KEY", "sandbox-us1"),
    "surveymonkey_token": ("env:SURVEYMONKEY_TOKEN", "sandbox-token"),
}
POSTGRES_PASSWORD = "a-long-sandbox-password"


def packages() -> list[str]:
    """The packages `pip install .` puts in the image: pyproject's `packages.find` includes."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]
    # Without package data (or a MANIFEST.in, which .dockerignore would leave out anyway) the
    # wheel holds the packages' Python files and nothing else; `_lay_out` copies just those.
    assert "package-data" not in setuptools, "the image now holds package data: lay it out too"
    return [pattern.removesuffix("*") for pattern in setuptools["packages"]["find"]["include"]]


@dataclass(frozen=True)
class RunAs:
    """How to run a command as the unprivileged user."""

    prefix: tuple[str, ...]
    uid: int
    gid: int


@pytest.fixture(scope="module")
def run_as() -> RunAs:
    if os.geteuid() != 0:
        return RunAs((), os.geteuid(), os.getegid())
    nobody = pwd.getpwnam("nobody")
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot drop privileges to test as non-root")
    prefix = (
        setpriv,
        f"--reuid={nobody.pw_uid}",
        f"--regid={nobody.pw_gid}",
        "--clear-groups",
    )
    probe = subprocess.run([*prefix, "id", "-u"], capture_output=True, text=True, check=False)
    if probe.returncode != 0 or probe.stdout.strip() != str(nobody.pw_uid):
        pytest.skip(f"cannot drop privileges with setpriv here: {probe.stderr.strip()}")
    return RunAs(prefix, nobody.pw_uid, nobody.pw_gid)


class Image:
    """The image's file system in a folder, and its environment moved there."""

    def __init__(self, root: Path, run_as: RunAs, python: str) -> None:
        self.root = root
        self.run_as = run_as
        self.python = python

    def at(self, image_path: str) -> Path:
        return self.root / image_path.lstrip("/")

    @property
    def state(self) -> Path:
        return self.at("/var/lib/deskbridge")

    @property
    def config(self) -> Path:
        return self.at("/etc/deskbridge/config.toml")

    def environment(self) -> dict[str, str]:
        env: dict[str, str] = {}
        for name, value in env_of(final_stage()).items():
            value = value.replace(
                "$PATH", BASE_PATH.replace("/usr/local", str(self.at("/usr/local")))
            )
            for image_path in IMAGE_PATHS:
                value = value.replace(image_path, str(self.at(image_path)))
            env[name] = value
        site_packages = sysconfig.get_paths()["purelib"]
        env["PYTHONPATH"] = f"{self.at('/opt/app')}:{site_packages}"
        env["HOME"] = str(self.state)
        env["DESKBRIDGE_TEST_PYTHON"] = self.python  # what opt/venv/bin/deskbridge runs
        return env

    def run(
        self, *command: str, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`docker run [-e NAME=VALUE] IMAGE command...`: the ENTRYPOINT with the command, as
        the image's user."""
        entrypoint = only(final_stage(), "ENTRYPOINT").exec_form()
        return subprocess.run(
            [*self.run_as.prefix, *entrypoint, *command],
            env={**self.environment(), **(env or {})},
            cwd=self.state,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def start(self, *command: str, env: Mapping[str, str]) -> subprocess.Popen[str]:
        """`docker run -d IMAGE command...`, or the image's CMD when no command is given."""
        entrypoint = only(final_stage(), "ENTRYPOINT").exec_form()
        command = command or tuple(only(final_stage(), "CMD").exec_form())
        return subprocess.Popen(
            [*self.run_as.prefix, *entrypoint, *command],
            env={**self.environment(), **env},
            cwd=self.state,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def healthcheck(self, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
        """The HEALTHCHECK's command, as Docker runs it inside the container."""
        health = only(final_stage(), "HEALTHCHECK").arguments
        command = json.loads(health.split("CMD", 1)[1])
        return subprocess.run(
            [*self.run_as.prefix, *command],
            env={**self.environment(), **env},
            cwd=self.state,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )


def _set_mode(path: Path | str, mode: int) -> None:
    """chmod, in one place: ruff flags literal open modes, which these tests need."""
    os.chmod(path, mode)


def _readable_tree(path: Path) -> None:
    for folder, _dirs, files in os.walk(path):
        _set_mode(folder, 0o755)
        for name in files:
            _set_mode(Path(folder) / name, 0o644)


def _lay_out(root: Path, run_as: RunAs) -> None:
    """The folders and files the Dockerfile makes and copies."""
    _set_mode(root, 0o755)
    for source, (destination, options) in copied(final_stage()).items():
        target = root / destination.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / source, target)
        _set_mode(target, int(options.get("chmod", "0644"), 8))
    for package in packages():
        for module in (ROOT / package).rglob("*.py"):
            installed = root / "opt/app" / module.relative_to(ROOT)
            installed.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(module, installed)
    _readable_tree(root / "opt/app")
    bin_folder = root / "opt/venv/bin"
    bin_folder.mkdir(parents=True)
    # The console script pip installs, with this interpreter.
    (bin_folder / "deskbridge").write_text(
        '#!/bin/sh\nexec "$DESKBRIDGE_TEST_PYTHON" -c '
        '"import sys; from jobs.cli import main; sys.exit(main())" "$@"\n'
    )
    _set_mode(bin_folder / "deskbridge", 0o755)
    for folder in ("etc/deskbridge", "run/secrets", "var/lib/deskbridge"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    os.chown(root / "var/lib/deskbridge", run_as.uid, run_as.gid)


def _usable_python(root: Path, run_as: RunAs, env: dict[str, str]) -> str | None:
    """An interpreter the user can run the copied packages with (the venv's may live in a
    folder only its owner can enter)."""
    candidates = [sys.executable, shutil.which(f"python3.{sys.version_info.minor}", path=BASE_PATH)]
    probe = "import jobs.cli, pydantic_core, sqlalchemy; print(jobs.cli.__file__)"
    for python in filter(None, candidates):
        done = subprocess.run(  # through a shell, as the console script runs it
            [*run_as.prefix, "/bin/sh", "-c", 'exec "$0" -c "$1"', python, probe],
            env=env,
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode == 0 and done.stdout.strip().startswith(str(root / "opt/app")):
            return python
    return None


@pytest.fixture
def image(run_as: RunAs) -> Iterator[Image]:
    # Not pytest's tmp_path: its parent folders are open to their owner only.
    root = Path(tempfile.mkdtemp(prefix="deskbridge-image-"))
    try:
        _lay_out(root, run_as)
        partial = Image(root, run_as, "")
        python = _usable_python(root, run_as, partial.environment())
        if python is None:
            pytest.skip("no Python interpreter the unprivileged user may run with the packages")
        yield Image(root, run_as, python)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def write_image_config(
    image: Image, sandbox_url: str, *, secret_files: bool = True, csv_in_state: bool = False
) -> None:
    """The example config for the sandbox, its secrets read from files as Docker mounts them
    (else from the environment, `-e NAME`); with `csv_in_state`, its CSV files written into the
    state volume, as README.md tells admins to (the config folder is mounted read-only)."""
    folder = image.config.parent
    write_config(folder, sandbox_url)
    for path in [image.config, *folder.glob("mappings/recipes/*.toml")]:
        text = path.read_text(encoding="utf-8")
        if csv_in_state:
            text = text.replace('path = "exports/', f'path = "{image.state}/exports/')
        for name, (reference, value) in SECRETS.items():
            if secret_files:
                secret = image.at("/run/secrets") / name
                secret.write_text(value + "\n", encoding="utf-8")
                _set_mode(secret, 0o444)
                text = text.replace(f'"{reference}"', f'"file:{secret}"')
        path.write_text(text, encoding="utf-8")
    _readable_tree(folder)


def secrets_environment() -> dict[str, str]:
    """`-e ZENDESK_TOKEN=...` and the others, for a config that reads `env:` secrets."""
    return {reference.removeprefix("env:"): value for reference, value in SECRETS.values()}


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def written_since(before: dict[Path, float], root: Path) -> list[Path]:
    return [path for path, mtime in files_under(root).items() if before.get(path) != mtime]


def files_under(root: Path) -> dict[Path, float]:
    return {path: path.stat().st_mtime for path in root.rglob("*") if path.is_file()}


@pytest.fixture(scope="module")
def small_sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(users=150, seed=6, rate_limits="off")) as server:
        yield server


# --- the run ------------------------------------------------------------------------------------


@pytest.mark.parametrize("secret_files", [True, False], ids=["secret-files", "secret-variables"])
def test_a_dry_run_works_as_the_unprivileged_user_and_writes_only_the_state_folder(
    image: Image, small_sandbox: SandboxServer, secret_files: bool
) -> None:
    write_image_config(image, small_sandbox.url, secret_files=secret_files)
    before = files_under(image.root)

    done = image.run(
        "deskbridge", "sync", "--dry-run", env={} if secret_files else secrets_environment()
    )

    assert done.returncode == EXIT_OK, done.stdout + done.stderr
    assert "dry run: nothing was written" in done.stdout
    database = image.state / "deskbridge-state.db"
    assert database.is_file() and database.stat().st_uid == image.run_as.uid
    written = written_since(before, image.root)
    assert written and all(path.is_relative_to(image.state) for path in written), written
    for _reference, value in SECRETS.values():
        assert value not in done.stdout + done.stderr


def test_a_sync_writes_its_csv_files_into_the_state_volume_and_nowhere_else(image: Image) -> None:
    with SandboxServer(SandboxConfig(users=150, seed=7, rate_limits="off")) as sandbox:
        write_image_config(image, sandbox.url, csv_in_state=True)
        before = files_under(image.root)

        done = image.run("deskbridge", "sync")

    assert done.returncode in (EXIT_OK, EXIT_PARTIAL), done.stdout + done.stderr
    exports = sorted((image.state / "exports").glob("*.csv"))
    assert exports and all(path.stat().st_uid == image.run_as.uid for path in exports)
    assert not (image.config.parent / "exports").exists()
    written = written_since(before, image.root)
    assert all(path.is_relative_to(image.state) for path in written), written


def test_the_default_command_serves_the_healthcheck_and_stops_on_sigterm(
    image: Image, small_sandbox: SandboxServer
) -> None:
    write_image_config(image, small_sandbox.url)
    # The image listens on 0.0.0.0; the test keeps to loopback, which the healthcheck calls.
    env = {"DESKBRIDGE_HEALTH__HOST": "127.0.0.1", "DESKBRIDGE_HEALTH__PORT": str(free_port())}
    service = image.start(env=env)  # `docker run IMAGE`: the CMD, `deskbridge run`
    try:
        deadline = time.monotonic() + 60
        check = image.healthcheck(env)
        while check.returncode != 0 and service.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
            check = image.healthcheck(env)
        assert check.returncode == 0, check.stdout + check.stderr
        assert check.stdout.strip().endswith("/healthz: 200")

        service.send_signal(signal.SIGTERM)  # `docker stop`
        out, err = service.communicate(timeout=Schedule().stop_timeout + 15)
    finally:
        if service.poll() is None:
            service.kill()
            service.communicate()
    assert service.returncode == EXIT_OK, out + err
    assert '"event": "stopped"' in out + err
    assert image.healthcheck(env).returncode == 1


def test_a_postgresql_state_store_needs_no_state_folder_and_its_password_stays_hidden(
    image: Image, small_sandbox: SandboxServer
) -> None:
    write_image_config(image, small_sandbox.url)
    if os.geteuid() == 0:
        os.chown(image.state, 0, 0)
    _set_mode(image.state, 0o555)  # no volume to write: the state is in PostgreSQL
    password = image.at("/run/secrets") / "postgres_password"
    password.write_text(POSTGRES_PASSWORD + "\n", encoding="utf-8")
    _set_mode(password, 0o444)
    port = free_port()  # nothing listens there: the entrypoint lets the command say so
    url = f"postgresql+psycopg://deskbridge@127.0.0.1:{port}/deskbridge"

    done = image.run(
        "deskbridge",
        "runs",
        env={"DESKBRIDGE_STATE__URL": url, "DESKBRIDGE_STATE__PASSWORD": f"file:{password}"},
    )

    output = done.stdout + done.stderr
    assert done.returncode == EXIT_FAILED, output
    assert "deskbridge-entrypoint" not in output
    hidden = f"postgresql+psycopg://deskbridge:***@127.0.0.1:{port}/deskbridge"
    assert f"cannot open the state store {hidden}" in output
    assert POSTGRES_PASSWORD not in output


@pytest.mark.parametrize(
    ("unwritable", "query"),
    [("folder", ""), ("database", ""), ("database", "?timeout=20")],
    ids=["folder", "database-file", "database-file-of-a-url-with-a-query"],
)
def test_a_state_folder_the_user_cannot_write_is_refused_with_what_to_do(
    image: Image, unwritable: str, query: str
) -> None:
    image.config.write_text("", encoding="utf-8")
    _set_mode(image.config, 0o644)
    if unwritable == "folder":
        if os.geteuid() == 0:
            os.chown(image.state, 0, 0)
        _set_mode(image.state, 0o555)
    else:  # a database file left by another user (an image run as root, say)
        database = image.state / "deskbridge-state.db"
        database.write_bytes(b"")
        _set_mode(database, 0o444)
    url = image.environment()["DESKBRIDGE_STATE__URL"] + query

    done = image.run("deskbridge", "sync", "--dry-run", env={"DESKBRIDGE_STATE__URL": url})

    assert done.returncode == EXIT_INVALID, done.stdout + done.stderr
    assert (
        f"the state folder {image.state} is not writable by uid {image.run_as.uid}" in done.stderr
    )
    assert "chown" in done.stderr and "-v deskbridge-state:" in done.stderr


def test_a_missing_config_is_refused_with_where_to_mount_it(image: Image) -> None:
    done = image.run("deskbridge", "run")

    assert done.returncode == EXIT_INVALID
    assert f"no config file at {image.config}" in done.stderr
    assert "/etc/deskbridge:ro" in done.stderr


def test_a_config_the_user_cannot_read_is_refused(image: Image) -> None:
    image.config.write_text("", encoding="utf-8")
    _set_mode(image.config, 0o600 if os.geteuid() == 0 else 0o000)

    done = image.run("deskbridge", "validate")

    assert done.returncode == EXIT_INVALID
    assert (
        f"the config file {image.config} is not readable by uid {image.run_as.uid}" in done.stderr
    )


def test_a_secret_file_the_user_cannot_read_is_named(
    image: Image, small_sandbox: SandboxServer
) -> None:
    write_image_config(image, small_sandbox.url)
    secret = image.at("/run/secrets") / "zendesk_token"
    _set_mode(secret, 0o600 if os.geteuid() == 0 else 0o000)

    done = image.run("deskbridge", "sync", "--dry-run")

    assert done.returncode == EXIT_INVALID, done.stdout + done.stderr
    assert f"cannot read the secret file {secret}: Permission denied" in done.stdout
    assert "sandbox-token" not in done.stdout + done.stderr


def test_commands_without_a_config_pass_through_the_entrypoint(image: Image) -> None:
    done = image.run("deskbridge", "--version")

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("deskbridge ")
    assert not (image.state / "deskbridge-state.db").exists()


def test_the_entrypoint_execs_the_command_so_it_receives_the_signals(image: Image) -> None:
    done = image.run("sh", "-c", 'echo "$PPID"')
    # `exec` leaves no shell in between: the command's parent is what started the entrypoint.
    assert done.returncode == 0 and done.stdout.strip() == str(os.getpid())
    script = (ROOT / "docker" / "entrypoint.sh").read_text(encoding="utf-8")
    assert script.rstrip().endswith('exec "$@"')
    assert stat.S_IMODE(image.at("/usr/local/bin/deskbridge-entrypoint").stat().st_mode) == 0o755


# --- the health check ---------------------------------------------------------------------------


class _Checks:
    def __init__(self, alive: bool) -> None:
        self.is_alive = alive

    def alive(self) -> tuple[bool, str]:
        return self.is_alive, "scheduler running" if self.is_alive else "scheduler stopped"

    def ready(self) -> tuple[bool, dict[str, str]]:
        return True, {}


def healthcheck(port: int | str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": BASE_PATH, "DESKBRIDGE_HEALTH__PORT": str(port)}
    return subprocess.run(
        [sys.executable, str(ROOT / "docker" / "healthcheck.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(("alive", "code"), [(True, 0), (False, 1)], ids=["alive", "stopped"])
def test_the_healthcheck_follows_healthz_of_the_health_server(alive: bool, code: int) -> None:
    server = HealthServer("127.0.0.1", 0, _Checks(alive), Metrics(CollectorRegistry()))
    server.start()
    port = server.port
    try:
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).ok is alive
        done = healthcheck(port)
    finally:
        server.stop()
    assert done.returncode == code, done.stdout + done.stderr
    assert f"127.0.0.1:{port}/healthz: {200 if alive else 503}" in done.stdout + done.stderr


def test_the_healthcheck_fails_when_nothing_answers() -> None:
    server = HealthServer("127.0.0.1", 0, _Checks(True), Metrics(CollectorRegistry()))
    server.start()
    port = server.port
    server.stop()

    done = healthcheck(port)

    assert done.returncode == 1 and "no answer" in done.stderr


def test_the_healthcheck_refuses_a_port_that_is_not_a_number() -> None:
    done = healthcheck("http")
    assert done.returncode == 1 and "not a port number" in done.stderr
