"""Building raw batches for tests from compact row dicts."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson
import pyarrow as pa

from heron.events import RAW_SCHEMA


def raw_batch(rows: Iterable[dict[str, Any]], project_id: int = 1) -> pa.Table:
    """Rows like ``{"event": "signup", "distinct_id": "a", "timestamp": datetime(...), "properties": {...}}``.

    ``timestamp`` is UTC (naive or aware); ``uuid`` defaults to a random one.
    """
    out = []
    for row in rows:
        ts: datetime = row["timestamp"]
        if ts.tzinfo is not None:
            ts = ts.astimezone(UTC).replace(tzinfo=None)
        out.append(
            {
                "project_id": row.get("project_id", project_id),
                "uuid": row.get("uuid") or str(uuid.uuid4()),
                "event": row["event"],
                "distinct_id": row["distinct_id"],
                "timestamp": ts,
                "properties": orjson.dumps(row.get("properties", {})).decode(),
                "session_id": row.get("session_id"),
                "browser": None,
                "os": None,
                "device_type": None,
            }
        )
    return pa.Table.from_pylist(out, schema=RAW_SCHEMA)
