"""Identity: which distinct ids are one person, and that person's properties.

Every distinct id starts as its own person (``heron.events.person_id_for``). Merges are
recorded as *overrides* (absorbed person → surviving person), kept flat so a query
resolves any event's person with one join on a small table. The rules follow what
PostHog users expect:

- ``$identify`` (``distinct_id`` = the user, ``$anon_distinct_id`` = the visitor) marks the
  user's person identified and absorbs the visitor's person, unless that person is itself
  already identified (two known users are never merged by ``$identify``);
- ``$create_alias`` (``alias`` joins ``distinct_id``'s person) merges unless both persons
  are identified;
- ``$set`` overwrites and ``$set_once`` fills missing person properties, applied in
  timestamp order; on a merge the surviving person's values win. A person row that would
  be written unchanged is not written (its ``updated_at`` is the time it last changed).

This module is pure: a store loads the :class:`IdentityState` of the persons involved,
calls :func:`plan`, and writes the resulting :class:`IdentityPlan` in its transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from heron.events import person_id_for

IDENTITY_EVENTS = ("$identify", "$create_alias")
_person_id = lru_cache(maxsize=65_536)(person_id_for)
"""``person_id_for``, cached: a batch's ops name the same distinct ids again and again."""


@dataclass(frozen=True, slots=True)
class IdentityOp:
    """One identity-relevant fact from an event, in the event's time order."""

    project_id: int
    timestamp_us: int
    distinct_id: str
    identify: bool = False
    absorb: str | None = None
    """The other distinct id whose person joins this one's (visitor or alias)."""
    by_alias: bool = False
    set: dict[str, Any] = field(default_factory=dict)
    set_once: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class IdentityState:
    """What the store knows of the persons involved in a batch's identity ops."""

    overrides: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    identified: set[uuid.UUID] = field(default_factory=set)
    properties: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)


@dataclass(slots=True)
class IdentityPlan:
    """Writes for one project: merges in order, person rows to upsert, person rows to delete."""

    merges: list[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=list)
    persons: dict[uuid.UUID, tuple[dict[str, Any], bool]] = field(default_factory=dict)
    deleted: set[uuid.UUID] = field(default_factory=set)

    def redirects(self) -> dict[uuid.UUID, uuid.UUID]:
        """Every person absorbed in this plan → the person that finally survives it.

        Stores apply these with one set-based update (existing overrides pointing at an
        absorbed person move to its final survivor) and one insert. A survivor is never
        absorbed into a person it absorbed, so the chains end.
        """
        step = dict(self.merges)
        final: dict[uuid.UUID, uuid.UUID] = {}
        for absorbed in step:
            survivor = step[absorbed]
            while survivor in step:
                survivor = step[survivor]
            final[absorbed] = survivor
        return final


def extract_ops(batch: pa.Table) -> list[IdentityOp]:
    """The identity ops of a raw batch, ordered by timestamp (stable for ties).

    Only rows that are identity events or mention ``$set`` are decoded, so ordinary
    events cost one vectorised filter.
    """
    if batch.num_rows == 0:
        return []
    mask = pc.or_(
        pc.is_in(batch["event"], value_set=pa.array(IDENTITY_EVENTS)),
        pc.match_substring_regex(batch["properties"], r'"\$set'),  # RE2: ~2x match_substring
    )
    rows = batch.filter(mask)
    if rows.num_rows == 0:
        return []
    stamps = rows["timestamp"].cast(pa.timestamp("us", rows.schema.field("timestamp").type.tz))
    ops = list(
        _ops_from_rows(
            rows["project_id"].to_pylist(),
            stamps.cast(pa.int64()).to_pylist(),
            rows["event"].to_pylist(),
            rows["distinct_id"].to_pylist(),
            rows["properties"].to_pylist(),
        )
    )
    ops.sort(key=lambda op: op.timestamp_us)
    return ops


def _ops_from_rows(
    projects: list[int],
    stamps: list[int],
    events: list[str],
    distinct_ids: list[str],
    properties: list[str],
) -> Iterator[IdentityOp]:
    for project_id, timestamp_us, event, distinct_id, text in zip(
        projects, stamps, events, distinct_ids, properties, strict=True
    ):
        props = orjson.loads(text)
        absorb = None
        if event == "$identify":
            absorb = _text(props.get("$anon_distinct_id"))
        elif event == "$create_alias":
            absorb = _text(props.get("alias"))
        set_props = props.get("$set")
        set_once = props.get("$set_once")
        yield IdentityOp(
            project_id=project_id,
            timestamp_us=timestamp_us,
            distinct_id=distinct_id,
            identify=event == "$identify",
            absorb=absorb if absorb != distinct_id else None,
            by_alias=event == "$create_alias",
            set=set_props if isinstance(set_props, dict) else {},
            set_once=set_once if isinstance(set_once, dict) else {},
        )


def _text(value: Any) -> str | None:
    if isinstance(value, str) and 0 < len(value) <= 200:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def involved_persons(ops: Iterable[IdentityOp]) -> set[uuid.UUID]:
    """The initial person ids of every distinct id the ops mention."""
    ids: set[uuid.UUID] = set()
    for op in ops:
        ids.add(_person_id(op.project_id, op.distinct_id))
        if op.absorb:
            ids.add(_person_id(op.project_id, op.absorb))
    return ids


def plan(project_id: int, ops: Iterable[IdentityOp], state: IdentityState) -> IdentityPlan:
    """Apply one project's ops to the loaded state; return what to write."""
    result = IdentityPlan()
    overrides = dict(state.overrides)
    identified = set(state.identified)
    props = {pid: dict(p) for pid, p in state.properties.items()}
    touched: set[uuid.UUID] = set()

    absorbed_by: dict[uuid.UUID, list[uuid.UUID]] = {}
    for old, new in overrides.items():
        absorbed_by.setdefault(new, []).append(old)

    def resolve(distinct_id: str) -> uuid.UUID:
        pid = _person_id(project_id, distinct_id)
        return overrides.get(pid, pid)

    for op in ops:
        person = resolve(op.distinct_id)
        if op.absorb is not None:
            other = resolve(op.absorb)
            both_known = other in identified and person in identified
            blocked = both_known if op.by_alias else other in identified
            if other != person and not blocked:
                _merge(other, person, overrides, absorbed_by, props, identified, result)
                touched.add(person)
        if op.identify:
            identified.add(person)
            touched.add(person)
        if op.set or op.set_once:
            current = props.setdefault(person, {})
            for key, value in op.set_once.items():
                current.setdefault(key, value)
            current.update(op.set)
            touched.add(person)

    for pid in touched - result.deleted:
        row = (props.get(pid, {}), pid in identified)
        if pid in state.properties and row == (state.properties[pid], pid in state.identified):
            continue  # stored exactly so already (a repeated $set or $identify)
        result.persons[pid] = row
    return result


def _merge(
    absorbed: uuid.UUID,
    survivor: uuid.UUID,
    overrides: dict[uuid.UUID, uuid.UUID],
    absorbed_by: dict[uuid.UUID, list[uuid.UUID]],
    props: dict[uuid.UUID, dict[str, Any]],
    identified: set[uuid.UUID],
    result: IdentityPlan,
) -> None:
    moved = absorbed_by.pop(absorbed, [])
    for old in moved:
        overrides[old] = survivor
    overrides[absorbed] = survivor
    absorbed_by.setdefault(survivor, []).extend([*moved, absorbed])
    props[survivor] = {**props.pop(absorbed, {}), **props.get(survivor, {})}
    identified.discard(absorbed)
    result.merges.append((absorbed, survivor))
    result.deleted.add(absorbed)
    result.persons.pop(absorbed, None)
