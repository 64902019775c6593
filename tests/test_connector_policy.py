"""The shared edge policy: how failures are classified, retried, throttled and described."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable

import pytest
import requests
import responses

from connector import retry
from connector.errors import (
    FatalError,
    OutcomeUnknown,
    RetriableError,
    RetriesExhausted,
    api_detail,
    classify,
    retry_after_seconds,
    safe_path,
)
from connector.http import Edge, JsonApi
from connector.retry import RetryPolicy
from connector.throttle import SURVEYMONKEY_QUOTA, ZENDESK_QUOTA, Throttle

SECRET = "s3cr3t-token-value"
BASE = "https://acme.zendesk.com"


class Sleeps(list[float]):
    """Stands in for time.sleep: records each wait instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


# --- classification --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (429, RetriableError),
        (500, RetriableError),
        (502, RetriableError),
        (503, RetriableError),
        (400, FatalError),
        (401, FatalError),
        (403, FatalError),
        (404, FatalError),
        (422, FatalError),
    ],
)
def test_429_and_5xx_are_retriable_other_4xx_fatal(status: int, kind: type) -> None:
    error = classify("zendesk", "GET", f"{BASE}/api/v2/users/me.json", status, b"", {})
    assert type(error) is kind


def test_success_is_not_an_error() -> None:
    assert classify("zendesk", "GET", BASE, 200, b"{}", {}) is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"error": "RecordNotFound", "description": "Not found"}', "RecordNotFound — Not found"),
        (
            '{"type": "https://mailchimp.com/developer/", "title": "Invalid Resource", '
            '"status": 400, "detail": "Your merge fields were invalid.", "instance": "x", '
            '"errors": [{"field": "FNAME", "message": "too long"}]}',
            "Invalid Resource — Your merge fields were invalid. — FNAME: too long",
        ),
        (
            '{"error": {"id": "1011", "name": "Authorization Error", "message": "The '
            'authorization token provided was invalid.", "http_status_code": 401}}',
            "1011 Authorization Error: The authorization token provided was invalid.",
        ),
        ("", "no response body"),
        ("<html>Bad Gateway</html>", "<html>Bad Gateway</html>"),
    ],
    ids=["zendesk", "mailchimp-problem-json", "surveymonkey", "bodiless", "html"],
)
def test_the_apis_own_words_are_kept(body: str, expected: str) -> None:
    assert api_detail(body) == expected


def test_secret_query_values_and_user_info_never_reach_the_path() -> None:
    path = safe_path(f"https://user:{SECRET}@x.example/v3/surveys?api_key={SECRET}&page=2")
    assert SECRET not in path
    assert path == "/v3/surveys?api_key=***&page=2"


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("7", 7.0), ("0", 0.0), ("-3", 0.0), ("soon", None), ("", None)],
)
def test_retry_after_in_seconds(header: str, seconds: float | None) -> None:
    assert retry_after_seconds({"Retry-After": header}) == seconds


def test_retry_after_as_an_http_date() -> None:
    now = time.time()
    header = email.utils.formatdate(now + 30, usegmt=True)
    assert retry_after_seconds({"Retry-After": header}, now=now) == pytest.approx(30, abs=1)


# --- retrying ---------------------------------------------------------------------------------


def failing(
    times: int, error: Exception, result: str = "done"
) -> tuple[list[int], Callable[[], str]]:
    calls: list[int] = []

    def attempt() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise error
        return result

    return calls, attempt


def throttled(retry_after: float | None = None) -> RetriableError:
    return RetriableError("zendesk", "GET", "/api/v2/users/me.json", 429, "slow down", retry_after)


def test_retry_after_is_waited_for_exactly() -> None:
    sleeps = Sleeps()
    calls, attempt = failing(2, throttled(retry_after=7))
    assert retry.call(RetryPolicy(), attempt, sleeps) == "done"
    assert sleeps == [7, 7] and len(calls) == 3


def test_a_huge_retry_after_is_clamped() -> None:
    sleeps = Sleeps()
    _calls, attempt = failing(1, throttled(retry_after=86_400))
    retry.call(RetryPolicy(max_retry_after=60, max_total_wait=600), attempt, sleeps)
    assert sleeps == [60]


def test_without_retry_after_the_backoff_grows_with_jitter_and_is_capped() -> None:
    sleeps = Sleeps()
    _calls, attempt = failing(5, throttled())
    policy = RetryPolicy(max_attempts=6, initial_backoff=1, max_backoff=4)
    retry.call(policy, attempt, sleeps)
    assert len(sleeps) == 5 and all(0 <= s <= 4 for s in sleeps)


def test_retries_stop_after_the_attempt_budget_with_the_last_failure() -> None:
    sleeps = Sleeps()
    calls, attempt = failing(10, throttled(retry_after=1))
    with pytest.raises(RetriesExhausted) as gave_up:
        retry.call(RetryPolicy(max_attempts=4), attempt, sleeps)
    assert len(calls) == 4 and sleeps == [1, 1, 1]
    assert gave_up.value.attempts == 4 and gave_up.value.status == 429
    assert "gave up after 4 attempts" in str(gave_up.value)
    assert "/api/v2/users/me.json" in str(gave_up.value)


def test_retries_stop_before_a_wait_would_overrun_the_wait_budget() -> None:
    sleeps = Sleeps()
    calls, attempt = failing(10, throttled(retry_after=30))
    with pytest.raises(RetriesExhausted):
        retry.call(RetryPolicy(max_attempts=10, max_total_wait=70), attempt, sleeps)
    assert sleeps == [30, 30] and len(calls) == 3


def test_fatal_errors_are_not_retried() -> None:
    sleeps = Sleeps()
    calls, attempt = failing(1, FatalError("zendesk", "GET", "/x", 404, "RecordNotFound"))
    with pytest.raises(FatalError):
        retry.call(RetryPolicy(), attempt, sleeps)
    assert len(calls) == 1 and sleeps == []


# --- throttling -------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_configured_rate_holds_back_the_request_over_the_limit() -> None:
    clock = FakeClock()
    throttle = Throttle(per_minute=10, clock=clock, sleep=clock.sleep)
    for _ in range(10):
        throttle.before_request()
        clock.now += 1
    assert clock.slept == []
    throttle.before_request()  # the 11th inside the same minute waits for the first to age out
    assert clock.slept == [50.0]


def test_a_low_reported_quota_spreads_the_rest_over_the_window() -> None:
    clock = FakeClock()
    throttle = Throttle(quota=SURVEYMONKEY_QUOTA, clock=clock, sleep=clock.sleep)
    throttle.observe(
        {
            "X-Ratelimit-App-Global-Minute-Remaining": "4",
            "X-Ratelimit-App-Global-Minute-Limit": "120",
            "X-Ratelimit-App-Global-Minute-Reset": "20",
        }
    )
    throttle.before_request()
    assert clock.slept == [5.0]  # 20 s left for 4 requests


def test_plenty_of_quota_means_no_waiting() -> None:
    clock = FakeClock()
    throttle = Throttle(quota=ZENDESK_QUOTA, clock=clock, sleep=clock.sleep)
    throttle.observe({"X-Rate-Limit": "400", "X-Rate-Limit-Remaining": "399"})
    throttle.before_request()
    assert clock.slept == []


def test_an_exhausted_quota_waits_out_the_window() -> None:
    clock = FakeClock()
    throttle = Throttle(quota=ZENDESK_QUOTA, window_seconds=60, clock=clock, sleep=clock.sleep)
    throttle.observe({"X-Rate-Limit": "400", "X-Rate-Limit-Remaining": "0"})
    throttle.before_request()
    assert clock.slept == [60.0]


# --- JSON over a session -----------------------------------------------------------------------


def api(sleeps: Sleeps, policy: RetryPolicy | None = None) -> JsonApi:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {SECRET}"
    return JsonApi("zendesk", BASE, session, Edge(policy=policy or RetryPolicy(), sleep=sleeps))


@responses.activate
def test_a_503_then_success_returns_the_json_and_counts_the_retry() -> None:
    url = f"{BASE}/api/v2/groups.json"
    responses.get(url, status=503, body="")
    responses.get(url, json={"groups": []})
    sleeps = Sleeps()
    client = api(sleeps)
    assert client.request("GET", "/api/v2/groups.json") == {"groups": []}
    assert client.stats.requests == 2 and client.stats.retries == 1 and len(sleeps) == 1


@responses.activate
def test_a_dropped_connection_is_retried() -> None:
    url = f"{BASE}/api/v2/groups.json"
    responses.get(url, body=requests.ConnectionError("Connection aborted."))
    responses.get(url, json={"groups": [1]})
    assert api(Sleeps()).request("GET", url) == {"groups": [1]}


@responses.activate
def test_a_cut_off_json_body_is_retried() -> None:
    url = f"{BASE}/api/v2/groups.json"
    responses.get(url, body='{"groups": [', content_type="application/json")
    responses.get(url, json={"groups": []})
    assert api(Sleeps()).request("GET", url) == {"groups": []}


@responses.activate
def test_a_create_is_not_retried_after_a_5xx_but_is_after_a_429() -> None:
    url = f"{BASE}/v3/surveys/1/collectors"
    responses.post(url, status=503, json={"error": {"id": "1051", "message": "unreachable"}})
    with pytest.raises(OutcomeUnknown, match="may have been carried out"):
        api(Sleeps()).request("POST", url, body={"type": "email"}, idempotent=False)
    responses.reset()
    responses.post(url, status=429, headers={"Retry-After": "2"}, body="")
    responses.post(url, status=201, json={"id": "9"})
    sleeps = Sleeps()
    assert api(sleeps).request("POST", url, body={}, idempotent=False) == {"id": "9"}
    assert sleeps == [2]


@responses.activate
def test_errors_name_the_call_and_never_the_secret() -> None:
    url = f"{BASE}/api/v2/users/me.json?access_token={SECRET}"
    responses.get(url, status=401, json={"error": "Couldn't authenticate you"})
    with pytest.raises(FatalError) as refused:
        api(Sleeps()).request("GET", url)
    text = f"{refused.value} {refused.value!r}"
    assert "zendesk GET /api/v2/users/me.json" in text and "Couldn't authenticate you" in text
    assert SECRET not in text and "Authorization" not in text


@responses.activate
def test_retries_exhausted_on_a_persistent_502_says_so() -> None:
    url = f"{BASE}/api/v2/groups.json"
    responses.get(url, status=502, body="<html>Bad Gateway</html>")
    with pytest.raises(RetriesExhausted, match=r"502.*gave up after 3 attempts"):
        api(Sleeps(), RetryPolicy(max_attempts=3)).request("GET", url)


@responses.activate
def test_a_429_without_retry_after_waits_for_the_reported_quota_reset() -> None:
    url = f"{BASE}/v3/surveys"
    responses.get(
        url,
        status=429,
        headers={"X-Ratelimit-App-Global-Minute-Reset": "12"},
        json={"error": {"id": "1040", "message": "Too many requests"}},
    )
    responses.get(url, json={"data": []})
    sleeps = Sleeps()
    session = requests.Session()
    client = JsonApi(
        "surveymonkey",
        BASE,
        session,
        Edge(sleep=sleeps),
        Throttle(quota=SURVEYMONKEY_QUOTA, sleep=sleeps),
    )
    assert client.request("GET", url) == {"data": []}
    assert sleeps == [12.0]


def test_a_transport_error_quoting_a_url_with_credentials_is_scrubbed() -> None:
    from connector.errors import describe_exception

    error = requests.ConnectionError(
        f"HTTPSConnectionPool(host='x.example', port=443): Max retries exceeded with url: "
        f"https://me:{SECRET}@x.example:8443/v3/surveys?access_token={SECRET}&page=2"
    )
    text = describe_exception(error)
    assert SECRET not in text
    assert "https://x.example:8443/v3/surveys?access_token=***&page=2" in text
