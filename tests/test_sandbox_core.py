"""The sandbox's shared machinery: credentials, faults, the request log, rate-limit windows."""

from __future__ import annotations

import pytest
import requests

from sandbox.clock import Clock
from sandbox.faults import FaultInjector, FaultSpecError, parse_fault_spec
from sandbox.ratelimit import WindowLimit
from sandbox.server import SandboxServer
from tests.conftest import MAILCHIMP_KEY


def test_index_documents_the_credentials(sandbox: SandboxServer) -> None:
    index = requests.get(sandbox.url + "/_sandbox/", timeout=10).json()
    assert index["credentials"]["zendesk"] == {
        "email": "admin@example.com",
        "api_token": "sandbox-token",
    }
    assert index["credentials"]["mailchimp"] == {"api_key": "sandbox-us1"}
    assert index["credentials"]["surveymonkey"] == {"access_token": "sandbox-token"}


@pytest.mark.parametrize(
    ("path", "auth", "headers"),
    [
        ("/api/v2/users/me", ("admin@example.com/token", "wrong"), {}),
        ("/3.0/ping", ("anystring", "wrong-us1"), {}),
        ("/v3/surveys", None, {"Authorization": "Bearer wrong"}),
    ],
    ids=["zendesk", "mailchimp", "surveymonkey"],
)
def test_wrong_credentials_get_401_in_the_vendors_error_shape(
    sandbox: SandboxServer, path: str, auth: tuple[str, str] | None, headers: dict[str, str]
) -> None:
    response = requests.get(sandbox.url + path, auth=auth, headers=headers, timeout=10)
    assert response.status_code == 401
    body = response.json()
    if path.startswith("/api/v2"):
        assert body == {"error": "Couldn't authenticate you"}
    elif path.startswith("/3.0"):
        assert response.headers["Content-Type"].startswith("application/problem+json")
        assert body["status"] == 401 and body["title"] == "API Key Invalid"
    else:
        assert body["error"]["http_status_code"] == 401 and body["error"]["id"] == "1011"


def test_queued_faults_hit_the_next_requests_in_order(sandbox: SandboxServer) -> None:
    requests.post(
        sandbox.url + "/_sandbox/faults",
        json={"queue": {"mailchimp": ["drop", "malformed", "503"]}},
        timeout=10,
    ).raise_for_status()
    ping = sandbox.url + "/3.0/ping"
    auth = ("anystring", MAILCHIMP_KEY)
    with pytest.raises(requests.ConnectionError):
        requests.get(ping, auth=auth, timeout=10)
    broken = requests.get(ping, auth=auth, timeout=10)
    assert broken.status_code == 200
    with pytest.raises(requests.JSONDecodeError):
        broken.json()
    unavailable = requests.get(ping, auth=auth, timeout=10)
    assert unavailable.status_code == 503 and unavailable.headers["Retry-After"] == "1"
    assert requests.get(ping, auth=auth, timeout=10).status_code == 200

    log = requests.get(sandbox.url + "/_sandbox/requests", timeout=10).json()["requests"]
    assert [(e["fault"], e["status"]) for e in log] == [
        ("drop", 0),
        ("malformed", 200),
        ("503", 503),
        (None, 200),
    ]


def test_fault_rates_are_reproducible_from_the_seed() -> None:
    plan = parse_fault_spec("zendesk:503=0.2,zendesk:429=0.1,all:drop=0.05")
    one, two = FaultInjector(7, plan), FaultInjector(7, plan)
    first = [one.decide("zendesk") for _ in range(500)]
    assert first == [two.decide("zendesk") for _ in range(500)]
    assert 60 < first.count("503") < 140
    assert 20 < first.count("429") < 80
    assert first != [FaultInjector(8, plan).decide("zendesk") for _ in range(500)]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("zendesk:5O3=0.1", "unknown fault kind '5O3'"),
        ("zendsk:503=0.1", "unknown service 'zendsk'"),
        ("zendesk:503=1.5", "outside 0.0..1.0"),
        ("zendesk:503=0.7,zendesk:429=0.7", "add up to more than 1"),
        ("zendesk", "expected SERVICE:KIND=RATE"),
    ],
)
def test_bad_fault_specs_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(FaultSpecError, match=message):
        parse_fault_spec(spec)


def test_window_limit_counts_down_and_reopens_after_the_scaled_minute() -> None:
    now = [0.0]
    clock = Clock(scale=60, monotonic=lambda: now[0])
    limit = WindowLimit(3, 60, clock)
    assert [limit.take().remaining for _ in range(3)] == [2, 1, 0]
    refused = limit.take()
    assert not refused.allowed and refused.retry_after == "1"
    now[0] = 1.0  # one real second is a virtual minute at scale 60
    assert limit.take().allowed


def test_unknown_control_action_lists_the_known_ones(sandbox: SandboxServer) -> None:
    response = requests.post(sandbox.url + "/_sandbox/explode", timeout=10)
    assert response.status_code == 404
    assert "POST /_sandbox/reset" in response.json()["actions"]


def test_seed_replaces_the_customer_base_and_reset_restores_it() -> None:
    from sandbox.config import SandboxConfig
    from tests.sandbox_helpers import control, state

    with SandboxServer(SandboxConfig(users=30, seed=1, rate_limits="off")) as server:
        before = state(server, "zendesk")["users"]
        control(server, "POST", "seed", {"users": 40, "seed": 2})
        reseeded = state(server, "zendesk")["users"]
        assert len(reseeded) == 40 and reseeded[1]["email"] != before[1]["email"]
        control(server, "POST", "mutate", {"count": 3, "kinds": ["zendesk_new_user"]})
        assert len(state(server, "zendesk")["users"]) == 43
        control(server, "POST", "reset")
        assert state(server, "zendesk")["users"] == reseeded


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"zendesk_rmp": 10}, "unknown limit keys ['zendesk_rmp']"),
        ({"time_scale": 0}, "time scale must be positive"),
        ({"rate_limits": "strict"}, "rate limits must be one of realistic, off"),
    ],
)
def test_bad_limits_are_refused_with_the_reason(
    sandbox: SandboxServer, body: dict[str, object], message: str
) -> None:
    response = requests.post(sandbox.url + "/_sandbox/limits", json=body, timeout=10)
    assert response.status_code == 400 and message in response.json()["error"]


@pytest.mark.parametrize(
    ("path", "headers", "service"),
    [
        ("/api/v2/users/me", {}, "zendesk"),
        ("/3.0/ping", {}, "mailchimp"),
        ("/v3/surveys", {"Authorization": "Bearer sandbox-token"}, "surveymonkey"),
    ],
    ids=["zendesk", "mailchimp", "surveymonkey"],
)
def test_an_injected_503_comes_in_the_services_own_error_shape(
    sandbox: SandboxServer, path: str, headers: dict[str, str], service: str
) -> None:
    requests.post(
        sandbox.url + "/_sandbox/faults", json={"spec": f"{service}:503=1"}, timeout=10
    ).raise_for_status()
    response = requests.get(sandbox.url + path, headers=headers, timeout=10)
    assert response.status_code == 503
    body = response.json()
    if service == "zendesk":
        assert set(body) == {"error", "description"}
    elif service == "mailchimp":
        assert response.headers["Content-Type"].startswith("application/problem+json")
        assert body["status"] == 503
    else:
        assert body["error"]["http_status_code"] == 503


def test_a_slow_fault_delays_the_answer(sandbox: SandboxServer) -> None:
    import time

    requests.post(
        sandbox.url + "/_sandbox/faults", json={"spec": "zendesk:slow=1,slow=0.3"}, timeout=10
    ).raise_for_status()
    started = time.perf_counter()
    response = requests.get(
        sandbox.url + "/api/v2/users/me",
        auth=("admin@example.com/token", "sandbox-token"),
        timeout=10,
    )
    assert response.status_code == 200
    assert time.perf_counter() - started >= 0.3
