"""CallStats: answers by status and rate-limit waits, counted by every connector's requests."""

from __future__ import annotations

import pytest
import requests
import responses

from connector.http import CallStats, Edge, JsonApi
from connector.retry import RetryPolicy
from connector.surveymonkey import Invitee
from connector.throttle import Throttle
from connector.zendesk import ZendeskAccount, ZendeskConnector, ZendeskLimits
from tests import surveymonkey_connector_helpers as sm_helpers
from tests.mailchimp_connector_helpers import BASE as MAILCHIMP
from tests.mailchimp_connector_helpers import LIST_ID, LIST_URL, Waits, connector, fixture
from tests.surveymonkey_connector_helpers import (  # noqa: F401
    BULK,
    COLLECTOR,
    MESSAGE,
    FakeTime,
    mocked,
)

ZENDESK = "https://acme.zendesk.com"
USERS = f"{ZENDESK}/api/v2/users/me.json"


def api(time: FakeTime, throttle: Throttle | None = None) -> JsonApi:
    edge = Edge(policy=RetryPolicy(max_attempts=5, max_backoff=2.0), sleep=time.sleep)
    return JsonApi("zendesk", ZENDESK, requests.Session(), edge, throttle)


def test_answers_are_counted_by_status_and_a_retry_after_is_a_rate_limit_wait() -> None:
    time = FakeTime()
    client = api(time)
    with responses.RequestsMock() as rsps:
        rsps.get(USERS, status=429, headers={"Retry-After": "7"}, json={"error": "slow"})
        rsps.get(USERS, status=500, json={"error": "oops"})
        rsps.get(USERS, status=503, json={"error": "busy"})
        rsps.get(USERS, json={"user": {"id": 1}})
        assert client.request("GET", "/api/v2/users/me.json") == {"user": {"id": 1}}
    stats = client.stats
    assert stats.answers_by_status() == {"429": 1, "500": 1, "503": 1, "200": 1}
    assert (stats.requests, stats.retries, stats.throttled) == (4, 3, 1)
    assert len(time.slept) == 3 and time.slept[0] == 7.0
    # Only the 429's wait is the rate limit's: the 5xx backoffs are not.
    assert (stats.rate_limit_waits, stats.rate_limit_wait_seconds) == (1, 7.0)


def test_a_dropped_connection_is_counted_as_error() -> None:
    client = api(FakeTime())
    with responses.RequestsMock() as rsps:
        rsps.get(USERS, body=requests.ConnectionError("connection reset by peer"))
        rsps.get(USERS, json={"user": {"id": 1}})
        client.request("GET", "/api/v2/users/me.json")
    assert client.stats.answers_by_status() == {"error": 1, "200": 1}
    assert client.stats.rate_limit_waits == 0


def test_a_throttle_holding_a_request_back_is_a_rate_limit_wait() -> None:
    time = FakeTime()
    throttle = Throttle(per_minute=2, clock=time.clock, sleep=time.sleep)
    client = api(time, throttle)
    with responses.RequestsMock() as rsps:
        rsps.get(USERS, json={"user": {"id": 1}})
        for _ in range(3):
            client.request("GET", "/api/v2/users/me.json")
    assert time.slept == [60.0]  # the third waits for the minute to pass
    assert (client.stats.rate_limit_waits, client.stats.rate_limit_wait_seconds) == (1, 60.0)
    assert client.stats.answers_by_status() == {"200": 3}


def test_zendesk_counts_the_waits_of_its_export_throttle_too() -> None:
    time = FakeTime()
    zendesk = ZendeskConnector(
        ZendeskAccount("acme", "admin@acme.com", "token-value"),
        requests.Session(),
        Edge(sleep=time.sleep),
        limits=ZendeskLimits(requests_per_minute=100, export_requests_per_minute=1),
        clock=time.clock,
    )
    zendesk.export_throttle.before_request()
    zendesk.export_throttle.before_request()
    assert time.slept == [60.0]
    assert (zendesk.stats.rate_limit_waits, zendesk.stats.rate_limit_wait_seconds) == (1, 60.0)


def test_mailchimp_counts_statuses_drops_and_retry_after_waits() -> None:
    waits = Waits()
    client = connector(waits, max_attempts=5)
    ping = f"{MAILCHIMP}/ping"
    with responses.RequestsMock() as rsps:
        rsps.get(ping, status=429, headers={"Retry-After": "3"}, json={"title": "Too Many"})
        rsps.get(ping, body=requests.ConnectionError("connection reset by peer"))
        rsps.get(ping, status=500, json={"title": "oops"})
        rsps.get(ping, json=fixture("ping.json"))
        rsps.get(LIST_URL, json=fixture("list.json"))
        client.check(LIST_ID)
    stats = client.stats
    assert stats.answers_by_status() == {"429": 1, "error": 1, "500": 1, "200": 2}
    assert (stats.requests, stats.retries, stats.throttled) == (5, 3, 1)
    assert (stats.rate_limit_waits, stats.rate_limit_wait_seconds) == (1, 3.0)
    assert waits.seconds[0] == 3.0


@pytest.mark.usefixtures("mocked")
def test_surveymonkey_counts_a_429_and_its_wait_for_the_minutes_reset() -> None:
    time = sm_helpers.FakeTime()
    limited = sm_helpers.quota(minute_remaining=0, minute_reset=7)
    error = sm_helpers.fixture("error_429.json")
    sm_helpers.reply("POST", BULK, error, status=429, headers=limited)
    sm_helpers.reply("POST", BULK, {"succeeded": [{"id": "1", "email": "a@example.com"}]})
    sm = sm_helpers.connector(time)
    sm.add_recipients(COLLECTOR, MESSAGE, [Invitee("a@example.com")])
    assert sm.stats.answers_by_status() == {"429": 1, "200": 1}
    assert (sm.stats.rate_limit_waits, sm.stats.rate_limit_wait_seconds) == (1, 7.0)


def test_stats_of_separate_connectors_are_separate() -> None:
    first, second = CallStats(), CallStats()
    first.count_answer(200)
    first.count_wait(1.0)
    assert second.answers_by_status() == {} and second.rate_limit_waits == 0
