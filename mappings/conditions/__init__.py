"""Zendesk-style conditions over the customer profile: compile once, evaluate fast, explain.

    compiled = compile_conditions({"all": [{"field": "tags", "operator": "includes",
                                             "value": "vip"}]})
    compiled.matches(profile, now)          # now: an aware datetime (UTC)
    print(explain(compiled, profile, now))  # why (not)
    batch([vip, new, ...]).predicate(now)   # many sets at once: profile -> tuple of bools

Rules of evaluation, chosen once for every field:

- Missing, None or ill-typed data never raises; it does not match. `is_not` means "has a value
  of the right type, and it is not this one"; `not_present` is the way to ask for an empty field.
  A list field that is missing counts as empty, so `not_includes` matches it.
- Text compares case-insensitively (emails; Zendesk's tags are lower-case anyway);
  `includes_string` / `not_includes_string` look for a piece of text in it (Zendesk's
  "contains the following string").
- A dropdown's value may be written as the option's name or its tag when the schema is known;
  the profile holds the tag.
- A numeric string in the data ("1200.50") compares as a number.
- Times: ISO-8601 (`Z`, offsets such as `+02:00`; plain dates are midnight UTC; no offset is UTC)
  or Unix seconds. `within_previous_n_days N` is `now - N days <= t <= now` (both edges included),
  `within_next_n_days N` is `now <= t <= now + N days`, `more_than_n_days_ago N` is
  `t < now - N days` — so for a past time exactly one of the first and last holds.
"""

from __future__ import annotations

from mappings.conditions.batch import Batch, batch
from mappings.conditions.compile import Compiled, compile_conditions
from mappings.conditions.explain import Explanation, explain
from mappings.conditions.fields import BUILTINS, FieldType
from mappings.conditions.problems import ConditionsError, Problem
from mappings.conditions.reference import reference_matches

__all__ = [
    "BUILTINS",
    "Batch",
    "Compiled",
    "ConditionsError",
    "Explanation",
    "FieldType",
    "Problem",
    "batch",
    "compile_conditions",
    "explain",
    "reference_matches",
]
