"""What the example config and its recipes should do to a sandbox, worked out by hand.

Everything here reads the sandbox's own data (`/_sandbox/state` and the Zendesk field schema)
and the recipes' rules as their text states them; nothing comes from `jobs/` or `mappings/`, so
`tests/test_sync_recipes.py` checks the sync against an independent reading of the config.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

DAY = 86_400
AUDIENCE = "retail customers"  # the recipes' "Retail customers", matched as Mailchimp would
UNSOLVED = frozenset({"new", "open", "pending", "hold"})
GIVEN_SCORES = frozenset({"good", "bad"})  # "offered" is a rating asked for, not given
NO_CONSENT = frozenset({"unsubscribed", "cleaned"})

Json = dict[str, Any]


def unix(value: str | None) -> int | None:
    return None if value is None else int(datetime.fromisoformat(value).timestamp())


@dataclass(frozen=True)
class Schema:
    """Dropdown options (tag → name) of the Zendesk user fields, and group ids by name."""

    options: Mapping[str, Mapping[str, str]]
    groups: Mapping[str, int]

    @classmethod
    def of(cls, user_fields: Iterable[Json], groups: Iterable[Json]) -> Schema:
        return cls(
            {
                f["key"]: {o["value"]: o["name"] for o in f.get("custom_field_options") or []}
                for f in user_fields
            },
            {g["name"]: g["id"] for g in groups},
        )

    def tag_of(self, key: str, name: str) -> str:
        (tag,) = (tag for tag, option in self.options[key].items() if option == name)
        return tag


@dataclass
class Customer:
    user: Json

    @property
    def id(self) -> int:
        return int(self.user["id"])

    @property
    def email(self) -> str | None:
        email = self.user.get("email")
        return email.lower() if email else None

    @property
    def fields(self) -> Json:
        return dict(self.user.get("user_fields") or {})

    @property
    def tags(self) -> set[str]:
        return set(self.user.get("tags") or [])


def customers(zendesk: Json) -> list[Customer]:
    """Active, unsuspended end-users: the people lists and rules are about."""
    return [
        Customer(u)
        for u in zendesk["users"]
        if u["role"] == "end-user" and u["active"] and not u["suspended"]
    ]


def staff_emails(zendesk: Json) -> set[str]:
    """Agents' and admins' addresses: Zendesk users, but not customers."""
    return {u["email"].lower() for u in zendesk["users"] if u["role"] != "end-user" and u["email"]}


def latest_given_scores(zendesk: Json) -> dict[int, str]:
    """Each requester's latest given rating ("good" or "bad"), by creation time then id."""
    latest: dict[int, tuple[int, int, str]] = {}
    for rating in zendesk["satisfaction_ratings"]:
        if rating["score"] not in GIVEN_SCORES:
            continue
        key = (unix(rating["created_at"]) or 0, rating["id"], rating["score"])
        requester = rating["requester_id"]
        if requester not in latest or key > latest[requester]:
            latest[requester] = key
    return {requester: score for requester, (_, _, score) in latest.items()}


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def renews_soon(customer: Customer, now: int) -> bool:
    """The subscription renews within the next 30 days (a date field, midnight UTC)."""
    renews = unix(customer.fields.get("subscription_renewal_date"))
    return renews is not None and now <= renews <= now + 30 * DAY


@dataclass
class Expected:
    """Who is in each list (customer ids), and what the rules want written back."""

    lists: dict[str, set[int]] = field(default_factory=dict)
    bad_rating_flagged: set[int] = field(default_factory=set)
    vip_priority: set[int] = field(default_factory=set)
    renewal_due: set[int] = field(default_factory=set)
    # the Mailchimp tag each list (or sub-list) puts on its members
    tags: dict[str, str] = field(default_factory=dict)


def expected(zendesk: Json, schema: Schema, now: int) -> Expected:
    """The recipes, rule by rule, as their text says."""
    found = Expected()
    people = customers(zendesk)
    scores = latest_given_scores(zendesk)

    def members(name: str, tag: str | None, test: Any) -> None:
        found.lists[name] = {c.id for c in people if test(c)}
        if tag is not None:
            found.tags[name] = tag

    # bad_rating.toml: the rule ticks the checkbox when the latest rating is bad; the list is
    # everyone wearing the checkbox's tag, which the rule's tick counts for in the same run.
    found.bad_rating_flagged = {c.id for c in people if scores.get(c.id) == "bad"}
    members(
        "Bad rating submitted",
        None,
        lambda c: "bad_rating" in c.tags or c.id in found.bad_rating_flagged,
    )
    # vip_priority.toml: Platinum, or spend strictly over 1000, or High social influence.
    platinum = schema.tag_of("service_level", "Platinum")
    high = schema.tag_of("social_influence", "High")
    found.vip_priority = {
        c.id
        for c in people
        if c.fields.get("service_level") == platinum
        or (_number(c.fields.get("average_annual_spend")) or 0) > 1000
        or c.fields.get("social_influence") == high
    }
    # config.example.toml's rule: the tag renewal_due when the renewal is in the next 30 days.
    found.renewal_due = {c.id for c in people if renews_soon(c, now)}
    # vip.toml: the `vip` tag, Mailchimp tag "VIP".
    members("VIP customers", "VIP", lambda c: "vip" in c.tags)
    # product_lines.toml: one list per option, compared by the option's tag.
    for name in ("Product Line A", "Product Line B", "Product Line C"):
        tag = schema.tag_of("product_line", name)
        members(name, name, lambda c, tag=tag: c.fields.get("product_line") == tag)
    # phones.toml: one sub-list per model, named by the option's name; and iPhone 15 owners.
    for tag, model in schema.options["phone_model"].items():
        sub = f"Phone owners: {model}"
        members(sub, sub, lambda c, tag=tag: c.fields.get("phone_model") == tag)
    iphone_15 = schema.tag_of("phone_model", "iPhone 15")
    members(
        "iPhone 15 owners",
        "iPhone 15 owners",
        lambda c: c.fields.get("phone_model") == iphone_15,
    )
    # new_customers.toml: created within the previous 30 days, both edges included.
    members(
        "New customers (last 30 days)",
        "New customers (last 30 days)",
        lambda c: now - 30 * DAY <= (unix(c.user["created_at"]) or 0) <= now,
    )
    # config.example.toml: Gold, renewing within the next 30 days, grouped by product line
    # (no product line: in no sub-list), tag "Gold renewal: <product line>".
    gold = schema.tag_of("service_level", "Gold")
    for tag, line in schema.options["product_line"].items():
        sub = f"Gold renewals: {line}"
        members(
            sub,
            f"Gold renewal: {line}",
            lambda c, tag=tag: (
                c.fields.get("service_level") == gold
                and c.fields.get("product_line") == tag
                and renews_soon(c, now)
            ),
        )
    return found


def emails_of(zendesk: Json, ids: Iterable[int]) -> set[str]:
    by_id = {c.id: c.email for c in customers(zendesk)}
    return {email for i in ids if (email := by_id.get(i))}


def audience(mailchimp: Json) -> Json:
    (found,) = (a for a in mailchimp["lists"] if a["name"].casefold() == AUDIENCE)
    return found


def members_by_email(mailchimp: Json) -> dict[str, Json]:
    return {m["email_address"].lower(): m for m in audience(mailchimp)["members"]}


def tag_holders(mailchimp: Json, tag: str) -> set[str]:
    return {email for email, m in members_by_email(mailchimp).items() if tag in m["tags"]}


def survey_recipients(surveymonkey: Json) -> dict[str, set[str]]:
    """The addresses on each survey's invitation messages, by survey title."""
    title = {s["id"]: s["title"] for s in surveymonkey["surveys"]}
    survey_of = {c["id"]: title[c["survey_id"]] for c in surveymonkey["collectors"]}
    found: dict[str, set[str]] = {t: set() for t in title.values()}
    for message in surveymonkey["messages"]:
        found[survey_of[message["collector_id"]]] |= {
            r["email"].lower() for r in message["recipients"]
        }
    return found


def suppressed(surveymonkey: Json) -> tuple[set[str], set[str]]:
    """Addresses SurveyMonkey will not mail: (opted out, bounced)."""

    def lowered(entry: Json) -> set[str]:
        return {e.lower() for e in (*entry["seeded"], *entry["added"])}

    return lowered(surveymonkey["opted_out"]), lowered(surveymonkey["bounced"])
