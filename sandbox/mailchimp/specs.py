"""The two seeded audiences: who is on them, in which status, with which tags."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.mailchimp.model import CLEANED, PENDING, SUBSCRIBED, TRANSACTIONAL, UNSUBSCRIBED

DAY = 86_400


@dataclass(frozen=True)
class AudienceSpec:
    key: str  # names the audience's random streams
    name: str
    # Of the customers with an address who were not permanently deleted, the share on the list.
    share: float
    # The share whose address was erased from the list ("forgotten") instead.
    forgotten_share: float
    # Which draw decides it: 0 is `unit(seed, "mailchimp-member", i)`, 1 the low 32 bits of the
    # same record's key (independent of draw 0, and free).
    membership_draw: int
    # One contact who is not in Zendesk per this many people, e.g. a lead from a trade show.
    lead_every: int
    lead_address: str  # with {k} for the lead's number
    statuses: tuple[tuple[str, float], ...]
    # Static segments (at most three), with the share of members carrying each.
    tags: tuple[tuple[str, float], ...]
    # A saved segment: subscribed members who opted in within this many days of the anchor.
    recent_segment: tuple[str, int] | None
    company: str
    from_email: str


RETAIL = AudienceSpec(
    key="retail",
    name="Retail Customers",
    share=0.45,
    forgotten_share=0.002,
    membership_draw=0,
    lead_every=20,
    lead_address="lead{k}@example.net",
    statuses=(
        (SUBSCRIBED, 0.78),
        (UNSUBSCRIBED, 0.10),
        (CLEANED, 0.05),
        (PENDING, 0.03),
        (TRANSACTIONAL, 0.04),
    ),
    tags=(("Newsletter", 0.35), ("Loyalty", 0.12), ("VIP", 0.03)),
    recent_segment=("Recent subscribers", 30),
    company="Sandbox Retail",
    from_email="news@shop.example",
)

WHOLESALE = AudienceSpec(
    key="wholesale",
    name="Wholesale Leads",
    share=0.03,
    forgotten_share=0.0,
    membership_draw=1,
    lead_every=250,
    lead_address="buyer{k}@wholesale.example",
    statuses=((SUBSCRIBED, 0.70), (UNSUBSCRIBED, 0.15), (PENDING, 0.10), (CLEANED, 0.05)),
    tags=(("Trade Show", 0.25),),
    recent_segment=None,
    company="Sandbox Wholesale",
    from_email="trade@shop.example",
)

AUDIENCES = (RETAIL, WHOLESALE)

# A member's draws are cut from its key in `mailchimp-<audience key>`: the status and up to three
# tags from 16-bit fields of the key, the sign-up and last-change times from 32-bit fields of the
# key mixed once more.
MAX_TAGS = 3
LEAD_BASE = 1 << 40  # lead k is record LEAD_BASE + k of its audience's streams


def record_index(code: int) -> int:
    """The index of a member's random streams: a person's own index, or past them for a lead."""
    return code if code >= 0 else LEAD_BASE + (-code - 1)


def status_of(spec: AudienceSpec, draw: float) -> str:
    for status, weight in spec.statuses:
        if draw < weight:
            return status
        draw -= weight
    return spec.statuses[0][0]
