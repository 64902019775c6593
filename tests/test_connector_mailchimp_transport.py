"""The Mailchimp connector's transport: the client's quirks, retries, classification, secrets."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from typing import Any

import pytest
import requests
import responses

from connector.errors import FatalError, RetriesExhausted
from connector.mailchimp import (
    MailchimpConnector,
    MemberUpdate,
    data_centre,
    default_base_url,
)
from tests.mailchimp_connector_helpers import (
    BASE,
    KEY,
    LIST_ID,
    LIST_URL,
    PROBLEM,
    Waits,
    assert_no_secret,
    connector,
    fixture,
    problem,
)

PING = f"{BASE}/ping"


def ping_ok(rsps: responses.RequestsMock, url: str = PING) -> None:
    rsps.get(url, json=fixture("ping.json"))


def test_requests_go_through_the_callers_session_with_the_key_as_basic_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import mailchimp_marketing.api_client as client_module

    def no_module_level_requests(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the client sent a request without the caller's session")

    for name in ("get", "post", "put", "patch", "delete"):
        monkeypatch.setattr(client_module.requests, name, no_module_level_requests)
    session = requests.Session()
    session.headers["X-Caller"] = "deskbridge-test"
    with responses.RequestsMock() as rsps:
        ping_ok(rsps)
        rsps.get(LIST_URL, json=fixture("list.json"))
        connector(session=session).check(LIST_ID)
        sent = rsps.calls[0].request.headers
    assert sent["X-Caller"] == "deskbridge-test"
    assert (
        sent["Authorization"] == "Basic " + base64.b64encode(f"deskbridge:{KEY}".encode()).decode()
    )


def test_a_base_url_containing_server_is_left_alone() -> None:
    base = "http://mailserver.example.test/3.0"
    list_id = "observer42"  # "server" in the path too
    with responses.RequestsMock() as rsps:
        ping_ok(rsps, f"{base}/ping")
        rsps.get(f"{base}/lists/{list_id}", json={**fixture("list.json"), "id": list_id})
        audience = connector(base_url=base).check(list_id)
        urls = [str(call.request.url) for call in rsps.calls]
    assert audience.id == list_id
    assert urls[0] == f"{base}/ping"
    assert urls[1].startswith(f"{base}/lists/{list_id}?")


RETRIED: list[Any] = [
    pytest.param({"status": 429, "body": b""}, None, id="bodiless-429"),
    pytest.param({"status": 500, "body": b""}, None, id="bodiless-500"),
    pytest.param(
        {"status": 429, "json": problem(429, "Too Many Requests", "slow down"), "headers": {}},
        None,
        id="rate-limited-without-retry-after",
    ),
    pytest.param(
        {
            "status": 429,
            "json": problem(429, "Too Many Requests", "slow down"),
            "headers": {"Retry-After": "7"},
        },
        7.0,
        id="rate-limited-with-retry-after",
    ),
    pytest.param(
        {"status": 503, "json": problem(503, "Service Unavailable", "later")},
        None,
        id="service-unavailable",
    ),
    pytest.param(
        {"status": 502, "body": "<html>Bad Gateway</html>", "content_type": "text/html"},
        None,
        id="bad-gateway-html",
    ),
    pytest.param(
        {"body": requests.ConnectionError("connection reset by peer")}, None, id="dropped"
    ),
    pytest.param(
        {"status": 200, "body": '{"health_st', "content_type": "application/json"},
        None,
        id="cut-off-json-body",
    ),
]


@pytest.mark.parametrize(("failure", "expected_wait"), RETRIED)
def test_a_transient_failure_is_retried_then_succeeds(
    failure: dict[str, Any], expected_wait: float | None
) -> None:
    waits = Waits()
    with responses.RequestsMock() as rsps:
        rsps.get(PING, **failure)
        ping_ok(rsps)
        rsps.get(LIST_URL, json=fixture("list.json"))
        audience = connector(waits).check(LIST_ID)
    assert audience.name == "Retail Customers"
    assert len(waits.seconds) == 1
    if expected_wait is not None:
        assert waits.seconds == [expected_wait]
    else:
        assert 0 <= waits.seconds[0] <= 4.0


def test_a_bodiless_429_counts_as_throttled() -> None:
    client = connector()
    with responses.RequestsMock() as rsps:
        rsps.get(PING, status=429, body=b"")
        ping_ok(rsps)
        rsps.get(LIST_URL, json=fixture("list.json"))
        client.check(LIST_ID)
    assert (client.stats.requests, client.stats.retries, client.stats.throttled) == (3, 1, 1)


def test_retries_exhausted_names_the_call_the_status_and_the_attempts() -> None:
    waits = Waits()
    with responses.RequestsMock() as rsps:
        rsps.get(PING, status=503, json=problem(503, "Service Unavailable", "down for a bit"))
        with pytest.raises(RetriesExhausted) as raised:
            connector(waits, max_attempts=4).check(LIST_ID)
        assert len(rsps.calls) == 4
    error = raised.value
    assert (error.status, error.attempts, len(waits.seconds)) == (503, 4, 3)
    assert "GET /3.0/ping answered 503" in str(error)
    assert "down for a bit" in str(error) and "gave up after 4 attempts" in str(error)
    assert_no_secret(error)


def test_a_problem_json_400_is_fatal_with_its_detail_and_without_the_key() -> None:
    waits = Waits()
    with responses.RequestsMock() as rsps:
        rsps.get(
            f"{LIST_URL}/members",
            status=400,
            json=fixture("problem_400_merge_fields.json"),
            headers=PROBLEM,
        )
        with pytest.raises(FatalError) as raised:
            list(connector(waits).members(LIST_ID))
        assert len(rsps.calls) == 1
    error = raised.value
    assert error.status == 400 and waits.seconds == []
    assert "Invalid Resource" in error.detail and "Your merge fields were invalid." in error.detail
    assert "merge_fields.BIRTHDAY: Please enter a birthday" in error.detail
    assert_no_secret(error)


def test_a_bad_key_is_a_fatal_401_at_once() -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(PING, status=401, json=fixture("problem_401.json"), headers=PROBLEM)
        with pytest.raises(FatalError) as raised:
            connector().check(LIST_ID)
        assert len(rsps.calls) == 1
    assert raised.value.status == 401 and "API Key Invalid" in str(raised.value)
    assert_no_secret(raised.value)


def test_a_call_that_creates_is_not_retried_after_a_server_error() -> None:
    """A failed POST of a new segment may have happened: it is looked up again, not resent."""
    waits = Waits()
    with responses.RequestsMock() as rsps:
        rsps.get(f"{LIST_URL}/segments", json={"segments": [], "total_items": 0})
        rsps.post(f"{LIST_URL}/segments", status=500, body=b"")
        rsps.get(
            f"{LIST_URL}/segments",
            json={"segments": [fixture("segment_created.json")], "total_items": 1},
        )
        tag = connector(waits).ensure_tag(LIST_ID, "Spring Sale")
        methods = [call.request.method for call in rsps.calls]
    assert methods == ["GET", "POST", "GET"]
    assert tag.id == 10006 and len(waits.seconds) == 1


SECRET_FAILURES: list[Any] = [
    pytest.param({"status": 401, "json": fixture("problem_401.json")}, id="refused-key"),
    pytest.param({"body": requests.ConnectionError(f"refused (key {KEY})")}, id="dropped"),
    pytest.param({"status": 503, "body": b""}, id="retries-exhausted"),
    pytest.param({"status": 200, "body": "{", "content_type": "application/json"}, id="broken"),
]


@pytest.mark.parametrize("failure", SECRET_FAILURES)
def test_the_key_is_in_no_error_text(failure: dict[str, Any]) -> None:
    """Even a transport error that quotes the key is cut down to its type and clipped text."""
    client = connector(max_attempts=2)
    with responses.RequestsMock() as rsps:
        rsps.get(PING, **failure)
        with pytest.raises((FatalError, RetriesExhausted)) as raised:
            client.check(LIST_ID)
    assert_no_secret(raised.value, raised.value.__cause__, raised.value.__context__)
    assert_no_secret(client, client.stats)


def test_the_connector_repr_shows_where_not_the_key() -> None:
    client = connector()
    assert repr(client) == f"MailchimpConnector(base_url='{BASE}', max_connections=10)"
    assert_no_secret(client, vars(client))


@pytest.mark.parametrize("wanted", [0, 11, 12, True, 2.5], ids=str)
def test_more_than_ten_connections_is_refused(wanted: Any) -> None:
    with pytest.raises(ValueError, match=r"max_connections must be a whole number from 1 to 10"):
        connector(max_connections=wanted)


class InFlight:
    """Counts how many mocked requests are being answered at once, and the most seen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._now = 0
        self.peak = 0

    def hold(self, seconds: float = 0.02) -> None:
        with self._lock:
            self._now += 1
            self.peak = max(self.peak, self._now)
        time.sleep(seconds)
        with self._lock:
            self._now -= 1


def test_no_more_requests_are_in_flight_than_max_connections() -> None:
    in_flight = InFlight()

    def slow_batch(request: Any) -> tuple[int, dict[str, str], str]:
        in_flight.hold()
        sent = json.loads(request.body)["members"]
        created = [{"email_address": m["email_address"], "status": m["status"]} for m in sent]
        body = {"new_members": created, "updated_members": [], "errors": []}
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    members = [MemberUpdate(f"m{n}@example.org") for n in range(3000)]  # 6 batches
    with responses.RequestsMock() as rsps:
        rsps.add_callback(responses.POST, LIST_URL, callback=slow_batch)
        result = connector(max_connections=3).upsert(LIST_ID, members, "subscribed")
        assert len(rsps.calls) == 6
    assert in_flight.peak == 3
    assert len(result.created) == 3000


def test_callers_on_many_threads_share_the_connection_limit() -> None:
    in_flight = InFlight()

    def slow_archive(request: Any) -> tuple[int, dict[str, str], str]:
        in_flight.hold()
        return 204, {}, ""

    client = connector(max_connections=2)
    with responses.RequestsMock() as rsps:
        rsps.add_callback(
            responses.DELETE, re.compile(f"{LIST_URL}/members/[0-9a-f]{{32}}"), slow_archive
        )
        threads = [
            threading.Thread(target=client.archive, args=(LIST_ID, f"m{n}@example.org"))
            for n in range(6)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(rsps.calls) == 6
    assert in_flight.peak == 2


def test_an_api_key_names_its_data_centre() -> None:
    assert data_centre("abc-us19") == "us19"
    assert default_base_url("abc-def-us7") == "https://us7.api.mailchimp.com/3.0"
    with pytest.raises(ValueError, match="no data centre suffix") as raised:
        data_centre("abcdef0123456789")
    assert "abcdef0123456789" not in str(raised.value)


@pytest.mark.parametrize(
    ("key", "base_url", "message"),
    [
        ("", BASE, "API key is empty"),
        (KEY, "us1.api.mailchimp.com/3.0", "base URL must be absolute"),
    ],
    ids=["empty-key", "relative-base-url"],
)
def test_bad_settings_are_refused_clearly(key: str, base_url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MailchimpConnector(key, base_url, requests.Session())
