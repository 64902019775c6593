"""The details of one seeded member, drawn from its own random stream."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.mailchimp.model import (
    CLEANED,
    STATUSES,
    SUBSCRIBED,
    UNSUBSCRIBED,
    Location,
    Member,
)
from sandbox.mailchimp.specs import record_index
from sandbox.names import LOCALES, Locale
from sandbox.population import Person
from sandbox.seeded import rng

if TYPE_CHECKING:
    from sandbox.mailchimp.roster import Roster

# Where a locale's members are, roughly: (country, latitude, longitude, GMT and DST offsets).
_PLACES = {
    "en-US": ("US", 40.71, -74.01, -5, -4),
    "ko": ("KR", 37.57, 126.98, 9, 9),
    "it": ("IT", 41.90, 12.50, 1, 2),
    "fi": ("FI", 60.17, 24.94, 2, 3),
}
_SOURCES = ("Import", "Hosted Signup Form", "Admin Add", "API - Generic")
_UNSUBSCRIBE_REASONS = (
    "I no longer want to receive these emails",
    "I never signed up for this mailing list",
    "The emails are too frequent",
    "N/A (Unsubscribed by an admin)",
)
_OPTED_IN = frozenset({SUBSCRIBED, UNSUBSCRIBED, CLEANED})


def seeded_member(roster: Roster, ref: int, person: Person | None, tags: set[int]) -> Member:
    """Member `ref` of `roster`: a Zendesk customer's (`person`), or a lead's when None."""
    r = rng(roster.seed, f"mailchimp-{roster.spec.key}", record_index(roster.codes[ref]))
    status = STATUSES[roster.statuses[ref]]
    if person is not None:
        locale, given, family = person.locale, person.given_name, person.family_name
        phone = person.phone or ""
    else:
        locale = r.choices([loc for loc, _ in LOCALES], weights=[w for _, w in LOCALES])[0]
        given, family, phone = r.choice(locale.given)[0], r.choice(locale.family)[0], ""
    merge_fields: dict[str, Any] = {
        "FNAME": given,
        "LNAME": family,
        "PHONE": phone,
        "BIRTHDAY": f"{r.randrange(1, 13):02d}/{r.randrange(1, 29):02d}"
        if r.random() < 0.6
        else "",
    }
    signed_up = roster.signed_up[ref]
    ip = f"203.0.113.{r.randrange(1, 255)}"
    open_rate = round(r.random() * 0.6, 2)
    return Member(
        ref=ref,
        email_address=roster.email_of(ref),
        status=status,
        merge_fields=merge_fields,
        tags=tags,
        timestamp_signup=signed_up,
        timestamp_opt=signed_up if status in _OPTED_IN else None,
        last_changed=roster.last_changed[ref],
        unique_email_id=f"{r.getrandbits(40):010x}",
        contact_id=f"{r.getrandbits(128):032x}",
        web_id=r.randrange(10**8, 10**9),
        email_type="text" if r.random() < 0.03 else "html",
        language=locale.code.split("-")[0],
        vip=r.random() < 0.02,
        ip_signup=ip,
        ip_opt=ip if status in _OPTED_IN else "",
        source=r.choice(_SOURCES),
        unsubscribe_reason=r.choice(_UNSUBSCRIBE_REASONS) if status == UNSUBSCRIBED else "",
        member_rating=r.choices((1, 2, 3, 4, 5), weights=(5, 40, 30, 15, 10))[0],
        avg_open_rate=open_rate,
        avg_click_rate=round(open_rate * r.random() * 0.4, 2),
        location=place(locale),
    )


def place(locale: Locale) -> Location:
    country, latitude, longitude, gmtoff, dstoff = _PLACES.get(locale.code, _PLACES["en-US"])
    return Location(latitude, longitude, gmtoff, dstoff, country, locale.iana_time_zone)
