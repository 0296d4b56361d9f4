"""Building Heron's canonical events: ids, timestamps, library and group properties."""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import threading
import uuid as uuid_mod
from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

LIB = "heron-python"
VERSION = "0.1.0"
MAX_NAME_CHARS = 200

Properties = Mapping[str, Any]
Event = dict[str, Any]


def iso_timestamp(value: datetime | None = None) -> str:
    """ISO-8601 in UTC; a naive datetime is taken as local time (as Python does)."""
    moment = datetime.now(UTC) if value is None else value.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")


def _check_name(kind: str, value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{kind} must be a non-empty string")
    if len(value) > MAX_NAME_CHARS:
        raise ValueError(f"{kind} must be at most {MAX_NAME_CHARS} characters")
    return value


class EventFactory:
    """Makes event dicts and remembers each distinct id's groups (a bounded LRU)."""

    def __init__(self, max_remembered: int = 10_000) -> None:
        self._groups: OrderedDict[str, dict[str, str]] = OrderedDict()
        self._max_remembered = max_remembered
        self._lock = threading.Lock()

    def event(
        self,
        distinct_id: str,
        event: str,
        properties: Properties | None = None,
        *,
        timestamp: datetime | None = None,
        uuid: str | uuid_mod.UUID | None = None,
        groups: Mapping[str, str] | None = None,
    ) -> Event:
        distinct_id = _check_name("distinct_id", distinct_id)
        event = _check_name("event", event)
        props: dict[str, Any] = dict(properties or {})
        merged = {**self.groups_of(distinct_id), **_mapping(props.get("$groups")), **(groups or {})}
        if merged:
            props["$groups"] = merged
        props.setdefault("$lib", LIB)
        props.setdefault("$lib_version", VERSION)
        return {
            "uuid": str(uuid_mod.UUID(str(uuid))) if uuid is not None else str(uuid_mod.uuid4()),
            "event": event,
            "distinct_id": distinct_id,
            "timestamp": iso_timestamp(timestamp),
            "properties": props,
        }

    def remember_group(self, distinct_id: str, group_type: str, group_key: str) -> None:
        with self._lock:
            groups = self._groups.pop(distinct_id, {})
            groups[group_type] = group_key
            self._groups[distinct_id] = groups
            while len(self._groups) > self._max_remembered:
                self._groups.popitem(last=False)

    def groups_of(self, distinct_id: str) -> dict[str, str]:
        with self._lock:
            groups = self._groups.get(distinct_id)
            if groups is None:
                return {}
            self._groups.move_to_end(distinct_id)
            return dict(groups)


def _mapping(value: object) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def encode_event(event: Event) -> bytes:
    """Compact JSON; unusual values are converted, non-finite floats become null."""
    try:
        text = json.dumps(event, default=_jsonable, separators=(",", ":"), allow_nan=False)
    except ValueError:
        text = json.dumps(_finite(event), separators=(",", ":"), allow_nan=False)
    return text.encode()


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid_mod.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_finite(v) for v in value]
    if value is None or isinstance(value, str | int):
        return value
    return _finite(_jsonable(value))
