"""The custom user fields of the retail cookbooks, how seeded customers fill them, and how a
written value is checked.

Zendesk keys a user's `user_fields` by the field's `key`. A dropdown holds its option's `value`,
which is also the option's tag; a checkbox may carry a `tag` that the user wears while it is
checked; dates are `YYYY-MM-DDT00:00:00Z` strings.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.population import DAY, Person

FIELD_ID_BASE = 360_010_000_000


@dataclass(frozen=True)
class UserField:
    id: int
    key: str
    type: str  # text, textarea, checkbox, date, integer, decimal, regexp, dropdown, ...
    title: str
    description: str
    options: tuple[tuple[str, str], ...] = ()  # (name, value): the value is the option's tag
    tag: str | None = None  # checkbox only

    def option_values(self) -> list[str]:
        return [value for _name, value in self.options]


def _options(*names: str, prefix: str = "") -> tuple[tuple[str, str], ...]:
    return tuple(
        (name, prefix + re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")) for name in names
    )


USER_FIELDS: tuple[UserField, ...] = (
    UserField(
        FIELD_ID_BASE + 1,
        "product_line",
        "dropdown",
        "Preferred product line",
        "The product line the customer buys most",
        _options("Product Line A", "Product Line B", "Product Line C"),
    ),
    UserField(
        FIELD_ID_BASE + 2,
        "plan_join_date",
        "date",
        "Plan join date",
        "When the customer joined their plan",
    ),
    UserField(
        FIELD_ID_BASE + 3,
        "average_annual_spend",
        "decimal",
        "Average annual spend",
        "Average spend a year, in USD",
    ),
    UserField(FIELD_ID_BASE + 4, "vip", "checkbox", "VIP", "A VIP customer", tag="vip"),
    UserField(
        FIELD_ID_BASE + 5,
        "bad_rating_submitted",
        "checkbox",
        "Bad rating submitted",
        "Set when the customer gives a bad satisfaction rating",
        tag="bad_rating",
    ),
    UserField(
        FIELD_ID_BASE + 6,
        "phone_model",
        "dropdown",
        "Phone model",
        "The customer's phone",
        _options("iPhone 11", "iPhone 12", "iPhone 13", "iPhone 14", "iPhone 15"),
    ),
    UserField(
        FIELD_ID_BASE + 7,
        "tablet",
        "dropdown",
        "Tablet",
        "The customer's tablet",
        _options("iPad", "iPad Air", "iPad Mini"),
    ),
    UserField(
        FIELD_ID_BASE + 8,
        "ios_version",
        "text",
        "iOS version",
        "The iOS version on the customer's phone",
    ),
    UserField(
        FIELD_ID_BASE + 9,
        "last_purchase_date",
        "date",
        "Last purchase date",
        "When the customer last bought something",
    ),
    UserField(
        FIELD_ID_BASE + 10,
        "subscription_renewal_date",
        "date",
        "Subscription renewal date",
        "When the customer's subscription renews",
    ),
    UserField(
        FIELD_ID_BASE + 11,
        "service_level",
        "dropdown",
        "Service level",
        "The customer's support plan",
        _options("Platinum", "Gold", "Silver", "Bronze"),
    ),
    UserField(
        FIELD_ID_BASE + 12,
        "social_influence",
        "dropdown",
        "Social influence",
        "How much the customer is heard on social media",
        _options("High", "Medium", "Low", prefix="social_influence_"),
    ),
)
FIELDS_BY_KEY = {field.key: field for field in USER_FIELDS}
CHECKBOX_TAGS = {field.tag: field for field in USER_FIELDS if field.tag}


def date_value(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT00:00:00Z")


def seeded_values(person: Person, r: random.Random, anchor: int) -> dict[str, Any]:
    """A customer's field values; staff and deleted people have none."""
    values: dict[str, Any] = {field.key: None for field in USER_FIELDS}
    values["vip"] = values["bad_rating_submitted"] = False
    if not person.is_customer or person.deletion == "permanent":
        return values
    since_join = anchor - person.created_at

    def pick(key: str, weights: list[float], present: float) -> str | None:
        if r.random() >= present:
            return None
        return r.choices(FIELDS_BY_KEY[key].option_values(), weights=weights)[0]

    values["product_line"] = pick("product_line", [0.45, 0.35, 0.2], 0.9)
    if r.random() < 0.8:
        values["plan_join_date"] = date_value(
            person.created_at + r.random() * min(since_join, 60 * DAY)
        )
    values["average_annual_spend"] = (
        round(math.exp(r.gauss(5.8, 1.0)), 2) if r.random() < 0.85 else None
    )
    values["vip"] = r.random() < 0.05
    values["bad_rating_submitted"] = r.random() < 0.02
    values["phone_model"] = pick("phone_model", [0.1, 0.15, 0.25, 0.25, 0.25], 0.7)
    if values["phone_model"]:
        values["ios_version"] = r.choice(["16.7.8", "17.4.1", "17.5", "17.6.1", "18.0", "18.1.1"])
    values["tablet"] = pick("tablet", [0.5, 0.3, 0.2], 0.4)
    if r.random() < 0.7:
        values["last_purchase_date"] = date_value(anchor - r.random() * min(since_join, 365 * DAY))
    if r.random() < 0.4:
        values["subscription_renewal_date"] = date_value(anchor + r.random() * 365 * DAY)
    values["service_level"] = pick("service_level", [0.05, 0.15, 0.35, 0.45], 0.8)
    values["social_influence"] = pick("social_influence", [0.08, 0.27, 0.65], 0.6)
    return values


class InvalidFieldValue(ValueError):
    pass


def check_value(field: UserField, value: Any) -> Any:
    """The value as Zendesk stores it, or InvalidFieldValue saying why it cannot be stored."""
    if value is None or value == "":
        return False if field.type == "checkbox" else None
    if field.type == "checkbox":
        if isinstance(value, bool):
            return value
        raise InvalidFieldValue(f"{field.key}: a checkbox takes true or false, not {value!r}")
    if field.type == "dropdown":
        if value in field.option_values():
            return value
        raise InvalidFieldValue(
            f"{field.key}: {value!r} is not one of the field's option values "
            f"({', '.join(field.option_values())})"
        )
    if field.type == "decimal":
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise InvalidFieldValue(f"{field.key}: {value!r} is not a decimal number") from None
        if isinstance(value, bool) or not number.is_finite():
            raise InvalidFieldValue(f"{field.key}: {value!r} is not a decimal number")
        return float(number)
    if field.type == "date":
        text = str(value)
        try:
            day = datetime.strptime(text[:10], "%Y-%m-%d")
        except ValueError:
            raise InvalidFieldValue(f"{field.key}: {value!r} is not a date (YYYY-MM-DD)") from None
        return day.strftime("%Y-%m-%dT00:00:00Z")
    return str(value)


def field_json(field: UserField, position: int, base_url: str, created_at: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "url": f"{base_url}/api/v2/user_fields/{field.id}.json",
        "id": field.id,
        "type": field.type,
        "key": field.key,
        "title": field.title,
        "description": field.description,
        "raw_title": field.title,
        "raw_description": field.description,
        "position": position,
        "active": True,
        "system": False,
        "regexp_for_validation": None,
        "created_at": created_at,
        "updated_at": created_at,
    }
    if field.type == "checkbox":
        body["tag"] = field.tag
    if field.options:
        body["custom_field_options"] = [
            {
                "id": field.id * 10 + n,
                "name": name,
                "raw_name": name,
                "value": value,
                "url": f"{base_url}/api/v2/user_fields/{field.id}/options/{field.id * 10 + n}.json",
                "position": n,
            }
            for n, (name, value) in enumerate(field.options)
        ]
    return body
