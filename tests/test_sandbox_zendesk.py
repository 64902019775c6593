"""The emulated Zendesk, driven through zenpy (the client deskbridge uses) and over the wire."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer
from tests.sandbox_helpers import (
    ZENDESK_AUTH,
    control,
    finished_job,
    state,
    wait_for,
    zendesk_get,
    zendesk_put,
)

VIP_GROUP = "VIP Support"


@pytest.fixture(scope="module")
def fast_server() -> Iterator[SandboxServer]:
    """Time runs 600 times faster: the withheld minute lasts 0.1 s, jobs finish at once."""
    config = SandboxConfig(users=300, seed=5, rate_limits="off", time_scale=600)
    with SandboxServer(config) as server:
        yield server


@pytest.fixture
def fast(fast_server: SandboxServer) -> SandboxServer:
    control(fast_server, "POST", "reset")
    return fast_server


def pull_all(sandbox: SandboxServer, kind: str, cursor: str | None = None) -> tuple[list[Any], str]:
    params: dict[str, Any] = {"cursor": cursor} if cursor else {"start_time": 0}
    page = zendesk_get(sandbox, f"incremental/{kind}/cursor.json", **params).json()
    found = list(page[kind])
    while not page["end_of_stream"]:
        page = requests.get(page["after_url"], auth=ZENDESK_AUTH, timeout=30).json()
        found += page[kind]
    return found, page["after_cursor"]


# --- reading through zenpy ----------------------------------------------------------------------


def test_zenpy_pages_through_every_user_with_the_incremental_cursor(
    zenpy_client: Any, sandbox: SandboxServer
) -> None:
    pulled = list(zenpy_client.users.incremental(start_time=0))
    everyone = state(sandbox, "zendesk")["users"]
    assert len(pulled) == len(everyone) == 2000
    assert sorted(u.id for u in pulled) == sorted(u["id"] for u in everyone)
    requests_made = control(sandbox, "GET", "requests")["requests"]
    assert [r["path"] for r in requests_made] == ["/api/v2/incremental/users/cursor.json"] * 2


def test_zenpy_resumes_users_from_a_saved_cursor_without_gaps_or_repeats(
    zenpy_client: Any,
) -> None:
    first = zenpy_client.users.incremental(start_time=0, per_page=700)
    first_page = [next(first) for _ in range(700)]
    saved = first.after_cursor
    rest = list(zenpy_client.users.incremental(cursor=saved))
    ids = [u.id for u in first_page + rest]
    assert len(ids) == len(set(ids)) == 2000


def test_zenpy_resumes_tickets_from_a_saved_cursor(zenpy_client: Any) -> None:
    first = zenpy_client.tickets.incremental(start_time=0, per_page=1000)
    first_page = [next(first) for _ in range(1000)]
    rest = list(zenpy_client.tickets.incremental(cursor=first.after_cursor))
    ids = [t.id for t in first_page + rest]
    assert len(ids) == len(set(ids)) == 2800


def test_zenpy_pages_through_every_ticket(zenpy_client: Any, sandbox: SandboxServer) -> None:
    pulled = list(zenpy_client.tickets.incremental(start_time=0))
    assert len(pulled) == len(state(sandbox, "zendesk")["tickets"]) == 2800
    times = [(t.updated_at, t.id) for t in pulled]
    assert times == sorted(times), "the export returns tickets in update order"


def test_zenpy_reads_bad_ratings_with_cursor_pagination(
    zenpy_client: Any, sandbox: SandboxServer
) -> None:
    bad = list(zenpy_client.satisfaction_ratings(score="bad"))
    expected = [r for r in state(sandbox, "zendesk")["satisfaction_ratings"] if r["score"] == "bad"]
    assert len(bad) == len(expected) > 100  # more than one page of 100
    assert {r.id for r in bad} == {r["id"] for r in expected}


def test_zenpy_reads_the_user_field_schema(zenpy_client: Any) -> None:
    fields = {f.key: f for f in zenpy_client.user_fields()}
    assert fields["vip"].type == "checkbox" and fields["vip"].tag == "vip"
    assert fields["bad_rating_submitted"].tag == "bad_rating"
    options = {o.name: o.value for o in fields["phone_model"].custom_field_options}
    assert options == {f"iPhone {n}": f"iphone_{n}" for n in range(11, 16)}
    assert {o.name for o in fields["tablet"].custom_field_options} == {
        "iPad",
        "iPad Air",
        "iPad Mini",
    }
    assert {f.type for f in fields.values()} == {"dropdown", "date", "decimal", "checkbox", "text"}


# --- the incremental export's rules ---------------------------------------------------------------


def test_start_time_within_the_last_minute_is_refused(sandbox: SandboxServer) -> None:
    import time

    response = zendesk_get(sandbox, "incremental/users/cursor", start_time=int(time.time()) - 10)
    assert response.status_code == 400
    assert "Too recent start_time" in response.json()["description"]


def test_after_url_is_absolute_and_points_at_the_sandbox(sandbox: SandboxServer) -> None:
    page = zendesk_get(sandbox, "incremental/users/cursor", start_time=0, per_page=5).json()
    assert page["after_url"].startswith(f"{sandbox.url}/api/v2/incremental/users/cursor")
    assert len(page["users"]) == 5 and page["end_of_stream"] is False


def test_per_page_is_capped_at_1000(sandbox: SandboxServer) -> None:
    page = zendesk_get(sandbox, "incremental/users/cursor", start_time=0, per_page=5000).json()
    assert len(page["users"]) == 1000


def test_a_user_written_within_the_last_minute_is_withheld_from_the_export() -> None:
    config = SandboxConfig(users=50, seed=5, rate_limits="off", time_scale=1)
    with SandboxServer(config) as server:
        _everyone, cursor = pull_all(server, "users")
        user_id = customers(server, 1, vip=False)[0]["id"]
        body = {"users": [{"id": user_id, "tags": ["written_now"]}]}
        finished_job(server, zendesk_put(server, "users/update_many", body).json()["job_status"])
        assert get_user(server, user_id)["tags"] == ["written_now"]
        assert pull_all(server, "users", cursor)[0] == []


def test_a_written_user_comes_back_in_the_export_after_the_withheld_minute(
    fast: SandboxServer,
) -> None:
    _everyone, cursor = pull_all(fast, "users")
    customer = next(u for u in customers(fast, 300) if not u["user_fields"]["vip"])
    job = zendesk_put(
        fast,
        "users/update_many.json",
        {"user": {"user_fields": {"vip": True}}},
        ids=str(customer["id"]),
    ).json()["job_status"]
    finished_job(fast, job)
    again = wait_for(lambda: pull_all(fast, "users", cursor)[0], timeout=5)
    assert [u["id"] for u in again] == [customer["id"]]
    assert again[0]["user_fields"]["vip"] is True and "vip" in again[0]["tags"]


def test_an_unknown_cursor_is_refused(sandbox: SandboxServer) -> None:
    response = zendesk_get(sandbox, "incremental/users/cursor", cursor="not-a-cursor")
    assert response.status_code == 400


# --- bulk writes and job statuses -----------------------------------------------------------------


def customers(sandbox: SandboxServer, count: int, **where: Any) -> list[dict[str, Any]]:
    found = [
        u
        for u in state(sandbox, "zendesk")["users"]
        if u["role"] == "end-user"
        and u["active"]
        and all(
            u["user_fields"].get(k) == v if k in u["user_fields"] else u.get(k) == v
            for k, v in where.items()
        )
    ]
    return found[:count]


def get_user(sandbox: SandboxServer, user_id: int) -> dict[str, Any]:
    user: dict[str, Any] = zendesk_get(sandbox, f"users/{user_id}.json").json()["user"]
    return user


def test_checking_a_checkbox_adds_its_tag_and_unchecking_removes_it(fast: SandboxServer) -> None:
    user = next(u for u in customers(fast, 50) if not u["user_fields"]["bad_rating_submitted"])
    checked = {"users": [{"id": user["id"], "user_fields": {"bad_rating_submitted": True}}]}
    finished_job(fast, zendesk_put(fast, "users/update_many", checked).json()["job_status"])
    assert "bad_rating" in get_user(fast, user["id"])["tags"]

    unchecked = {"users": [{"id": user["id"], "user_fields": {"bad_rating_submitted": False}}]}
    finished_job(fast, zendesk_put(fast, "users/update_many", unchecked).json()["job_status"])
    after = get_user(fast, user["id"])
    assert (
        "bad_rating" not in after["tags"] and after["user_fields"]["bad_rating_submitted"] is False
    )


def test_removing_a_checkbox_tag_unchecks_the_box(fast: SandboxServer) -> None:
    vip = next(u for u in customers(fast, 300) if u["user_fields"]["vip"])
    tags = [t for t in vip["tags"] if t != "vip"]
    finished_job(
        fast,
        zendesk_put(fast, "users/update_many", {"users": [{"id": vip["id"], "tags": tags}]}).json()[
            "job_status"
        ],
    )
    assert get_user(fast, vip["id"])["user_fields"]["vip"] is False


def test_a_dropdown_takes_its_options_tag_not_its_name(fast: SandboxServer) -> None:
    first, second = customers(fast, 2)
    body = {
        "users": [
            {"id": first["id"], "user_fields": {"phone_model": "iphone_15"}},
            {"id": second["id"], "user_fields": {"phone_model": "iPhone 15"}},
        ]
    }
    job = finished_job(fast, zendesk_put(fast, "users/update_many", body).json()["job_status"])
    ok, refused = job["results"]
    assert ok == {"id": first["id"], "action": "update", "status": "Updated", "success": True}
    assert refused["success"] is False and refused["id"] == second["id"]
    assert "phone_model" in refused["details"] and "iphone_15" in refused["details"]
    assert get_user(fast, first["id"])["user_fields"]["phone_model"] == "iphone_15"


def test_bulk_form_with_ids_updates_each_user_and_reports_unknown_ids(fast: SandboxServer) -> None:
    a, b = customers(fast, 2)
    job = zendesk_put(
        fast,
        "users/update_many.json",
        {"user": {"user_fields": {"vip": True}}},
        ids=f"{a['id']},{b['id']},999",
    ).json()["job_status"]
    results = finished_job(fast, job)["results"]
    assert [r["success"] for r in results] == [True, True, False]
    assert results[2]["error"] == "UserNotFound" and results[2]["id"] == 999


def test_more_than_100_users_in_one_update_is_refused(sandbox: SandboxServer) -> None:
    body = {"users": [{"id": 368_000_000_001 + n, "tags": ["x"]} for n in range(101)]}
    response = zendesk_put(sandbox, "users/update_many", body)
    assert response.status_code == 400 and "at most 100" in response.json()["description"]


def test_a_job_goes_from_queued_through_working_to_completed() -> None:
    config = SandboxConfig(users=50, seed=1, rate_limits="off", time_scale=1)
    with SandboxServer(config) as server:
        user_id = 368_000_000_001
        job = zendesk_put(
            server, "users/update_many", {"users": [{"id": user_id, "tags": ["seen"]}]}
        ).json()["job_status"]
        assert job["status"] == "queued" and job["results"] is None
        seen = {job["status"]}
        while "completed" not in seen:
            seen.add(
                zendesk_get(server, f"job_statuses/{job['id']}").json()["job_status"]["status"]
            )
        assert seen == {"queued", "working", "completed"}


def test_ticket_update_sets_priority_and_vip_group_but_not_on_closed_tickets(
    fast: SandboxServer,
) -> None:
    groups = zendesk_get(fast, "groups").json()["groups"]
    vip_group = next(g["id"] for g in groups if g["name"] == VIP_GROUP)
    all_tickets = state(fast, "zendesk")["tickets"]
    open_ticket = next(t for t in all_tickets if t["status"] == "open")
    closed_ticket = next(t for t in all_tickets if t["status"] == "closed")
    body = {"ticket": {"priority": "high", "group_id": vip_group, "additional_tags": ["vip"]}}
    job = zendesk_put(
        fast, "tickets/update_many", body, ids=f"{open_ticket['id']},{closed_ticket['id']}"
    ).json()["job_status"]
    ok, refused = finished_job(fast, job)["results"]
    assert ok["success"] is True
    assert refused == {
        "id": closed_ticket["id"],
        "action": "update",
        "success": False,
        "error": "TicketUpdateFailed",
        "details": "Status: closed prevents ticket update",
    }
    updated = zendesk_get(fast, f"tickets/{open_ticket['id']}").json()["ticket"]
    assert (updated["priority"], updated["group_id"]) == ("high", vip_group)
    assert "vip" in updated["tags"]


def test_a_write_that_changes_nothing_leaves_updated_at_alone(fast: SandboxServer) -> None:
    user = customers(fast, 1)[0]
    same = {"users": [{"id": user["id"], "user_fields": dict(user["user_fields"])}]}
    finished_job(fast, zendesk_put(fast, "users/update_many", same).json()["job_status"])
    assert get_user(fast, user["id"])["updated_at"] == user["updated_at"]


# --- ratings, deleted users, the seeded edge cases ---------------------------------------------


@pytest.mark.parametrize(
    ("score", "allowed"),
    [
        ("bad", {("bad", True), ("bad", False)}),
        ("bad_with_comment", {("bad", True)}),
        ("good_without_comment", {("good", False)}),
        ("offered", {("offered", False)}),
    ],
)
def test_score_filter_returns_only_matching_ratings(
    sandbox: SandboxServer, score: str, allowed: set[tuple[str, bool]]
) -> None:
    page = zendesk_get(sandbox, "satisfaction_ratings", score=score, per_page=100).json()
    found = {(r["score"], bool(r.get("comment"))) for r in page["satisfaction_ratings"]}
    assert found and found <= allowed
    assert page["count"] > 0


def test_start_and_end_time_filter_ratings_by_creation(sandbox: SandboxServer) -> None:
    everything = state(sandbox, "zendesk")["satisfaction_ratings"]
    times = sorted(r["created_at"] for r in everything)
    middle = times[len(times) // 2]
    from datetime import datetime

    start = int(datetime.fromisoformat(middle.replace("Z", "+00:00")).timestamp())
    page = zendesk_get(sandbox, "satisfaction_ratings", start_time=start, per_page=100).json()
    expected = sum(1 for t in times if t >= middle)
    assert page["count"] == expected


def test_deleted_users_lists_soft_and_permanent_deletions(sandbox: SandboxServer) -> None:
    page = zendesk_get(sandbox, "deleted_users", **{"page[size]": 100}).json()
    deleted = page["deleted_users"]
    assert deleted and all(u["active"] is False for u in deleted)
    permanent = [u for u in deleted if u["name"] == "Permanently Deleted User"]
    soft = [u for u in deleted if u["name"] != "Permanently Deleted User"]
    assert permanent and all(u["email"] is None and u["phone"] is None for u in permanent)
    assert soft and all(u["email"] for u in soft if u["email"] is not None)


def test_the_seeded_account_has_the_edge_cases_real_accounts_have(sandbox: SandboxServer) -> None:
    everyone = state(sandbox, "zendesk")["users"]
    roles = {u["role"] for u in everyone}
    assert roles == {"end-user", "agent", "admin"}
    assert any(u["email"] is None and u["role"] == "end-user" and u["active"] for u in everyone)
    assert any(u["email"] and u["email"] != u["email"].lower() for u in everyone)
    assert any(u["suspended"] for u in everyone)
    assert any(u["locale"] == "ko" and not u["name"].isascii() for u in everyone)
    assert any(u["locale"] == "fi" and any(c in u["name"] for c in "äö") for u in everyone)
    assert any(u["locale"] == "it" for u in everyone)
    channels = {t["via"]["channel"] for t in state(sandbox, "zendesk")["tickets"]}
    assert {"email", "web", "mobile", "chat", "voice"} <= channels
    assert channels & {"twitter", "facebook"}


def test_the_same_seed_gives_the_same_account_and_another_seed_another() -> None:
    def first_page(seed: int) -> list[Any]:
        config = SandboxConfig(users=100, seed=seed, anchor=1_790_000_000, rate_limits="off")
        with SandboxServer(config) as server:
            page = zendesk_get(server, "incremental/users/cursor", start_time=0).json()
            return [(u["id"], u["email"], u["user_fields"]) for u in page["users"]]

    assert first_page(11) == first_page(11)
    assert first_page(11) != first_page(12)


def test_a_mutation_shows_up_in_the_next_incremental_pull(fast: SandboxServer) -> None:
    _everyone, cursor = pull_all(fast, "users")
    changes = control(fast, "POST", "mutate", {"count": 5, "kinds": ["zendesk_new_user"]})
    new_ids = {c["user_id"] for c in changes["changes"]}
    assert len(new_ids) == 5
    pulled = wait_for(
        lambda: len(pull_all(fast, "users", cursor)[0]) == 5 and pull_all(fast, "users", cursor)[0]
    )
    assert {u["id"] for u in pulled} == new_ids


# --- limits ------------------------------------------------------------------------------------


def test_the_account_limit_counts_down_then_answers_429_with_retry_after() -> None:
    config = SandboxConfig(users=20, seed=1, zendesk_rpm=5, time_scale=60)
    with SandboxServer(config) as server:
        answers = [zendesk_get(server, "users/me") for _ in range(6)]
        remaining = [r.headers.get("X-Rate-Limit-Remaining") for r in answers[:5]]
        assert remaining == ["4", "3", "2", "1", "0"]
        assert answers[5].status_code == 429 and answers[5].headers["Retry-After"] == "1"
        assert answers[5].json()["error"] == "APIRateLimitExceeded"
        assert wait_for(lambda: zendesk_get(server, "users/me").status_code == 200, timeout=3)


def test_incremental_exports_have_their_own_10_a_minute_limit() -> None:
    config = SandboxConfig(users=20, seed=1, time_scale=6)  # a minute lasts 10 s
    with SandboxServer(config) as server:
        codes = [
            zendesk_get(server, "incremental/users/cursor", start_time=0).status_code
            for _ in range(11)
        ]
        assert codes == [200] * 10 + [429]
        assert zendesk_get(server, "users/me").status_code == 200
