"""Zendesk tickets and their satisfaction ratings.

A compact skeleton — creation and update times, requester, status, rating — is drawn for every
ticket at start-up in one sequential pass, because ordering and filtering need it; the rest of a
ticket (subject, channel, priority, group...) is derived on demand. Changed and new tickets are
kept whole.
"""

from __future__ import annotations

import bisect
import random
from array import array
from typing import Any

from sandbox.population import DAY, ROLE_AGENT, ROLE_END_USER, YEAR, Population
from sandbox.seeded import rng
from sandbox.zendesk.groups import GROUP_IDS
from sandbox.zendesk.store import Record, SeededStore
from sandbox.zendesk.timefmt import iso
from sandbox.zendesk.users import user_id

TICKETS_PER_USER = 1.4
RATING_ID_BASE = 368_700_000_000
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
NEW, OPEN, PENDING, HOLD, SOLVED, CLOSED = range(6)
# Rating codes: no rating object (unoffered), offered and unanswered, then good/bad without and
# with a comment.
UNOFFERED, OFFERED, GOOD, GOOD_COMMENTED, BAD, BAD_COMMENTED = range(6)
SCORE_FILTERS: dict[str, frozenset[int]] = {
    "offered": frozenset({OFFERED}),
    "unoffered": frozenset(),
    "received": frozenset({GOOD, GOOD_COMMENTED, BAD, BAD_COMMENTED}),
    "received_with_comment": frozenset({GOOD_COMMENTED, BAD_COMMENTED}),
    "received_without_comment": frozenset({GOOD, BAD}),
    "good": frozenset({GOOD, GOOD_COMMENTED}),
    "good_with_comment": frozenset({GOOD_COMMENTED}),
    "good_without_comment": frozenset({GOOD}),
    "bad": frozenset({BAD, BAD_COMMENTED}),
    "bad_with_comment": frozenset({BAD_COMMENTED}),
    "bad_without_comment": frozenset({BAD}),
}
ALL_RATINGS = frozenset({OFFERED, GOOD, GOOD_COMMENTED, BAD, BAD_COMMENTED})
MAX_SOLVE_TIME = 5 * DAY  # a seeded ticket is solved at most this long after it was created
MAX_RATING_LAG = 3 * DAY  # a rating comes at most this long after the ticket was solved
CHANNELS = (
    ("email", 0.35),
    ("web", 0.25),
    ("mobile", 0.08),
    ("chat", 0.15),
    ("twitter", 0.05),
    ("facebook", 0.04),
    ("voice", 0.08),
)
PRIORITIES = ((None, 0.05), ("low", 0.15), ("normal", 0.55), ("high", 0.2), ("urgent", 0.05))
SUBJECTS = (
    "Where is my order?",
    "Refund for a damaged item",
    "Screen cracked after a week",
    "Battery drains fast on my iPhone",
    "Can't pair my iPad with the keyboard",
    "Change my delivery address",
    "Question about my subscription renewal",
    "Wrong size delivered",
    "Warranty claim",
    "Discount code not working",
)
GOOD_COMMENTS = ("Quick and friendly, thanks!", "Solved in minutes.", "Great support as always.")
BAD_COMMENTS = (
    "Took a week to get an answer.",
    "Nobody read my first message.",
    "Still not fixed.",
)
BAD_REASONS = (
    (5, "The issue took too long to resolve"),
    (6, "The issue was not resolved"),
    (7, "The agent's knowledge is unsatisfactory"),
    (8, "The agent's attitude"),
)


TICKET_ID_BASE = 1  # ticket ids count up from 1, in the order tickets were created


def ticket_id(index: int) -> int:
    return TICKET_ID_BASE + index


class TicketStore(SeededStore):
    id_base = TICKET_ID_BASE

    def __init__(self, population: Population) -> None:
        self.population = population
        self.created_at = array("q")
        self.updated_at = array("q")
        self.requester = array("q")
        self.status = bytearray()
        self.rating = bytearray()
        self.rated_at = array("q")
        self.agents = [i for i, role in enumerate(population.roles) if role == ROLE_AGENT] or [0]
        self._build_skeleton()
        super().__init__(self.updated_at)

    def _build_skeleton(self) -> None:
        seeding = self.population.seeding
        stream = random.Random(seeding.seed + 1)
        anchor = seeding.anchor
        total = max(1, int(self.population.size * TICKETS_PER_USER))
        start = anchor - 2 * YEAR
        step = (2 * YEAR - 600) / total
        roles = self.population.roles
        for j in range(total):
            created = int(start + (j + stream.random()) * step)
            joined = max(1, self.population.count_created_before(created))
            requester = int(stream.random() * joined)
            for _retry in range(3):
                if roles[requester] == ROLE_END_USER:
                    break
                requester = int(stream.random() * joined)
            status, updated, rating, rated = _lifecycle(stream, created, anchor)
            self.created_at.append(created)
            self.updated_at.append(updated)
            self.requester.append(requester)
            self.status.append(status)
            self.rating.append(rating)
            self.rated_at.append(rated)

    def rating_of(self, index: int) -> tuple[int, int]:
        """(rating code, rating time) of a ticket."""
        changed = self.changed.get(index)
        if changed is not None:
            return changed["_rating"]["code"], changed["_rating"]["created_at"]
        if index < len(self.rating):
            return self.rating[index], self.rated_at[index]
        return UNOFFERED, 0

    def first_possibly_rated_since(self, start_time: int) -> int:
        """No seeded ticket before this index can carry a rating made at or after `start_time`."""
        return bisect.bisect_left(self.created_at, start_time - MAX_SOLVE_TIME - MAX_RATING_LAG)

    def _seeded(self, index: int) -> Record:
        r = rng(self.population.seeding.seed, "zendesk-ticket", index)
        requester = self.requester[index]
        status = self.status[index]
        channel = r.choices([c for c, _ in CHANNELS], weights=[w for _, w in CHANNELS])[0]
        priority = r.choices([p for p, _ in PRIORITIES], weights=[w for _, w in PRIORITIES])[0]
        group = r.choices(GROUP_IDS, weights=[0.6, 0.15, 0.15, 0.1])[0]
        assigned = status != NEW
        subject = r.choice(SUBJECTS)
        record: Record = {
            "id": ticket_id(index),
            "external_id": None,
            "type": r.choice(["question", "incident", "problem", "task", None]),
            "subject": subject,
            "raw_subject": subject,
            "description": f"{subject} (ticket {ticket_id(index)})",
            "priority": priority,
            "status": STATUSES[status],
            "requester_id": user_id(requester),
            "submitter_id": user_id(requester),
            "assignee_id": user_id(r.choice(self.agents)) if assigned else None,
            "organization_id": None,
            "group_id": group if assigned else None,
            "collaborator_ids": [],
            "follower_ids": [],
            "email_cc_ids": [],
            "problem_id": None,
            "has_incidents": False,
            "is_public": True,
            "due_at": None,
            "tags": [channel] + (["warranty"] if "Warranty" in subject else []),
            "custom_fields": [],
            "fields": [],
            "sharing_agreement_ids": [],
            "followup_ids": [],
            "brand_id": 368_600_000_001,
            "allow_channelback": False,
            "allow_attachments": True,
            "from_messaging_channel": channel in ("chat", "mobile"),
            "via": {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}},
            "created_at": self.created_at[index],
            "updated_at": self.updated_at[index],
        }
        record["_rating"] = _rating_details(
            r, self.rating[index], self.rated_at[index], RATING_ID_BASE + ticket_id(index)
        )
        return record


def _lifecycle(stream: random.Random, created: int, anchor: int) -> tuple[int, int, int, int]:
    """Status, last update, rating code and rating time of a ticket created at `created`."""
    age = anchor - created
    draw = stream.random()
    if age > 14 * DAY:
        status = (
            CLOSED if draw < 0.72 else SOLVED if draw < 0.96 else PENDING if draw < 0.98 else HOLD
        )
    else:
        status = (
            NEW
            if draw < 0.2
            else OPEN
            if draw < 0.6
            else PENDING
            if draw < 0.75
            else HOLD
            if draw < 0.8
            else SOLVED
        )
    room = anchor - 60 - created
    solved_at = created + int(min(room, stream.random() * MAX_SOLVE_TIME))
    if status == CLOSED:
        updated = min(anchor - 60, solved_at + 4 * DAY)
    elif status == SOLVED:
        updated = solved_at
    else:
        updated = created + int(stream.random() * min(room, 2 * DAY))
    rating, rated = UNOFFERED, 0
    if status in (SOLVED, CLOSED) and stream.random() < 0.6:
        rated = min(anchor - 60, solved_at + int(stream.random() * MAX_RATING_LAG))
        draw = stream.random()
        commented = stream.random() < 0.5
        if draw < 0.4:
            rating = OFFERED
        elif draw < 0.85:
            rating = GOOD_COMMENTED if commented else GOOD
        else:
            rating = BAD_COMMENTED if commented else BAD
        updated = max(updated, rated)
    return status, updated, rating, rated


def _rating_details(r: random.Random, code: int, rated_at: int, rating_id: int) -> Record:
    details: Record = {
        "code": code,
        "id": rating_id,
        "created_at": rated_at,
        "updated_at": rated_at,
        "comment": None,
        "reason": None,
        "reason_code": None,
    }
    if code in (GOOD_COMMENTED, BAD_COMMENTED):
        details["comment"] = r.choice(GOOD_COMMENTS if code == GOOD_COMMENTED else BAD_COMMENTS)
    if code in (BAD, BAD_COMMENTED):
        details["reason_code"], details["reason"] = r.choice(BAD_REASONS)
    return details


def score_name(code: int) -> str:
    return {UNOFFERED: "unoffered", OFFERED: "offered"}.get(
        code, "good" if code in (GOOD, GOOD_COMMENTED) else "bad"
    )


def render(record: Record, base_url: str) -> dict[str, Any]:
    body = {key: value for key, value in record.items() if not key.startswith("_")}
    body["url"] = f"{base_url}/api/v2/tickets/{record['id']}.json"
    body["created_at"] = iso(record["created_at"])
    body["updated_at"] = iso(record["updated_at"])
    body["generated_timestamp"] = record["updated_at"]
    body["tags"] = list(record["tags"])
    rating = record["_rating"]
    summary: dict[str, Any] = {"score": score_name(rating["code"])}
    if rating["code"] != UNOFFERED:
        summary["id"] = rating["id"]
        summary["comment"] = rating["comment"]
    if rating["reason"]:
        summary["reason"] = rating["reason"]
    body["satisfaction_rating"] = summary
    return body


def render_rating(record: Record, base_url: str) -> dict[str, Any]:
    rating = record["_rating"]
    body: dict[str, Any] = {
        "url": f"{base_url}/api/v2/satisfaction_ratings/{rating['id']}.json",
        "id": rating["id"],
        "assignee_id": record["assignee_id"],
        "group_id": record["group_id"],
        "requester_id": record["requester_id"],
        "ticket_id": record["id"],
        "score": score_name(rating["code"]),
        "created_at": iso(rating["created_at"]),
        "updated_at": iso(rating["updated_at"]),
    }
    if rating["comment"]:
        body["comment"] = rating["comment"]
    if rating["reason"]:
        body["reason"] = rating["reason"]
        body["reason_id"] = 368_800_000_000 + rating["reason_code"]
    return body
