"""Helpers for adapter tests: requests without HTTP, and validation as the endpoint does it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from heron.events import CanonicalEvent
from heron.ingest.adapters import ADAPTERS, WireRequest
from heron.ingest.adapters.base import to_events
from heron.ingest.parse import FieldError, Limits

NOW_US = int(datetime(2026, 6, 1, 12, tzinfo=UTC).timestamp() * 1_000_000)
LIMITS = Limits()
LZ_VECTORS: list[list[str]] = json.loads(
    Path(__file__).with_name("lzstring_vectors.json").read_text()
)
"""[original, compressToBase64(original)] pairs made by lz-string 1.5.0 (JavaScript)."""


def make_request(
    path: str,
    body: Any = b"",
    *,
    method: str = "POST",
    headers: Mapping[str, str] | None = None,
    query: Mapping[str, str] | None = None,
    limits: Limits = LIMITS,
) -> WireRequest:
    """A request to ``path``; a non-bytes ``body`` is sent as JSON."""
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    lowered = {name.lower(): value for name, value in (headers or {}).items()}
    return WireRequest(method, path, raw, lowered, dict(query or {}), NOW_US, limits)


def ingest(
    adapter_name: str, request: WireRequest
) -> tuple[list[CanonicalEvent], int, list[FieldError], str | None]:
    """Decode and validate like the endpoint does: events, accepted, errors, key."""
    adapter = ADAPTERS[adapter_name]
    batch = adapter.decode(request)
    events, accepted, errors = to_events(adapter, batch, request.received_us, request.limits)
    return events, accepted, errors, batch.key
