"""Groups: the group types of a project, and each group's properties.

Events name the groups they belong to in ``$groups`` (``{"company": "acme"}``, PostHog's
shape; the Segment, Mixpanel and Amplitude adapters produce the same). A project has at
most :data:`MAX_GROUP_TYPES` group types, numbered 0, 1, … in the order they first
appear (by event time within a batch); later types are ignored, as PostHog does.
``$groupidentify`` events (``$group_type``, ``$group_key``, ``$group_set``) set a group's
properties: ``$group_set`` overwrites keys, in event-time order.

This module is pure: a store extracts a :class:`GroupBatch` from each raw batch (cheap
vectorised filters; only the distinct ``$groups`` objects are decoded), loads the known
types and the touched groups, calls :func:`assign_types` and :func:`merge_groups`, and
writes the results with set-based statements.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

MAX_GROUP_TYPES = 5
GROUP_IDENTIFY = "$groupidentify"
MAX_TYPE_LENGTH = 100
MAX_KEY_LENGTH = 400
_GROUPS_OBJECT = r'"\$groups"\s*:\s*(?P<groups>\{(?:[^{}"]|"(?:[^"\\]|\\.)*")*\})'
"""The flat ``$groups`` object of a properties document (JSON strings in it may hold any
character). A ``$groups`` object nested in another property before it would be taken
instead; SDKs put ``$groups`` at the top level only."""


@dataclass(frozen=True, slots=True)
class GroupSet:
    """One ``$groupidentify``: properties to set on a group."""

    project_id: int
    group_type: str
    group_key: str
    timestamp: datetime
    properties: dict[str, Any]


@dataclass(slots=True)
class GroupBatch:
    """The group facts of a raw batch."""

    types: dict[int, list[str]] = field(default_factory=dict)
    """Per project, the group type names seen, in order of first appearance."""
    sets: list[GroupSet] = field(default_factory=list)
    """``$groupidentify`` updates in event-time order."""

    def __bool__(self) -> bool:
        return bool(self.types)


@dataclass(frozen=True, slots=True)
class GroupRow:
    """A stored group: its properties and the time of its first ``$groupidentify``."""

    properties: dict[str, Any]
    created_at: datetime


def type_name(value: Any) -> str | None:
    """A valid group type name, or None."""
    if isinstance(value, str) and 0 < len(value) <= MAX_TYPE_LENGTH:
        return value
    return None


def key_text(value: Any) -> str | None:
    """A group key as stored and compared (integers as their decimal text), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and 0 < len(value) <= MAX_KEY_LENGTH:
        return value
    return None


def extract(batch: pa.Table) -> GroupBatch:
    """The group types named and the group properties set by a raw batch."""
    out = GroupBatch()
    if batch.num_rows == 0:
        return out
    seen: list[tuple[datetime, int, str]] = []
    properties = batch["properties"]
    if pc.any(pc.match_substring_regex(properties, r'"\$groups"')).as_py():  # RE2 is faster
        found = pc.struct_field(pc.extract_regex(properties, _GROUPS_OBJECT), "groups")
        pairs = pa.table(
            {"project_id": batch["project_id"], "groups": found, "timestamp": batch["timestamp"]}
        ).filter(pc.is_valid(found))
        distinct = pairs.group_by(["project_id", "groups"]).aggregate([("timestamp", "min")])
        for row in distinct.to_pylist():
            for name in _group_types(row["groups"]):
                seen.append((row["timestamp_min"], row["project_id"], name))
    identifies = batch.filter(pc.equal(batch["event"], GROUP_IDENTIFY))
    for row in identifies.select(["project_id", "timestamp", "properties"]).to_pylist():
        update = _group_set(row)
        if update is not None:
            out.sets.append(update)
            seen.append((update.timestamp, update.project_id, update.group_type))
    out.sets.sort(key=lambda s: s.timestamp)
    for _, project_id, name in sorted(seen, key=lambda item: item[0]):
        names = out.types.setdefault(project_id, [])
        if name not in names:
            names.append(name)
    return out


def _group_types(text: str) -> Iterable[str]:
    try:
        groups = orjson.loads(text)
    except orjson.JSONDecodeError:
        return []
    if not isinstance(groups, dict):
        return []
    return [
        name
        for name, key in groups.items()
        if type_name(name) is not None and key_text(key) is not None
    ]


def _group_set(row: dict[str, Any]) -> GroupSet | None:
    try:
        props = orjson.loads(row["properties"])
    except orjson.JSONDecodeError:
        return None
    if not isinstance(props, dict):
        return None
    group_type = type_name(props.get("$group_type"))
    group_key = key_text(props.get("$group_key"))
    if group_type is None or group_key is None:
        return None
    values = props.get("$group_set")
    return GroupSet(
        project_id=row["project_id"],
        group_type=group_type,
        group_key=group_key,
        timestamp=row["timestamp"],
        properties=values if isinstance(values, dict) else {},
    )


def assign_types(known: dict[str, int], seen: Iterable[str]) -> dict[str, int]:
    """Indices for the seen types not yet known, while the project has room for them."""
    taken = set(known.values())
    free = [i for i in range(MAX_GROUP_TYPES) if i not in taken]
    new: dict[str, int] = {}
    for name in seen:
        if name in known or name in new or not free:
            continue
        new[name] = free.pop(0)
    return new


def merge_groups(
    stored: dict[tuple[str, str], GroupRow], sets: Iterable[GroupSet], types: Iterable[str]
) -> dict[tuple[str, str], GroupRow]:
    """The group rows a project's updates change: stored values overwritten key by key.

    Updates of a type the project has no index for are dropped.
    """
    allowed = set(types)
    out: dict[tuple[str, str], GroupRow] = {}
    for update in sets:
        if update.group_type not in allowed:
            continue
        key = (update.group_type, update.group_key)
        current = out.get(key) or stored.get(key)
        if current is None:
            current = GroupRow({}, update.timestamp)
        out[key] = GroupRow({**current.properties, **update.properties}, current.created_at)
    return out


class GroupWriter(ABC):
    """Applies a batch's group facts to a store; subclasses do the reads and writes.

    ``write`` runs inside the store's append (in its transaction where it has one). The
    known types of a project are cached as last *read* from the store, so a rolled-back
    registration is read again, never assumed; a type not in the cache costs one read.
    """

    def __init__(self) -> None:
        self._known: dict[int, dict[str, int]] = {}

    def write(self, batch: pa.Table, now: datetime, found: GroupBatch | None = None) -> None:
        """Apply the batch's group facts (``found``: ``extract(batch)``, if already known)."""
        if found is None:
            found = extract(batch)
        for project_id, seen in found.types.items():
            known = self._known.get(project_id)
            if known is None or (
                len(known) < MAX_GROUP_TYPES and any(name not in known for name in seen)
            ):
                known = self.load_types(project_id)
                self._known[project_id] = known
            new = assign_types(known, seen)
            if new:
                self.insert_types(project_id, new, now)
            sets = [s for s in found.sets if s.project_id == project_id]
            if sets:
                keys = {(s.group_type, s.group_key) for s in sets}
                rows = merge_groups(self.load_groups(project_id, keys), sets, [*known, *new])
                if rows:
                    self.upsert_groups(project_id, rows, now)

    @abstractmethod
    def load_types(self, project_id: int) -> dict[str, int]:
        """The project's stored group types: name → index."""

    @abstractmethod
    def insert_types(self, project_id: int, new: dict[str, int], now: datetime) -> None: ...

    @abstractmethod
    def load_groups(
        self, project_id: int, keys: set[tuple[str, str]]
    ) -> dict[tuple[str, str], GroupRow]:
        """The stored rows of those (type, key) groups that exist."""

    @abstractmethod
    def upsert_groups(
        self, project_id: int, rows: dict[tuple[str, str], GroupRow], now: datetime
    ) -> None: ...


def group_rows_table(
    project_id: int, rows: dict[tuple[str, str], GroupRow], now: datetime
) -> pa.Table:
    """Group rows as Arrow, in the stored column order (``updated_at`` = ``now``)."""
    return pa.table(
        [
            pa.array([project_id] * len(rows), pa.int32()),
            pa.array([t for t, _ in rows], pa.string()),
            pa.array([k for _, k in rows], pa.string()),
            pa.array([orjson.dumps(r.properties).decode() for r in rows.values()], pa.string()),
            pa.array([r.created_at for r in rows.values()], pa.timestamp("us")),
            pa.array([now] * len(rows), pa.timestamp("us")),
        ],
        names=["project_id", "group_type", "group_key", "properties", "created_at", "updated_at"],
    )


def keys_table(keys: Iterable[tuple[str, str]]) -> pa.Table:
    pairs = sorted(keys)
    return pa.table(
        {
            "group_type": pa.array([t for t, _ in pairs], pa.string()),
            "group_key": pa.array([k for _, k in pairs], pa.string()),
        }
    )
