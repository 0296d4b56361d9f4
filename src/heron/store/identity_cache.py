"""What the writing store knows of recent identity rows, so a commit need not read them again.

Loading a commit's :class:`~heron.store.identity.IdentityState` takes two queries and
writing its plan three to five statements; on DuckDB each costs milliseconds whatever
its size, which bounded how many commits a second carried identity events. The store
that writes ``persons`` and ``person_overrides`` (there is one writer per file) keeps the
rows it has read or written here, and queries only for the rest.

Every entry equals the stored row or records that there is none (``None``). The store
reads through the cache, and applies a plan to it only after the plan's transaction has
committed (it clears the cache if a commit fails), so an entry never runs ahead of the
file. Merges rewrite stored overrides that point at an absorbed person; the cache finds
its own such entries through a reverse index. Both maps are bounded (least recently used
entries are dropped), so memory stays flat however many persons there are.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from typing import Any, TypeVar

from heron.store.identity import IdentityPlan

PersonRow = tuple[dict[str, Any], bool]
"""A person's properties and whether it is identified."""
_Key = tuple[int, uuid.UUID]
_V = TypeVar("_V")


class IdentityCache:
    def __init__(self, capacity: int = 200_000) -> None:
        self.capacity = capacity
        self._overrides: OrderedDict[_Key, uuid.UUID | None] = OrderedDict()
        self._absorbed: dict[_Key, set[uuid.UUID]] = {}
        """(project, survivor) → the cached old persons that point at it."""
        self._persons: OrderedDict[_Key, PersonRow | None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._overrides) + len(self._persons)

    def clear(self) -> None:
        self._overrides.clear()
        self._absorbed.clear()
        self._persons.clear()

    # -- reads ----------------------------------------------------------------------------

    def overrides(
        self, project_id: int, persons: set[uuid.UUID]
    ) -> tuple[dict[uuid.UUID, uuid.UUID], set[uuid.UUID]]:
        """``(known overrides among persons, persons whose override is not cached)``."""
        return _lookup(self._overrides, project_id, persons)

    def persons(
        self, project_id: int, persons: set[uuid.UUID]
    ) -> tuple[dict[uuid.UUID, PersonRow], set[uuid.UUID]]:
        """``(known person rows among persons, persons whose row is not cached)``."""
        return _lookup(self._persons, project_id, persons)

    # -- what the store read --------------------------------------------------------------

    def loaded_overrides(
        self, project_id: int, asked: set[uuid.UUID], found: dict[uuid.UUID, uuid.UUID]
    ) -> None:
        for person in asked:
            self._set_override((project_id, person), found.get(person))

    def loaded_persons(
        self, project_id: int, asked: set[uuid.UUID], found: dict[uuid.UUID, PersonRow]
    ) -> None:
        for person in asked:
            self._set_person((project_id, person), found.get(person))

    # -- what the store committed ---------------------------------------------------------

    def committed(self, project_id: int, plan: IdentityPlan) -> None:
        """Apply a plan whose transaction has committed, as the store applied it."""
        for absorbed, survivor in plan.redirects().items():
            pointing = self._absorbed.pop((project_id, absorbed), set())
            for old in pointing:
                self._set_override((project_id, old), survivor)
            self._set_override((project_id, absorbed), survivor)
        for person in plan.deleted:
            self._set_person((project_id, person), None)
        for person, row in plan.persons.items():
            self._set_person((project_id, person), row)

    # -- bounded maps ---------------------------------------------------------------------

    def _set_override(self, key: _Key, survivor: uuid.UUID | None) -> None:
        self._unlink(key)
        self._overrides[key] = survivor
        self._overrides.move_to_end(key)
        if survivor is not None:
            self._absorbed.setdefault((key[0], survivor), set()).add(key[1])
        while len(self._overrides) > self.capacity:
            self._unlink(next(iter(self._overrides)))
            self._overrides.popitem(last=False)

    def _unlink(self, key: _Key) -> None:
        survivor = self._overrides.get(key)
        if survivor is None:
            return
        pointing = self._absorbed.get((key[0], survivor))
        if pointing is not None:
            pointing.discard(key[1])
            if not pointing:
                del self._absorbed[(key[0], survivor)]

    def _set_person(self, key: _Key, row: PersonRow | None) -> None:
        self._persons[key] = row
        self._persons.move_to_end(key)
        while len(self._persons) > self.capacity:
            self._persons.popitem(last=False)


def _lookup(
    entries: OrderedDict[_Key, _V | None], project_id: int, persons: set[uuid.UUID]
) -> tuple[dict[uuid.UUID, _V], set[uuid.UUID]]:
    """The cached non-empty entries of ``persons``, and the persons not cached at all."""
    known: dict[uuid.UUID, _V] = {}
    missing: set[uuid.UUID] = set()
    for person in persons:
        key = (project_id, person)
        if key not in entries:
            missing.add(person)
            continue
        entries.move_to_end(key)
        value = entries[key]
        if value is not None:
            known[person] = value
    return known, missing
