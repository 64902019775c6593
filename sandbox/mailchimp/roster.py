"""The seeded members of one audience: compact arrays built in one pass, members derived on demand.

At a million people an audience holds about half a million members, so nothing per member is kept
but a few array slots: who it is (a person's index, or a lead's number), its status, when it
signed up and last changed, and where its subscriber hash sorts. Everything else about a member
is drawn again from the seed when it is asked for.
"""

from __future__ import annotations

import bisect
import hashlib
from array import array
from collections.abc import Sequence

from sandbox.mailchimp.draws import Draws
from sandbox.mailchimp.model import STATUS_CODES, STATUSES, Member
from sandbox.mailchimp.person_details import seeded_member
from sandbox.mailchimp.specs import AUDIENCES, MAX_TAGS, AudienceSpec, record_index, status_of
from sandbox.population import PERMANENTLY_DELETED, ROLE_END_USER, Population
from sandbox.seeded import mix64

_FIELD = 1 << 16  # a status or tag draw is a 16-bit field of the member's key
_LOW32 = (1 << 32) - 1
_TWO_32 = 2.0**32
_TWO_64 = 2.0**64
_SIGNUP_SPREAD = 0.25 / _TWO_32  # members sign up within the first quarter of their time since


class Roster:
    def __init__(self, spec: AudienceSpec, population: Population) -> None:
        if len(spec.tags) > MAX_TAGS:
            raise ValueError(f"{spec.name}: at most {MAX_TAGS} seeded tags, got {len(spec.tags)}")
        self.spec = spec
        self.population = population
        seeding = population.seeding
        self.seed, self.anchor = seeding.seed, seeding.anchor
        self.draws = Draws(self.seed, f"mailchimp-{spec.key}")
        self.codes = array("i")  # person index, or -(k + 1) for lead k
        self.statuses = bytearray()
        self.signed_up = array("q")
        self.last_changed = array("q")
        self.tag_refs: list[array[int]] = [array("i") for _ in spec.tags]
        self.forgotten: list[str] = []  # erased addresses, lower-cased
        self.status_counts = [0] * len(STATUSES)
        self._prefixes = array("Q")  # first 64 bits of each member's subscriber hash
        self._prefix_refs = array("i")
        self._status_by_draw = bytes(
            STATUS_CODES[status_of(spec, d / _FIELD)] for d in range(_FIELD)
        )
        self._tag_limits = [int(share * _FIELD) for _name, share in spec.tags]
        self._tag_plan = [
            (16 * (t + 1), limit, self.tag_refs[t]) for t, limit in enumerate(self._tag_limits)
        ]

    @property
    def size(self) -> int:
        return len(self.codes)

    # --- building ------------------------------------------------------------------------------

    def add(self, code: int, email: str, joined: int) -> None:
        # The hot loop of start-up: the draws of `_tags_of` and the like are written out here.
        ref = len(self.codes)
        key = mix64(self.draws.base ^ record_index(code))
        status = self._status_by_draw[key & 0xFFFF]
        times = mix64(key)
        latest = self.anchor - 3600
        signed_up = joined + int((times & _LOW32) * _SIGNUP_SPREAD * max(0, latest - joined))
        changed = signed_up + int((times >> 32) / _TWO_32 * max(0, latest - signed_up))
        self.codes.append(code)
        self.statuses.append(status)
        self.status_counts[status] += 1
        self.signed_up.append(signed_up)
        self.last_changed.append(changed)
        for shift, limit, refs in self._tag_plan:
            if (key >> shift) & 0xFFFF < limit:
                refs.append(ref)
        digest = hashlib.md5(email.encode(), usedforsecurity=False).digest()
        self._prefixes.append(int.from_bytes(digest[:8], "big"))

    def add_lead(self, k: int, joined: int) -> None:
        self.add(-(k + 1), self.spec.lead_address.format(k=k), joined)

    def finish(self) -> None:
        """Sort the hash index, once every member is in."""
        order = sorted(range(len(self._prefixes)), key=self._prefixes.__getitem__)
        self._prefixes = array("Q", (self._prefixes[ref] for ref in order))
        self._prefix_refs = array("i", order)

    def _tags_of(self, key: int) -> list[int]:
        limits = self._tag_limits
        return [t for t in range(len(limits)) if (key >> (16 * (t + 1))) & 0xFFFF < limits[t]]

    # --- reading -------------------------------------------------------------------------------

    def email_of(self, ref: int) -> str:
        code = self.codes[ref]
        if code < 0:
            return self.spec.lead_address.format(k=-code - 1)
        email = self.population.person(code).email
        assert email is not None  # people without one are never members
        return email.lower()

    def find(self, hex_hash: str) -> int | None:
        """The seeded member whose subscriber hash this is, if there is one."""
        prefix = int(hex_hash[:16], 16)
        at = bisect.bisect_left(self._prefixes, prefix)
        while at < len(self._prefixes) and self._prefixes[at] == prefix:
            ref = self._prefix_refs[at]
            digest = hashlib.md5(self.email_of(ref).encode(), usedforsecurity=False).hexdigest()
            if digest == hex_hash:
                return ref
            at += 1
        return None

    def status(self, ref: int) -> str:
        return STATUSES[self.statuses[ref]]

    def member(self, ref: int, tag_ids: Sequence[int]) -> Member:
        """The seeded member at `ref`; `tag_ids` are the segment ids of the spec's tags."""
        code = self.codes[ref]
        tags = {tag_ids[t] for t in self._tags_of(self.draws.key(record_index(code)))}
        person = self.population.person(code) if code >= 0 else None
        return seeded_member(self, ref, person, tags)

    def latest(self, status: str, times: array[int]) -> int | None:
        """The latest of `times` among members in `status` (for the audience's stats)."""
        code = STATUS_CODES[status]
        return max((times[ref] for ref, s in enumerate(self.statuses) if s == code), default=None)


def build_rosters(population: Population) -> dict[str, Roster]:
    """Every audience's seeded members, in one pass over the population.

    A customer is on an audience when their membership draw is under the audience's share, and
    among its forgotten (erased) addresses when it is just above it. Leads are interleaved with
    the people, so that the seeded order is the order in which everyone signed up.
    """
    rosters = [Roster(spec, population) for spec in AUDIENCES]
    leads_at: dict[int, list[Roster]] = {}
    for roster in rosters:
        for i in range(0, population.size, roster.spec.lead_every):
            leads_at.setdefault(i, []).append(roster)
    choosers = [(roster, roster.spec.membership_draw, roster.spec.share) for roster in rosters]
    # Past this draw (one per kind of draw) a customer is on no audience at all.
    reach = [
        max(
            (s.share + s.forgotten_share for s in AUDIENCES if s.membership_draw == draw),
            default=0.0,
        )
        for draw in (0, 1)
    ]
    membership = Draws(population.seeding.seed, "mailchimp-member").base
    roles, standing, joined = population.roles, population.standing, population.created_at
    for i in range(population.size):
        for roster in leads_at.get(i, ()):
            roster.add_lead(i // roster.spec.lead_every, joined[i])
        if roles[i] != ROLE_END_USER or standing[i] == PERMANENTLY_DELETED:
            continue
        key = mix64(membership ^ i)
        draws = (mix64(key) / _TWO_64, (key & _LOW32) / _TWO_32)
        if draws[0] >= reach[0] and draws[1] >= reach[1]:
            continue
        person = population.person(i)
        if person.email is None:
            continue
        email = person.email.lower()
        for roster, which, share in choosers:
            if draws[which] < share:
                roster.add(i, email, joined[i])
            elif draws[which] < share + roster.spec.forgotten_share:
                roster.forgotten.append(email)
    for roster in rosters:
        roster.finish()
    return {roster.spec.key: roster for roster in rosters}
