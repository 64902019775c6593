"""The conditions engine at volume: N synthetic profiles x 20 cookbook-like condition sets.

    python -m bench.conditions [--profiles 1000000] [--chunk 10000] [--seed 7]

Profiles are generated in chunks from a seeded RNG (so memory stays flat) and only evaluation is
timed, on one core. By default the 20 sets run fused (`batch`: one generated function, each field
read once per profile), as the pipeline will; `--separately` runs each set's own
`predicate(now)` over the profile instead, to show what fusing buys.
Times are distinct per profile (minute resolution over three years), as in a real account, so the
time-string parse cache sees realistic misses; its hit rate is printed.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from mappings.conditions import batch, compile_conditions
from mappings.conditions.values import _parse_time

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def cond(field: str, operator: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "operator": operator, **({} if value is None else {"value": value})}


SETS: dict[str, dict[str, Any]] = {
    "product line A": {"all": [cond("user_fields.product_line", "is", "product_line_a")]},
    "product line B": {"all": [cond("user_fields.product_line", "is", "product_line_b")]},
    "product line C": {"all": [cond("user_fields.product_line", "is", "product_line_c")]},
    "new in 30 days": {"all": [cond("user.created_at", "within_previous_n_days", 30)]},
    "VIP": {"all": [cond("tags", "includes", "vip")]},
    "bad rating": {"all": [cond("tags", "includes", "bad_rating")]},
    "preferred phone": {"all": [cond("user_fields.phone_model", "present")]},
    "preferred tablet": {"all": [cond("user_fields.tablet_model", "present")]},
    "iPhone 15": {"all": [cond("user_fields.phone_model", "is", "iphone_15")]},
    "iOS 17": {"all": [cond("user_fields.ios_version", "is", "ios_17")]},
    "platinum, big spender or influencer": {
        "any": [
            cond("user_fields.tier", "is", "platinum"),
            cond("user_fields.average_annual_spend", "greater_than", 1000),
            cond("user_fields.social_influence", "is", "high"),
        ]
    },
    "bad rating with comment": {
        "all": [
            cond("satisfaction.last_score", "is", "bad"),
            cond("satisfaction.last_comment_present", "is", True),
        ]
    },
    "retail subscribers": {
        "all": [
            cond("mailchimp.status.Retail Customers", "is", "subscribed"),
            cond("user.suspended", "is", False),
        ]
    },
    "open tickets": {"all": [cond("tickets.open_count", "greater_than", 0)]},
    "chat users": {"all": [cond("tickets.channels", "includes", ["chat", "messaging"])]},
    "dormant": {"all": [cond("tickets.last_created_at", "more_than_n_days_ago", 180)]},
    "bad rating this week": {
        "all": [cond("satisfaction.last_bad_at", "within_previous_n_days", 7)]
    },
    "Italian customers": {"all": [cond("user.locale", "is", "it")]},
    "long-standing VIPs": {
        "all": [
            cond("user_fields.plan_join_date", "less_than", "2025-01-01"),
            cond("user_fields.vip", "is", True),
        ]
    },
    "frequent, not on newsletter": {
        "all": [
            cond("tickets.count", "greater_than_or_equal", 5),
            cond("tags", "not_includes", "newsletter"),
        ],
        "any": [cond("user.locale", "is", "it"), cond("user.locale", "is", "en-US")],
    },
}


EPOCH_TIMES = False  # --times epoch: the profile holds Unix seconds instead of Zendesk's strings


def stamp(rng: random.Random, days: int) -> str | int:
    moment = NOW - timedelta(minutes=rng.randrange(days * 24 * 60))
    if EPOCH_TIMES:
        return int(moment.timestamp())
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def join_date(moment: str | int) -> str | int:
    """A date field: midnight UTC of the day, as Zendesk stores dates (or as Unix seconds)."""
    if isinstance(moment, int):
        return moment - moment % 86_400
    return moment[:10] + "T00:00:00Z"


def profile(rng: random.Random, i: int) -> dict[str, Any]:
    """One synthetic customer, shaped as the pipeline will build it; some parts missing."""
    tags = [t for t in ("vip", "bad_rating", "newsletter", "wholesale") if rng.random() < 0.2]
    user_fields: dict[str, Any] = {
        "product_line": rng.choice(["product_line_a", "product_line_b", "product_line_c", None]),
        "average_annual_spend": round(rng.uniform(0, 3000), 2),
        "vip": rng.random() < 0.1,
        "plan_join_date": join_date(stamp(rng, 1500)),
        "tier": rng.choice(["silver", "gold", "platinum"]),
    }
    if rng.random() < 0.6:
        user_fields["phone_model"] = rng.choice(["iphone_15", "iphone_14", "pixel_8", "galaxy_s24"])
        user_fields["ios_version"] = rng.choice(["ios_16", "ios_17", None])
    if rng.random() < 0.3:
        user_fields["tablet_model"] = rng.choice(["ipad_air", "galaxy_tab"])
    if rng.random() < 0.05:
        user_fields["social_influence"] = "high"
    bad = rng.random() < 0.15
    return {
        "user": {
            "id": 368000000000 + i,
            "email": f"customer{i}@example.com",
            "created_at": stamp(rng, 1100),
            "role": "end-user",
            "locale": rng.choice(["it", "en-US", "de", "fr"]),
            "suspended": rng.random() < 0.01,
            "active": True,
        },
        "user_fields": user_fields,
        "tags": tags,
        "tickets": {
            "count": rng.randrange(12),
            "open_count": rng.randrange(3),
            "last_created_at": stamp(rng, 400),
            "channels": rng.sample(["email", "chat", "web", "messaging"], rng.randrange(3)),
        },
        "satisfaction": {
            "last_score": "bad" if bad else rng.choice(["good", "offered", None]),
            "bad_count": int(bad),
            "last_bad_at": stamp(rng, 60) if bad else None,
            "last_comment_present": rng.random() < 0.5,
        },
        "mailchimp": {"status": {"Retail Customers": rng.choice(["subscribed", "unsubscribed"])}},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--separately", action="store_true", help="one predicate call per set")
    parser.add_argument(
        "--times",
        choices=("iso", "epoch"),
        default="iso",
        help="times in the profiles as Zendesk's ISO strings or as Unix seconds",
    )
    args = parser.parse_args()
    global EPOCH_TIMES
    EPOCH_TIMES = args.times == "epoch"

    started = time.perf_counter()
    compiled = {name: compile_conditions(spec) for name, spec in SETS.items()}
    fused = batch(list(compiled.values())).predicate(NOW)
    separate = [c.predicate(NOW) for c in compiled.values()]
    compile_seconds = time.perf_counter() - started

    rng = random.Random(args.seed)
    counts = [0] * len(SETS)
    evaluating = 0.0
    done = 0
    while done < args.profiles:
        chunk = [profile(rng, done + i) for i in range(min(args.chunk, args.profiles - done))]
        tick = time.perf_counter()
        if args.separately:
            for p in chunk:
                for i, matches in enumerate(separate):
                    if matches(p):
                        counts[i] += 1
        else:
            for p in chunk:
                for i, outcome in enumerate(fused(p)):
                    if outcome:
                        counts[i] += 1
        evaluating += time.perf_counter() - tick
        done += len(chunk)

    cache = _parse_time.cache_info()
    lookups = cache.hits + cache.misses
    print(f"compiled {len(SETS)} condition sets in {compile_seconds * 1000:.2f} ms")
    print(f"profiles: {done:,}  condition sets: {len(SETS)}  evaluations: {done * len(SETS):,}")
    mode = "each set separately" if args.separately else "all sets fused (batch)"
    print(f"evaluation, {mode}: {evaluating:.2f} s on one core (counting matches included)")
    print(f"  {done / evaluating:,.0f} profiles/s (all {len(SETS)} sets each)")
    print(f"  {done * len(SETS) / evaluating:,.0f} set evaluations/s")
    print(f"  {evaluating / (done * len(SETS)) * 1e9:.0f} ns per set evaluation")
    print(f"time-string cache: {cache.hits:,} hits / {lookups:,} lookups")
    for name, count in zip(SETS, counts, strict=True):
        print(f"  {name:38} {count:>9,} ({count / done:.1%})")


if __name__ == "__main__":
    main()
