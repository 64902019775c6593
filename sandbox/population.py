"""The seeded retail customer base that all three emulated services draw on.

`Population` knows who the people are (identity, role, when they joined, whether they were
suspended or deleted); each service decides what it holds about them. Person `i` is generated on
demand from the seed, so the sandbox can serve a million people without holding them: only the
few arrays that ordering and filtering need are built at start-up.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import random
from array import array
from dataclasses import dataclass
from functools import lru_cache

from sandbox.names import CUSTOMER_DOMAINS, LOCALES, STAFF_DOMAIN, Locale
from sandbox.seeded import rng

YEAR = 365 * 86_400
DAY = 86_400

ROLE_END_USER, ROLE_AGENT, ROLE_ADMIN = 0, 1, 2
ROLE_NAMES = {ROLE_END_USER: "end-user", ROLE_AGENT: "agent", ROLE_ADMIN: "admin"}
ACTIVE, SUSPENDED, SOFT_DELETED, PERMANENTLY_DELETED = 0, 1, 2, 3

API_USER_EMAIL = "admin@example.com"
_LOCALE_CHOICES = [locale for locale, _weight in LOCALES]
_LOCALE_CUM_WEIGHTS = list(itertools.accumulate(weight for _locale, weight in LOCALES))


@dataclass(frozen=True)
class Seeding:
    """What a customer base is made from: the same seeding always gives the same data."""

    users: int
    seed: int
    anchor: int  # the Unix time the data is "as of"; every seeded timestamp is before it

    def __post_init__(self) -> None:
        if self.users < 1:
            raise ValueError(f"the sandbox needs at least one user (the admin), got {self.users}")


@dataclass(frozen=True)
class Person:
    index: int
    role: str
    name: str
    given_name: str
    family_name: str
    email: str | None  # as the person typed it: case is not normalised
    phone: str | None
    locale: Locale
    created_at: int
    updated_at: int
    suspended: bool
    deletion: str | None  # None, "soft" or "permanent"

    @property
    def is_customer(self) -> bool:
        return self.role == "end-user"


class Population:
    def __init__(self, seeding: Seeding) -> None:
        self.seeding = seeding
        self.size = seeding.users
        self.created_at = array("q")
        self.updated_at = array("q")
        self.roles = bytearray(self.size)
        self.standing = bytearray(self.size)  # ACTIVE, SUSPENDED, SOFT_ or PERMANENTLY_DELETED
        self._build_skeleton()
        self.person = lru_cache(maxsize=4096)(self._make_person)

    def _build_skeleton(self) -> None:
        """Join and update times, roles and standing for everyone, in one sequential pass."""
        stream = random.Random(self.seeding.seed)
        anchor = self.seeding.anchor
        start = anchor - 3 * YEAR
        span = 3 * YEAR - 3600
        step = span / self.size
        for i in range(self.size):
            created = int(start + (i + stream.random()) * step)
            self.created_at.append(created)
            if stream.random() < 0.5:
                self.updated_at.append(created)
            else:
                self.updated_at.append(created + int(stream.random() * (anchor - 3600 - created)))
            draw = stream.random()
            if i == 0 or draw < 0.0005:
                self.roles[i] = ROLE_ADMIN
            elif draw < 0.012:
                self.roles[i] = ROLE_AGENT
            else:
                draw = stream.random()
                if draw < 0.002:
                    self.standing[i] = PERMANENTLY_DELETED
                elif draw < 0.007:
                    self.standing[i] = SOFT_DELETED
                elif draw < 0.017:
                    self.standing[i] = SUSPENDED

    def count_created_before(self, when: float) -> int:
        """How many people had joined before `when` (people join in index order)."""
        return bisect.bisect_left(self.created_at, when)

    def _make_person(self, i: int) -> Person:
        if not 0 <= i < self.size:
            raise IndexError(f"person {i} is outside 0..{self.size - 1}")
        person = draw_person(
            i,
            rng(self.seeding.seed, "person", i),
            role=ROLE_NAMES[self.roles[i]],
            standing=self.standing[i],
            created_at=self.created_at[i],
            updated_at=self.updated_at[i],
        )
        if i == 0:
            return dataclasses.replace(
                person,
                name="Sandbox Admin",
                given_name="Sandbox",
                family_name="Admin",
                email=API_USER_EMAIL,
                locale=LOCALES[0][0],
            )
        return person


def draw_person(
    i: int, r: random.Random, role: str, standing: int, created_at: int, updated_at: int
) -> Person:
    """A person's identity drawn from `r`; also used for people who sign up later."""
    locale = r.choices(_LOCALE_CHOICES, cum_weights=_LOCALE_CUM_WEIGHTS)[0]
    given, given_ascii = r.choice(locale.given)
    family, family_ascii = r.choice(locale.family)
    name = f"{family}{given}" if locale.family_first else f"{given} {family}"
    domain = r.choice(CUSTOMER_DOMAINS) if role == "end-user" else STAFF_DOMAIN
    email: str | None = f"{given_ascii}.{family_ascii}{i}@{domain}"
    phone = f"+1555{r.randrange(10**7):07d}" if r.random() < 0.4 else None
    draw = r.random()
    if role == "end-user" and draw < 0.03:
        email, phone = None, phone or f"+1555{r.randrange(10**7):07d}"
    elif email and draw < 0.08:
        local, at_domain = email.split("@")
        email = f"{local.title()}@{at_domain.capitalize()}"
    return Person(
        index=i,
        role=role,
        name=name,
        given_name=given,
        family_name=family,
        email=email,
        phone=phone,
        locale=locale,
        created_at=created_at,
        updated_at=updated_at,
        suspended=standing == SUSPENDED,
        deletion={SOFT_DELETED: "soft", PERMANENTLY_DELETED: "permanent"}.get(standing),
    )
