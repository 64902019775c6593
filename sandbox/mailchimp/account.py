"""The Mailchimp account the sandbox emulates: its audiences, and each one's segments and fields."""

from __future__ import annotations

import dataclasses
from collections.abc import Set
from dataclasses import dataclass

from sandbox.mailchimp.audience import Audience, MemberFilter
from sandbox.mailchimp.merge_fields import MergeField, seeded_merge_fields
from sandbox.mailchimp.model import PENDING, SUBSCRIBED, Member, Segment
from sandbox.mailchimp.problems import not_found
from sandbox.mailchimp.roster import build_rosters
from sandbox.mailchimp.specs import AUDIENCES, DAY, AudienceSpec
from sandbox.population import Population
from sandbox.seeded import rng

FIRST_SEGMENT_ID = 10_001
# Segments list subscribed and pending members unless asked to include the others.
SEGMENT_STATUSES = frozenset({SUBSCRIBED, PENDING})


@dataclass(frozen=True)
class AudienceInfo:
    """What an audience is, apart from its members."""

    id: str
    web_id: int
    spec: AudienceSpec
    date_created: int


class Account:
    def __init__(self, population: Population) -> None:
        self.population = population
        seed, anchor = population.seeding.seed, population.seeding.anchor
        rosters = build_rosters(population)
        self.infos: dict[str, AudienceInfo] = {}
        self.audiences: dict[str, Audience] = {}
        self._seeded_segments: dict[str, list[Segment]] = {}
        segment_id = FIRST_SEGMENT_ID
        for n, spec in enumerate(AUDIENCES):
            r = rng(seed, "mailchimp-list", n)
            list_id = f"{r.getrandbits(40):010x}"
            created = anchor - 3 * 365 * DAY - r.randrange(30, 400) * DAY
            self.infos[list_id] = AudienceInfo(list_id, r.randrange(10**5, 10**6), spec, created)
            segments = []
            for name, _share in spec.tags:
                segments.append(Segment(segment_id, name, "static", created, anchor - DAY))
                segment_id += 1
            if spec.recent_segment is not None:
                name, days = spec.recent_segment
                condition = {
                    "condition_type": "Date",
                    "field": "timestamp_opt",
                    "op": "greater",
                    "value": f"last{days}",
                }
                segments.append(
                    Segment(segment_id, name, "saved", created, created, [condition], days * DAY)
                )
                segment_id += 1
            self._seeded_segments[list_id] = segments
            tag_ids = [s.id for s in segments if s.is_tag]
            self.audiences[list_id] = Audience(list_id, rosters[spec.key], tag_ids)
        self.reset()

    def reset(self) -> None:
        for audience in self.audiences.values():
            audience.reset()
        self.segments: dict[str, dict[int, Segment]] = {
            list_id: {s.id: _copy(s) for s in segments}
            for list_id, segments in self._seeded_segments.items()
        }
        self.merge_fields: dict[str, list[MergeField]] = {
            list_id: seeded_merge_fields() for list_id in self.audiences
        }
        self._next_segment_id = 1 + max(
            (s.id for segments in self.segments.values() for s in segments.values()),
            default=FIRST_SEGMENT_ID - 1,
        )

    # --- looking things up, or answering 404 ----------------------------------------------------

    def audience(self, list_id: str) -> Audience:
        audience = self.audiences.get(list_id)
        if audience is None:
            not_found(f"no audience (list) has the id {list_id!r}")
        return audience

    def segment(self, list_id: str, segment_id: int) -> Segment:
        segment = self.segments[self.audience(list_id).id].get(segment_id)
        if segment is None:
            not_found(f"audience {list_id} has no segment {segment_id}")
        return segment

    def tags_of(self, list_id: str, member: Member) -> list[tuple[int, str]]:
        segments = self.segments[list_id]
        return [(tag, segments[tag].name) for tag in sorted(member.tags) if tag in segments]

    # --- tags are static segments ---------------------------------------------------------------

    def tag_named(self, list_id: str, name: str, now: int) -> Segment:
        """The static segment called `name` (case does not matter), made if there is none."""
        segments = self.segments[list_id]
        for segment in segments.values():
            if segment.is_tag and segment.name.lower() == name.lower():
                return segment
        return self.new_segment(list_id, name, now)

    def new_segment(self, list_id: str, name: str, now: int) -> Segment:
        segment = Segment(self._next_segment_id, name, "static", now, now)
        self._next_segment_id += 1
        self.segments[list_id][segment.id] = segment
        return segment

    def retag(
        self,
        audience: Audience,
        member: Member,
        now: int,
        add: Set[int] = frozenset(),
        remove: Set[int] = frozenset(),
    ) -> Member | None:
        """Save `member` with tags added and removed; None when that changes nothing."""
        tags = (member.tags | add) - remove
        if tags == member.tags:
            return None
        self.touch_segments(audience.id, tags ^ member.tags, now)
        changed = dataclasses.replace(member, tags=tags, last_changed=now)
        audience.save(changed)
        return changed

    def touch_segments(self, list_id: str, segment_ids: Set[int], now: int) -> None:
        """The segments whose members changed were updated now."""
        for segment_id in segment_ids:
            self.segments[list_id][segment_id].updated_at = now

    def segment_filter(
        self, list_id: str, segment: Segment, statuses: frozenset[str] = SEGMENT_STATUSES
    ) -> MemberFilter:
        if segment.is_tag:
            return MemberFilter(statuses=statuses, tag=segment.id)
        assert segment.opted_within is not None  # the only saved segment is the seeded one
        anchor = self.population.seeding.anchor
        return MemberFilter(
            statuses=statuses & {SUBSCRIBED}, opted_since=anchor - segment.opted_within
        )

    def segment_size(self, list_id: str, segment: Segment) -> int:
        return len(self.audience(list_id).refs(self.segment_filter(list_id, segment)))


def _copy(segment: Segment) -> Segment:
    return Segment(
        segment.id,
        segment.name,
        segment.type,
        segment.created_at,
        segment.updated_at,
        [dict(c) for c in segment.conditions],
        segment.opted_within,
    )
