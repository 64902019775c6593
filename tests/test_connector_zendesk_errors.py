"""Failures at the Zendesk edge: retried within the budget, or refused at once, never leaking
the API token."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
import requests
import responses

from connector.errors import ConnectorError, FatalError, RetriesExhausted
from connector.zendesk import ZendeskAccount
from tests.test_connector_zendesk_fixtures import (
    EMAIL,
    TOKEN,
    USERS_EXPORT,
    FakeTime,
    fixture,
    make_connector,
)

PAGE = fixture("incremental_users_page2.json")  # end_of_stream: one request pulls everything
GROUPS = "https://acme.zendesk.com/api/v2/groups.json"


def pull(time: FakeTime | None = None) -> list[Any]:
    pages: list[Any] = []
    make_connector(time).users_since(pages.append, start_time=0)
    return pages


@responses.activate
def test_a_429_with_retry_after_waits_that_long() -> None:
    responses.get(
        USERS_EXPORT, json=fixture("error_429.json"), status=429, headers={"Retry-After": "7"}
    )
    responses.get(USERS_EXPORT, json=PAGE)
    time = FakeTime()

    pages = pull(time)

    assert time.waits == [7.0]
    assert len(pages) == 1 and len(responses.calls) == 2


@responses.activate
def test_a_retry_after_beyond_the_policy_clamp_is_cut_to_it() -> None:
    responses.get(USERS_EXPORT, status=429, headers={"Retry-After": "3600"})
    responses.get(USERS_EXPORT, json=PAGE)
    time = FakeTime()

    pull(time)

    assert time.waits == [60.0]  # the policy's max_retry_after


@pytest.mark.parametrize(
    "body",
    [fixture("error_429.json"), None],
    ids=["zendesk-body", "bodiless"],
)
@responses.activate
def test_a_429_without_retry_after_backs_off(body: Any) -> None:
    responses.get(USERS_EXPORT, json=body, status=429)
    responses.get(USERS_EXPORT, json=PAGE)
    time = FakeTime()

    pull(time)

    assert len(time.waits) == 1
    assert 0.0 <= time.waits[0] <= 0.5  # the first backoff of the policy, with jitter


@pytest.mark.parametrize("status", [500, 502, 503])
@responses.activate
def test_a_5xx_then_success_completes(status: int) -> None:
    responses.get(USERS_EXPORT, body=b"", status=status)
    responses.get(USERS_EXPORT, json=PAGE)
    connector = make_connector()
    pages: list[Any] = []

    connector.users_since(pages.append, start_time=0)

    assert len(pages) == 1
    assert (connector.stats.requests, connector.stats.retries) == (2, 1)


@responses.activate
def test_a_dropped_connection_then_success_completes() -> None:
    responses.get(USERS_EXPORT, body=requests.ConnectionError("connection reset by peer"))
    responses.get(USERS_EXPORT, json=PAGE)

    assert len(pull()) == 1


@responses.activate
def test_a_body_cut_off_halfway_is_retried() -> None:
    responses.get(USERS_EXPORT, body=b'{"users": [{"id": 1')
    responses.get(USERS_EXPORT, json=PAGE)

    assert len(pull()) == 1


@responses.activate
def test_retries_exhausted_raises_naming_the_path_and_the_attempts() -> None:
    responses.get(USERS_EXPORT, json={"error": "ServiceUnavailable"}, status=503)
    time = FakeTime()

    with pytest.raises(RetriesExhausted) as raised:
        pull(time)

    error = raised.value
    assert error.path == "/api/v2/incremental/users/cursor.json?start_time=0&per_page=1000"
    assert error.path in str(error) and "503" in str(error) and "ServiceUnavailable" in str(error)
    assert error.attempts == 4 and len(responses.calls) == 4 and len(time.waits) == 3


@pytest.mark.parametrize(
    ("status", "name", "words"),
    [
        (401, "error_401.json", "Couldn't authenticate you"),
        (403, "error_403.json", "Forbidden — You do not have access to this page"),
        (404, "error_404.json", "RecordNotFound — Not found"),
    ],
    ids=["401-unauthenticated", "403-forbidden", "404-not-found"],
)
@responses.activate
def test_a_refusal_is_fatal_at_once_with_zendesks_words_and_without_the_token(
    status: int, name: str, words: str
) -> None:
    responses.get(GROUPS, json=fixture(name), status=status)
    time = FakeTime()

    with pytest.raises(FatalError) as raised:
        make_connector(time).groups()

    error = raised.value
    assert words in str(error)
    assert f"zendesk GET /api/v2/groups.json answered {status}" in str(error)
    assert len(responses.calls) == 1 and time.waits == []
    assert TOKEN not in str(error) and TOKEN not in repr(error)


@responses.activate
def test_the_session_is_signed_in_by_zenpy_with_the_api_token() -> None:
    responses.get(GROUPS, json=fixture("groups.json"))

    make_connector().groups()

    sent = responses.calls[0].request.headers["Authorization"]
    expected = base64.b64encode(f"{EMAIL}/token:{TOKEN}".encode()).decode()
    assert sent == f"Basic {expected}"


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 401, "json": {"error": "Couldn't authenticate you"}},
        {"status": 503, "body": b""},
        {"status": 429, "body": b"", "headers": {"Retry-After": "1"}},
        {
            "body": requests.ConnectionError(
                "HTTPSConnectionPool(host='acme.zendesk.com', port=443): Max retries exceeded "
                "with url: /api/v2/groups.json (Caused by NewConnectionError('refused'))"
            )
        },
    ],
    ids=["401", "503-exhausted", "429-exhausted", "connection-error"],
)
@responses.activate
def test_no_error_text_holds_the_token(failure: dict[str, Any]) -> None:
    responses.get(GROUPS, **failure)
    connector = make_connector()

    with pytest.raises(ConnectorError) as raised:
        connector.groups()

    texts = [str(raised.value), repr(raised.value), *getattr(raised.value, "__notes__", [])]
    assert texts and not any(TOKEN in text for text in texts)


def test_neither_the_account_nor_the_connector_shows_the_token() -> None:
    account = ZendeskAccount("acme", EMAIL, TOKEN)
    connector = make_connector()

    assert TOKEN not in repr(account) and TOKEN not in str(account)
    assert TOKEN not in repr(connector) and "acme.zendesk.com" in repr(connector)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"subdomain": "Acme Corp"}, "not a Zendesk subdomain"),
        ({"email": "admin"}, "not an email address"),
        ({"token": " "}, "token is empty"),
        ({"base_url": "acme.zendesk.com"}, "not an http(s) URL"),
        ({"base_url": "https://acme.zendesk.com/api/v2"}, "origin only"),
        ({"base_url": f"https://admin:{TOKEN}@acme.zendesk.com"}, "must not hold credentials"),
    ],
    ids=["subdomain", "email", "token", "base-url-scheme", "base-url-path", "base-url-userinfo"],
)
def test_a_bad_account_is_refused_saying_what_is_wrong(
    arguments: dict[str, str], message: str
) -> None:
    settings = {"subdomain": "acme", "email": EMAIL, "token": TOKEN, **arguments}

    with pytest.raises(ValueError, match=re.escape(message)) as raised:
        ZendeskAccount(**settings)

    assert TOKEN not in str(raised.value)


def test_every_problem_with_an_account_is_reported_at_once() -> None:
    with pytest.raises(ValueError) as raised:
        ZendeskAccount("Acme Corp", "admin", "")

    assert str(raised.value).count(";") == 2
