"""Records in the order the incremental export returns them: by (updated_at, id).

Seeded records keep their update times in a compact array sorted once at start-up; records that
changed since (or were created since) live in a small sorted list beside it. Walking both in step
gives the export's order without holding a million records.
"""

from __future__ import annotations

import bisect
import heapq
from array import array
from collections.abc import Iterator

Key = tuple[int, int]  # (updated_at, index)


class UpdateOrder:
    def __init__(self, seeded_updated_at: array[int]) -> None:
        self._seeded = seeded_updated_at
        self._seeded_order = array(
            "l", sorted(range(len(seeded_updated_at)), key=seeded_updated_at.__getitem__)
        )
        self._moved: set[int] = set()  # seeded indexes whose record was changed
        self._changed: list[Key] = []  # sorted keys of changed and new records
        self._changed_at: dict[int, int] = {}

    def touch(self, index: int, updated_at: int) -> None:
        """Record that `index` was written (or created) at `updated_at`."""
        previous = self._changed_at.get(index)
        if previous is not None:
            del self._changed[bisect.bisect_left(self._changed, (previous, index))]
        elif index < len(self._seeded):
            self._moved.add(index)
        self._changed_at[index] = updated_at
        bisect.insort(self._changed, (updated_at, index))

    def forget(self) -> None:
        """Back to the seeded order."""
        self._moved.clear()
        self._changed.clear()
        self._changed_at.clear()

    def updated_at(self, index: int) -> int:
        changed = self._changed_at.get(index)
        return changed if changed is not None else self._seeded[index]

    def after(self, key: Key) -> Iterator[Key]:
        """Every record's key greater than `key`, in export order."""
        seeded_key = self._seeded_key
        start = bisect.bisect_right(self._seeded_order, key, key=seeded_key)
        order, moved = self._seeded_order, self._moved
        seeded = (seeded_key(order[p]) for p in range(start, len(order)) if order[p] not in moved)
        changed = iter(self._changed[bisect.bisect_right(self._changed, key) :])
        return heapq.merge(seeded, changed)

    def _seeded_key(self, index: int) -> Key:
        return (self._seeded[index], index)
