"""How a sandbox is set up: its customer base, its limits, its faults and its sense of time."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sandbox.faults import FaultPlan
from sandbox.population import DAY, Seeding

RATE_LIMIT_MODES = ("realistic", "off")


@dataclass
class SandboxConfig:
    users: int = 1000
    seed: int = 1
    anchor: int | None = None  # default: midnight UTC today, so a day's runs see the same data
    rate_limits: str = "realistic"
    zendesk_rpm: int = 400  # the account's plan limit (Growth/Professional)
    zendesk_incremental_rpm: int = 10
    mailchimp_connections: int = 10
    surveymonkey_rpm: int = 120
    surveymonkey_daily: int = 500
    time_scale: float = 1.0
    latency: float = 0.0  # real seconds added to every API request, to model a network
    faults: FaultPlan = field(default_factory=FaultPlan)

    def __post_init__(self) -> None:
        if self.rate_limits not in RATE_LIMIT_MODES:
            raise ValueError(
                f"rate limits must be one of {', '.join(RATE_LIMIT_MODES)}, "
                f"got {self.rate_limits!r}"
            )
        for name in (
            "zendesk_rpm",
            "zendesk_incremental_rpm",
            "mailchimp_connections",
            "surveymonkey_rpm",
            "surveymonkey_daily",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.time_scale <= 0:
            raise ValueError(f"time scale must be positive, got {self.time_scale}")
        if self.latency < 0:
            raise ValueError(f"latency must not be negative, got {self.latency}")

    @property
    def limited(self) -> bool:
        return self.rate_limits == "realistic"

    def seeding(self) -> Seeding:
        anchor = self.anchor if self.anchor is not None else int(time.time() // DAY * DAY)
        return Seeding(users=self.users, seed=self.seed, anchor=anchor)
