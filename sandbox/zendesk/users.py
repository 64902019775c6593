"""Zendesk users: seeded ones derived from the population on demand, changed ones kept.

Records are kept in Zendesk's JSON shape except that times are Unix seconds; `render` turns a
record into what the API returns.
"""

from __future__ import annotations

from typing import Any

from sandbox.population import PERMANENTLY_DELETED, SOFT_DELETED, Person, Population
from sandbox.seeded import rng
from sandbox.zendesk.fields import CHECKBOX_TAGS, USER_FIELDS, seeded_values
from sandbox.zendesk.store import Record, SeededStore
from sandbox.zendesk.timefmt import iso

USER_ID_BASE = 368_000_000_000
ORGANIZATION_ID_BASE = 368_500_000_000
ORGANIZATIONS = 40
LOCALE_IDS = {"en-US": 1, "ko": 69, "it": 22, "fi": 1283}
EXTRA_TAGS = ("newsletter", "returning_customer", "wholesale", "loyalty_member", "gift_buyer")
STAFF_GROUP_ID = 368_900_000_001


def user_id(index: int) -> int:
    return USER_ID_BASE + index


class UserStore(SeededStore):
    id_base = USER_ID_BASE

    def __init__(self, population: Population) -> None:
        super().__init__(population.updated_at)
        self.population = population
        standing = population.standing
        self._seeded_deleted = [
            i for i in range(population.size) if standing[i] in (SOFT_DELETED, PERMANENTLY_DELETED)
        ]

    def deleted_indexes(self) -> list[int]:
        """Every deleted user, by id: seeded deletions, then changes."""
        found = {i for i in self._seeded_deleted if i not in self.changed}
        found.update(i for i, record in self.changed.items() if not record["active"])
        return sorted(found)

    def _seeded(self, index: int) -> Record:
        person = self.population.person(index)
        r = rng(self.population.seeding.seed, "zendesk-user", index)
        return make_record(
            person, r.random, seeded_values(person, r, self.population.seeding.anchor)
        )


def make_record(person: Person, draw: Any, fields: dict[str, Any]) -> Record:
    customer = person.is_customer
    tags = [field.tag for field in USER_FIELDS if field.tag and fields.get(field.key)]
    tags += [tag for tag in EXTRA_TAGS if customer and draw() < 0.12]
    organization = ORGANIZATION_ID_BASE + int(draw() * ORGANIZATIONS) if draw() < 0.2 else None
    logged_in = person.created_at + int(draw() * (person.updated_at - person.created_at + 1))
    record: Record = {
        "id": user_id(person.index),
        "name": person.name,
        "email": person.email,
        "phone": person.phone,
        "shared_phone_number": False if person.phone else None,
        "role": person.role,
        "role_type": None if customer or person.role == "admin" else 0,
        "active": person.deletion is None,
        "suspended": person.suspended,
        "verified": person.email is not None,
        "locale": person.locale.code,
        "locale_id": LOCALE_IDS[person.locale.code],
        "time_zone": person.locale.time_zone,
        "iana_time_zone": person.locale.iana_time_zone,
        "created_at": person.created_at,
        "updated_at": person.updated_at,
        "last_login_at": logged_in,
        "external_id": f"crm-{person.index:07d}" if customer and draw() < 0.3 else None,
        "organization_id": organization,
        "tags": tags,
        "user_fields": fields,
        "alias": "",
        "details": "",
        "notes": "",
        "signature": "",
        "moderator": not customer,
        "only_private_comments": False,
        "restricted_agent": customer,
        "ticket_restriction": "requested" if customer else None,
        "shared": False,
        "shared_agent": False,
        "chat_only": False,
        "custom_role_id": None,
        "two_factor_auth_enabled": None,
        "report_csv": not customer,
        "photo": None,
    }
    if not customer:
        record["default_group_id"] = STAFF_GROUP_ID
    if person.deletion == "permanent":
        forget(record)
    return record


def forget(record: Record) -> None:
    """What a permanent deletion leaves of a user."""
    record.update(
        name="Permanently Deleted User",
        email=None,
        phone=None,
        shared_phone_number=None,
        external_id=None,
        tags=[],
        active=False,
        user_fields={field.key: None for field in USER_FIELDS},
    )


def sync_checkbox_tags(record: Record, fields_written: set[str], tags_written: bool) -> None:
    """Keep checkbox fields and their tags in step, as Zendesk does.

    A checkbox written in this update moves its tag; otherwise, when the tags were written, the
    tag moves the checkbox.
    """
    tags: list[str] = record["tags"]
    for tag, field in CHECKBOX_TAGS.items():
        if field.key in fields_written:
            checked = bool(record["user_fields"].get(field.key))
            if checked and tag not in tags:
                tags.append(tag)
            elif not checked and tag in tags:
                tags.remove(tag)
        elif tags_written:
            record["user_fields"][field.key] = tag in tags


def render(record: Record, base_url: str) -> dict[str, Any]:
    body = dict(record)
    body["url"] = f"{base_url}/api/v2/users/{record['id']}.json"
    for key in ("created_at", "updated_at", "last_login_at"):
        body[key] = iso(record[key])
    body["tags"] = list(record["tags"])
    body["user_fields"] = dict(record["user_fields"])
    return body
