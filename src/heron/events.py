"""The canonical event shared by every layer: ingest produces it, stores keep it, queries read it.

A *raw batch* is the columnar hand-off from ingest to a store: an Arrow table with
:data:`RAW_SCHEMA`. Stores derive the materialised columns (URL, UTM, referrer, …)
and the person id from it, so every path into a store (HTTP, import, demo) shares one
definition of enrichment.
"""

from __future__ import annotations

import hashlib
import uuid as uuid_mod
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

RAW_SCHEMA = pa.schema(
    [
        pa.field("project_id", pa.int32(), nullable=False),
        pa.field("uuid", pa.string()),
        pa.field("event", pa.string(), nullable=False),
        pa.field("distinct_id", pa.string(), nullable=False),
        pa.field("timestamp", pa.timestamp("us"), nullable=False),
        pa.field("properties", pa.string(), nullable=False),
        pa.field("session_id", pa.string()),
        pa.field("browser", pa.string()),
        pa.field("os", pa.string()),
        pa.field("device_type", pa.string()),
    ]
)
"""Columns of a raw batch. ``timestamp`` is UTC without zone; ``properties`` is a JSON object;
a null ``uuid`` asks the store to generate one (such a row cannot be a duplicate)."""

MATERIALISED_COLUMNS: dict[str, str] = {
    "current_url": "$current_url",
    "pathname": "$pathname",
    "referrer": "$referrer",
    "referring_domain": "$referring_domain",
    "utm_source": "utm_source",
    "utm_medium": "utm_medium",
    "utm_campaign": "utm_campaign",
    "utm_term": "utm_term",
    "utm_content": "utm_content",
    "browser": "$browser",
    "os": "$os",
    "device_type": "$device_type",
    "lib": "$lib",
}
"""Hot properties stored as their own columns: column name → the property it comes from.

Queries on these property names read the column instead of parsing JSON.
"""


def person_id_for(project_id: int, distinct_id: str) -> uuid_mod.UUID:
    """The person a distinct id starts out as, before any merge.

    Deterministic, so ingest needs no lookup to assign it; stores compute the same
    value in SQL as ``md5(project_id || ':' || distinct_id)``.
    """
    digest = hashlib.md5(f"{project_id}:{distinct_id}".encode(), usedforsecurity=False)
    return uuid_mod.UUID(digest.hexdigest())


@dataclass(slots=True)
class CanonicalEvent:
    """One validated event, ready for enrichment and storage."""

    uuid: str | None
    """``None`` when the client gave none: the store generates one."""
    event: str
    distinct_id: str
    timestamp_us: int
    """Microseconds since the Unix epoch, UTC, skew-corrected."""
    properties: dict[str, Any]
    properties_json: str
    """``properties`` serialised once, as stored."""
