"""Injected failures: error statuses, throttling, dropped connections, slowness, broken bodies.

A fault plan gives each service a rate per kind of fault. Whether the n-th request to a service
fails is decided from (seed, service, n), so a sequential client sees the same faults on every run
with the same seed. Faults can also be queued ("the next two Mailchimp requests get 503") for tests
that need one exact failure.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

from sandbox.seeded import unit

SERVICES = ("zendesk", "mailchimp", "surveymonkey")
FAULT_KINDS = ("500", "502", "503", "429", "drop", "slow", "malformed")
DEFAULT_SLOW_SECONDS = 2.0


class FaultSpecError(ValueError):
    """A --faults value or a /_sandbox/faults body that cannot be understood."""


@dataclass
class FaultPlan:
    rates: dict[str, dict[str, float]] = field(default_factory=dict)
    slow_seconds: float = DEFAULT_SLOW_SECONDS

    def as_json(self) -> dict[str, object]:
        return {"rates": self.rates, "slow_seconds": self.slow_seconds}


def parse_fault_spec(spec: str) -> FaultPlan:
    """Parse `SERVICE:KIND=RATE,...` (SERVICE may be `all`) plus an optional `slow=SECONDS`.

    Example: `zendesk:503=0.05,mailchimp:429=0.02,all:drop=0.01,slow=1.5`.
    """
    plan = FaultPlan()
    for position, item in enumerate(filter(None, (p.strip() for p in spec.split(","))), 1):
        where = f"--faults item {position} ({item!r})"
        target, sep, value = item.partition("=")
        if not sep:
            raise FaultSpecError(f"{where}: expected SERVICE:KIND=RATE or slow=SECONDS")
        if target == "slow":
            plan.slow_seconds = _number(value, where, low=0.0, high=600.0)
            continue
        service, colon, kind = target.partition(":")
        if not colon:
            raise FaultSpecError(f"{where}: expected SERVICE:KIND=RATE, e.g. zendesk:503=0.05")
        rate = _number(value, where, low=0.0, high=1.0)
        for name in _services(service, where):
            _set_rate(plan, name, kind, rate, where)
    return plan


def plan_from_json(body: object) -> FaultPlan:
    """The /_sandbox/faults body: {"rates": {"zendesk": {"503": 0.1}}, "slow_seconds": 1}."""
    if not isinstance(body, dict):
        raise FaultSpecError("faults body must be a JSON object with 'rates' and 'slow_seconds'")
    unknown = set(body) - {"rates", "slow_seconds", "queue"}
    if unknown:
        raise FaultSpecError(f"unknown keys in faults body: {sorted(unknown)}")
    plan = FaultPlan()
    if "slow_seconds" in body:
        plan.slow_seconds = _number(body["slow_seconds"], "slow_seconds", low=0.0, high=600.0)
    rates = body.get("rates", {})
    if not isinstance(rates, dict):
        raise FaultSpecError("'rates' must map a service to {kind: rate}")
    for service, kinds in rates.items():
        if not isinstance(kinds, dict):
            raise FaultSpecError(f"rates.{service} must map a fault kind to a rate")
        for name in _services(str(service), f"rates.{service}"):
            for kind, rate in kinds.items():
                where = f"rates.{service}.{kind}"
                _set_rate(plan, name, str(kind), _number(rate, where, 0.0, 1.0), where)
    return plan


def _services(service: str, where: str) -> tuple[str, ...]:
    if service == "all":
        return SERVICES
    if service not in SERVICES:
        raise FaultSpecError(
            f"{where}: unknown service {service!r}; known: all, {', '.join(SERVICES)}"
        )
    return (service,)


def _set_rate(plan: FaultPlan, service: str, kind: str, rate: float, where: str) -> None:
    if kind not in FAULT_KINDS:
        raise FaultSpecError(
            f"{where}: unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}"
        )
    kinds = plan.rates.setdefault(service, {})
    kinds[kind] = rate
    if sum(kinds.values()) > 1.0:
        raise FaultSpecError(f"{where}: the fault rates for {service} add up to more than 1")


def _number(value: object, where: str, low: float, high: float) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise FaultSpecError(f"{where}: {value!r} is not a number") from None
    if not low <= number <= high:
        raise FaultSpecError(f"{where}: {number} is outside {low}..{high}")
    return number


class FaultInjector:
    """Decides, request by request, whether and how a service fails."""

    def __init__(self, seed: int, plan: FaultPlan | None = None) -> None:
        self._seed = seed
        self._lock = threading.Lock()
        self.plan = plan or FaultPlan()
        self._counts: dict[str, int] = {}
        self._queued: dict[str, deque[str]] = {}

    def configure(self, plan: FaultPlan) -> None:
        with self._lock:
            self.plan = plan

    def enqueue(self, service: str, kinds: list[str]) -> None:
        for kind in kinds:
            if kind not in FAULT_KINDS:
                raise FaultSpecError(f"queue.{service}: unknown fault kind {kind!r}")
        for name in _services(service, f"queue.{service}"):
            with self._lock:
                self._queued.setdefault(name, deque()).extend(kinds)

    def clear(self) -> None:
        with self._lock:
            self.plan = FaultPlan()
            self._queued.clear()
            self._counts.clear()  # a reset sandbox draws the same faults as a fresh one

    def decide(self, service: str) -> str | None:
        with self._lock:
            queued = self._queued.get(service)
            if queued:
                return queued.popleft()
            n = self._counts.get(service, 0)
            self._counts[service] = n + 1
            rates = self.plan.rates.get(service)
        if not rates:
            return None
        draw = unit(self._seed, "fault:" + service, n)
        threshold = 0.0
        for kind in FAULT_KINDS:
            threshold += rates.get(kind, 0.0)
            if draw < threshold:
                return kind
        return None

    def as_json(self) -> dict[str, object]:
        with self._lock:
            return {**self.plan.as_json(), "queue": {k: list(v) for k, v in self._queued.items()}}
