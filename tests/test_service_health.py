"""What /healthz and /readyz of `deskbridge run` say: the scheduler alive; the config valid, the
store answering and not too many failed runs in a row."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, make_url

from jobs.service_health import ServiceHealth, ServiceState, SyncHealth
from jobs.state import StateStore
from mappings.config import Config


def config(state_url: str, failed_runs: int = 3, **state: Any) -> Config:
    return Config.model_validate(
        {
            "zendesk": {"subdomain": "acme", "email": "a@acme.example", "token": "env:T"},
            "state": {"url": state_url, **state},
            "health": {"failed_runs": failed_runs},
        },
        context={"env": {"T": "t", "DB_PASSWORD": "s3cret-pw"}, "read_file": str},
    )


@pytest.fixture
def healthy(tmp_path: Path) -> ServiceState:
    return ServiceState(config("sqlite:///state.db"), tmp_path, None, 0)


def checks(state: ServiceState, alive: bool = True) -> ServiceHealth:
    return ServiceHealth(lambda: alive, lambda: state)


def test_a_running_scheduler_with_a_valid_config_and_store_is_alive_and_ready(
    healthy: ServiceState,
) -> None:
    health = checks(healthy)
    assert health.alive() == (True, "the scheduler runs")
    assert health.ready() == (True, {"config": "ok", "store": "ok", "runs": "ok"})
    assert (healthy.base_dir / "state.db").exists()  # relative to the config's folder


def test_a_dead_scheduler_is_not_alive(healthy: ServiceState) -> None:
    assert checks(healthy, alive=False).alive() == (False, "the scheduler has stopped")


def test_a_refused_config_makes_it_not_ready_saying_why(healthy: ServiceState) -> None:
    ready, found = checks(replace(healthy, refused="1 problem in the config: ...")).ready()
    assert not ready
    assert found["config"] == "refused: 1 problem in the config: ..."
    assert found["store"] == "ok"


def test_failed_runs_in_a_row_make_it_not_ready_at_the_threshold(healthy: ServiceState) -> None:
    two = replace(healthy, config=config("sqlite:///state.db", failed_runs=3), failed_in_a_row=2)
    assert checks(two).ready()[0]
    ready, found = checks(replace(two, failed_in_a_row=3)).ready()
    assert not ready
    assert found["runs"] == "the last 3 runs failed"


def test_an_unreachable_store_makes_it_not_ready_without_its_password(
    healthy: ServiceState,
) -> None:
    url = "postgresql+psycopg://deskbridge@127.0.0.1:1/deskbridge"
    state = replace(healthy, config=config(url, password="env:DB_PASSWORD"))
    ready, found = checks(state).ready()
    assert not ready
    assert "127.0.0.1:1" in found["store"]
    assert "s3cret-pw" not in found["store"]


def test_a_changed_store_url_is_probed_afresh(healthy: ServiceState, tmp_path: Path) -> None:
    health = checks(healthy)
    assert health.ready()[0]
    moved = replace(healthy, config=config("sqlite:///moved/other.db"))
    health.state = lambda: moved
    assert health.ready()[0]
    assert (tmp_path / "moved" / "other.db").exists()


def test_a_one_shot_sync_is_alive_and_ready_while_its_store_answers(tmp_path: Path) -> None:
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        health = SyncHealth(store)
        assert health.alive()[0]
        assert health.ready() == (True, {"config": "ok", "store": "ok"})
    finally:
        store.close()


def test_a_one_shot_sync_whose_store_stops_answering_is_not_ready() -> None:
    url = make_url("postgresql+psycopg://deskbridge:s3cret-pw@127.0.0.1:1/deskbridge")
    store = StateStore(create_engine(url), url)  # as if the server went away after opening
    try:
        ready, found = SyncHealth(store).ready()
    finally:
        store.close()
    assert not ready
    assert found["store"].startswith("the state store postgresql+psycopg://deskbridge:***@")
    assert "does not answer" in found["store"]
    assert "s3cret-pw" not in found["store"]
