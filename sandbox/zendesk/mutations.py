"""Realistic changes to the Zendesk account, for `/_sandbox/mutate`: what a day brings."""

from __future__ import annotations

import copy
import random
from typing import TYPE_CHECKING, Any

from sandbox.population import ACTIVE, draw_person
from sandbox.zendesk import tickets
from sandbox.zendesk.fields import FIELDS_BY_KEY, date_value, seeded_values
from sandbox.zendesk.users import make_record
from sandbox.zendesk.writes import update_user

if TYPE_CHECKING:
    from sandbox.zendesk.service import ZendeskService

Json = dict[str, Any]
KINDS: dict[str, float] = {
    "zendesk_field_edit": 3.0,
    "zendesk_new_user": 1.0,
    "zendesk_new_ticket": 2.0,
    "zendesk_ticket_solved": 1.0,
    "zendesk_new_rating": 1.5,
    "zendesk_user_deleted": 0.2,
    "zendesk_user_suspended": 0.2,
}
TRIES = 200


def apply(service: ZendeskService, kind: str, r: random.Random) -> Json | None:
    now = int(service.world.clock.now())
    handlers = {
        "zendesk_field_edit": _field_edit,
        "zendesk_new_user": _new_user,
        "zendesk_new_ticket": _new_ticket,
        "zendesk_ticket_solved": _ticket_solved,
        "zendesk_new_rating": _new_rating,
        "zendesk_user_deleted": _user_deleted,
        "zendesk_user_suspended": _user_suspended,
    }
    return handlers[kind](service, r, now)


def _active_customer(service: ZendeskService, r: random.Random) -> int | None:
    store = service.users
    for _ in range(TRIES):
        index = r.randrange(store.count)
        record = store.get(index)
        if record["role"] == "end-user" and record["active"] and not record["suspended"]:
            return index
    return None


def _field_edit(service: ZendeskService, r: random.Random, now: int) -> Json | None:
    index = _active_customer(service, r)
    if index is None:
        return None
    record = service.users.get(index)
    fields = record["user_fields"]
    choices: dict[str, Any] = {
        "phone_model": r.choice(FIELDS_BY_KEY["phone_model"].option_values()),
        "ios_version": r.choice(["17.6.1", "18.0", "18.1.1", "18.2"]),
        "average_annual_spend": round(
            (fields.get("average_annual_spend") or 100) * r.uniform(0.8, 3), 2
        ),
        "service_level": r.choice(FIELDS_BY_KEY["service_level"].option_values()),
        "social_influence": r.choice(FIELDS_BY_KEY["social_influence"].option_values()),
        "product_line": r.choice(FIELDS_BY_KEY["product_line"].option_values()),
        "last_purchase_date": date_value(now),
        "tablet": r.choice(FIELDS_BY_KEY["tablet"].option_values()),
        "vip": not fields.get("vip"),
    }
    keys = [
        key
        for key in r.sample(sorted(choices), k=r.choice([1, 1, 2]))
        if fields.get(key) != choices[key]
    ]
    written = {key: choices[key] for key in keys}
    new = update_user(record, {"user_fields": written}, now)
    if not keys or new is record:
        return None
    service.users.put(index, new)
    return {
        "user_id": record["id"],
        "fields": {key: [fields.get(key), written[key]] for key in keys},
    }


def _new_user(service: ZendeskService, r: random.Random, now: int) -> Json:
    index = service.users.count
    person = draw_person(index, r, "end-user", ACTIVE, now, now)
    record = make_record(person, r.random, seeded_values(person, r, now))
    record["last_login_at"] = now
    service.users.add(record)
    return {"user_id": record["id"], "email": record["email"], "name": record["name"]}


def _new_ticket(service: ZendeskService, r: random.Random, now: int) -> Json | None:
    requester = _active_customer(service, r)
    if requester is None:
        return None
    store = service.tickets
    record = copy.deepcopy(store.get(r.randrange(store.count)))
    requester_id = service.users.get(requester)["id"]
    record.update(
        status="new",
        requester_id=requester_id,
        submitter_id=requester_id,
        assignee_id=None,
        group_id=None,
        created_at=now,
        updated_at=now,
    )
    record["_rating"] = {
        "code": tickets.UNOFFERED,
        "id": 0,
        "created_at": 0,
        "updated_at": 0,
        "comment": None,
        "reason": None,
        "reason_code": None,
    }
    index = store.add(record)
    record["_rating"]["id"] = tickets.RATING_ID_BASE + record["id"]
    return {
        "ticket_id": tickets.ticket_id(index),
        "requester_id": requester_id,
        "channel": record["via"]["channel"],
    }


def _find_ticket(service: ZendeskService, r: random.Random, wanted: set[str]) -> int | None:
    store = service.tickets
    for _ in range(TRIES):
        index = r.randrange(store.count)
        if store.get(index)["status"] in wanted:
            return index
    return None


def _ticket_solved(service: ZendeskService, r: random.Random, now: int) -> Json | None:
    index = _find_ticket(service, r, {"new", "open", "pending", "hold"})
    if index is None:
        return None
    record = copy.deepcopy(service.tickets.get(index))
    record.update(status="solved", updated_at=now)
    record["assignee_id"] = (
        record["assignee_id"] or service.users.get(r.choice(service.tickets.agents))["id"]
    )
    record["group_id"] = record["group_id"] or service.tickets.get(0)["group_id"]
    service.tickets.put(index, record)
    return {"ticket_id": record["id"]}


def _new_rating(service: ZendeskService, r: random.Random, now: int) -> Json | None:
    store = service.tickets
    for _ in range(TRIES):
        index = _find_ticket(service, r, {"solved"})
        if index is None:
            return None
        if store.rating_of(index)[0] in (tickets.UNOFFERED, tickets.OFFERED):
            break
    else:
        return None
    record = copy.deepcopy(store.get(index))
    bad = r.random() < 0.3
    commented = r.random() < 0.5
    code = (
        (tickets.BAD_COMMENTED if commented else tickets.BAD)
        if bad
        else (tickets.GOOD_COMMENTED if commented else tickets.GOOD)
    )
    rating = record["_rating"]
    rating.update(code=code, updated_at=now, comment=None, reason=None, reason_code=None)
    rating["created_at"] = now
    if commented:
        rating["comment"] = r.choice(tickets.BAD_COMMENTS if bad else tickets.GOOD_COMMENTS)
    if bad:
        rating["reason_code"], rating["reason"] = r.choice(tickets.BAD_REASONS)
    record["updated_at"] = now
    store.put(index, record)
    return {
        "ticket_id": record["id"],
        "requester_id": record["requester_id"],
        "score": tickets.score_name(code),
        "comment": rating["comment"],
    }


def _user_deleted(service: ZendeskService, r: random.Random, now: int) -> Json | None:
    return _set_user(service, r, now, active=False)


def _user_suspended(service: ZendeskService, r: random.Random, now: int) -> Json | None:
    return _set_user(service, r, now, suspended=True)


def _set_user(service: ZendeskService, r: random.Random, now: int, **changes: Any) -> Json | None:
    index = _active_customer(service, r)
    if index is None:
        return None
    record = copy.deepcopy(service.users.get(index))
    record.update(changes, updated_at=now)
    service.users.put(index, record)
    return {"user_id": record["id"], "email": record["email"], **changes}
