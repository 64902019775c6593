"""The whole evaluation at volume: N profiles x 20 lists and 10 rules, as a sync runs it.

    python -m bench.mappings [--profiles 1000000] [--chunk 10000] [--seed 7] [--times epoch|iso]

The config is a real `Config` compiled by `compile_mappings` (no schema: custom fields untyped):
the 20 cookbook-like condition sets of `bench.conditions` as lists (two of them grouped), and 10
rules that set fields, add and remove tags and set ticket priority and group, several of which
fire for most customers. Profiles come from `bench.conditions.profile` in chunks (memory stays
flat); only `Mappings.evaluate_many(chunk, now)` is timed, on one core. Times default to
Unix seconds, as the state store keeps them.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from typing import Any

import bench.conditions as synthetic
from mappings.build import compile_mappings
from mappings.config import Config
from mappings.engine import Mappings

GROUPED = {
    "preferred phone": "user_fields.phone_model",
    "preferred tablet": "user_fields.tablet_model",
}


def rule(name: str, conditions: dict[str, Any], *actions: tuple[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "conditions": conditions,
        "actions": [{"field": field, "value": value} for field, value in actions],
    }


c = synthetic.cond
RULES = [
    rule(
        "flag bad ratings",
        {"all": [c("satisfaction.last_score", "is", "bad")]},
        ("user_fields.bad_rating_submitted", True),
        ("add_tags", "bad_rating"),
    ),
    rule(
        "VIP tickets",
        {
            "any": [
                c("user_fields.tier", "is", "platinum"),
                c("user_fields.average_annual_spend", "greater_than", 1000),
                c("user_fields.social_influence", "is", "high"),
            ]
        },
        ("tickets.priority", "high"),
        ("tickets.group", "VIP Support"),
    ),
    rule(
        "platinum tag", {"all": [c("user_fields.tier", "is", "platinum")]}, ("add_tags", "platinum")
    ),
    rule(
        "spend band",
        {"all": [c("user_fields.average_annual_spend", "greater_than", 2000)]},
        ("user_fields.spend_band", "high"),
    ),
    rule(
        "dormant",
        {"all": [c("tickets.last_created_at", "more_than_n_days_ago", 180)]},
        ("add_tags", "dormant"),
    ),
    rule("chat users", {"all": [c("tickets.channels", "includes", "chat")]}, ("add_tags", "chat")),
    rule(
        "new customers",
        {"all": [c("user.created_at", "within_previous_n_days", 30)]},
        ("add_tags", "new_customer"),
    ),
    rule("suspended", {"all": [c("user.suspended", "is", True)]}, ("remove_tags", "newsletter")),
    rule(
        "upgrade candidates",
        {"all": [c("user_fields.phone_model", "is", "iphone_14")]},
        ("user_fields.upgrade_candidate", True),
    ),
    rule(
        "frequent",
        {"all": [c("tickets.count", "greater_than_or_equal", 8)]},
        ("tickets.add_tags", "frequent"),
    ),
]


def config() -> Config:
    lists = [
        {
            "name": name,
            "conditions": spec,
            **({"group_by": GROUPED[name]} if name in GROUPED else {}),
        }
        for name, spec in synthetic.SETS.items()
    ]
    data = {
        "zendesk": {"subdomain": "bench", "email": "admin@bench.test", "token": "env:T"},
        "rules": RULES,
        "lists": lists,
    }
    return Config.model_validate(data, context={"env": {"T": "x"}, "read_file": lambda _: ""})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--times", choices=("iso", "epoch"), default="epoch")
    args = parser.parse_args()
    synthetic.EPOCH_TIMES = args.times == "epoch"

    started = time.perf_counter()
    mappings, problems = compile_mappings(config())
    assert mappings is not None, problems
    compile_seconds = time.perf_counter() - started

    rng = random.Random(args.seed)
    members: Counter[str] = Counter()
    fired: Counter[str] = Counter()
    conflicts = profiles_with_actions = 0
    evaluating = 0.0
    done = 0
    while done < args.profiles:
        size = min(args.chunk, args.profiles - done)
        chunk = [synthetic.profile(rng, done + i) for i in range(size)]
        tick = time.perf_counter()
        results = mappings.evaluate_many(chunk, synthetic.NOW)
        evaluating += time.perf_counter() - tick
        for result in results:
            members.update(m.list for m in result.memberships)
            fired.update(result.desired.fired)
            conflicts += len(result.desired.conflicts)
            profiles_with_actions += bool(result.desired)
        done += size
        # The results hold the chunk's profiles: free them here, not inside the next timing
        # (freeing a chunk of input profiles is the producer's cost, not evaluation's).
        del chunk, results

    report(mappings, done, evaluating, compile_seconds, members, fired)
    print(f"profiles with rule actions: {profiles_with_actions:,}; conflicts: {conflicts:,}")


def report(
    mappings: Mappings,
    done: int,
    evaluating: float,
    compile_seconds: float,
    members: Counter[str],
    fired: Counter[str],
) -> None:
    print(f"compiled {len(mappings.rules)} rules and {len(mappings.lists)} lists in "
          f"{compile_seconds * 1000:.1f} ms")  # fmt: skip
    print(f"profiles: {done:,}; times as {'Unix seconds' if synthetic.EPOCH_TIMES else 'ISO text'}")
    print(f"evaluation (rules, then lists on the result): {evaluating:.2f} s on one core")
    print(f"  {done / evaluating:,.0f} profiles/s; {evaluating / done * 1e6:.2f} µs per profile")
    for rule_ in mappings.rules:
        print(
            f"  rule {rule_.name:34} fired {fired[rule_.name]:>9,} ({fired[rule_.name] / done:.1%})"
        )
    for lst in mappings.lists:
        print(f"  list {lst.name:34} {members[lst.name]:>9,} memberships")


if __name__ == "__main__":
    main()
