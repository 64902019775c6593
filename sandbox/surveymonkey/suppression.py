"""Which addresses SurveyMonkey will not send to: those that opted out, and those that bounced.

About 1% of the population's customers opted out of SurveyMonkey mail and 1% bounced, drawn per
person from the seed. No per-person set is built: every seeded address names its person
(`given.family{index}@domain`), so the check reads the index off the address and compares the
address with that person's — one cached person lookup, whatever the population's size. Changes
made by /_sandbox/mutate are held in small sets beside it.
"""

from __future__ import annotations

import re

from sandbox.population import Population
from sandbox.seeded import unit

OPTED_OUT, BOUNCED = "opted_out", "bounced"
OPTED_OUT_SHARE = 0.01
BOUNCED_SHARE = 0.01
STATUS_DRAW = "surveymonkey-contact-status"
_TRAILING_INDEX = re.compile(r"(\d{1,9})$")


class Suppression:
    def __init__(self, population: Population) -> None:
        self.population = population
        self.added: dict[str, set[str]] = {OPTED_OUT: set(), BOUNCED: set()}  # lower-cased
        self._seeded_listing: dict[str, list[str]] | None = None

    def forget_changes(self) -> None:
        self.added = {OPTED_OUT: set(), BOUNCED: set()}

    def seeded_status(self, index: int) -> str | None:
        draw = unit(self.population.seeding.seed, STATUS_DRAW, index)
        if draw < OPTED_OUT_SHARE:
            return OPTED_OUT
        if draw < OPTED_OUT_SHARE + BOUNCED_SHARE:
            return BOUNCED
        return None

    def status(self, email: str) -> str | None:
        """`opted_out`, `bounced` or None for an address, compared without regard to case."""
        folded = email.lower()
        for status in (OPTED_OUT, BOUNCED):
            if folded in self.added[status]:
                return status
        index = self._person_index(folded)
        return None if index is None else self.seeded_status(index)

    def add(self, status: str, email: str) -> None:
        self.added[status].add(email.lower())

    def _person_index(self, folded: str) -> int | None:
        local, at, _domain = folded.rpartition("@")
        found = _TRAILING_INDEX.search(local) if at else None
        if found is None:
            return None
        index = int(found.group(1))
        if index >= self.population.size:
            return None
        person = self.population.person(index)
        if not person.is_customer or person.email is None or person.email.lower() != folded:
            return None
        return index

    def seeded_listing(self) -> dict[str, list[str]]:
        """Every seeded suppressed address, by status: one pass over the population, cached.

        About two seconds for a million people, so it is only made when asked for (`state()`).
        """
        if self._seeded_listing is None:
            listing: dict[str, list[str]] = {OPTED_OUT: [], BOUNCED: []}
            for index in range(self.population.size):
                status = self.seeded_status(index)
                if status is None:
                    continue
                person = self.population.person(index)
                if person.is_customer and person.email is not None:
                    listing[status].append(person.email)
            self._seeded_listing = listing
        return self._seeded_listing
