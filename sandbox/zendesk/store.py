"""Records derived from the seed on demand, with the ones that changed kept whole."""

from __future__ import annotations

from abc import ABC, abstractmethod
from array import array
from typing import Any

from sandbox.zendesk.ordering import UpdateOrder

Record = dict[str, Any]


class SeededStore(ABC):
    """Record `index` has the Zendesk id `id_base + index`; seeded records come first."""

    id_base: int

    def __init__(self, seeded_updated_at: array[int]) -> None:
        self.seeded_count = len(seeded_updated_at)
        self.order = UpdateOrder(seeded_updated_at)
        self.changed: dict[int, Record] = {}
        self.count = self.seeded_count

    @abstractmethod
    def _seeded(self, index: int) -> Record:
        """The seeded record at `index`, derived afresh."""

    def zendesk_id(self, index: int) -> int:
        return self.id_base + index

    def index_of(self, zendesk_id: Any) -> int | None:
        if isinstance(zendesk_id, bool) or not isinstance(zendesk_id, int):
            return None
        index = zendesk_id - self.id_base
        return index if 0 <= index < self.count else None

    def get(self, index: int) -> Record:
        """The current record. Writers replace records (`put`), never change them in place."""
        changed = self.changed.get(index)
        return changed if changed is not None else self._seeded(index)

    def put(self, index: int, record: Record) -> None:
        self.changed[index] = record
        self.order.touch(index, record["updated_at"])

    def add(self, record: Record) -> int:
        index = self.count
        self.count += 1
        record["id"] = self.zendesk_id(index)
        self.put(index, record)
        return index

    def reset(self) -> None:
        """Forget every change: back to the seeded records."""
        self.changed.clear()
        self.order.forget()
        self.count = self.seeded_count
