"""Request bodies as each vendor's SDK sends them, built from the benchmark's demo events.

Every builder turns one batch of :class:`DemoEvent` into one :class:`WireCall`: method,
path with query, headers and body bytes, shaped like the SDK's own request:
``tests/integration/test_bench_sdk_shapes.py`` runs each official Python SDK against a
loopback server and compares (posthog-js, a browser library, follows its source). Each event
gets a fresh id the way the SDK gives one (``uuid``, ``messageId``, ``$insert_id``,
``insert_id``), so a run never resends an id and the store's dedupe drops nothing.
"""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson
import pyarrow.parquet as pq

POSTHOG_PYTHON = "7.91.1"
POSTHOG_JS = "1.257.0"
SEGMENT_PYTHON = "2.4.0"
RUDDER_PYTHON = "2.1.9"
MIXPANEL_PYTHON = "5.4.1"
AMPLITUDE_PYTHON = "1.3.0"
HERON_PYTHON = "0.1.0"

CAPTURE_DELAY = timedelta(milliseconds=250)
"""How long before the request each event was captured (SDKs batch, then send)."""


@dataclass(frozen=True, slots=True)
class DemoEvent:
    """A benchmark event as an application hands it to an SDK's ``track``/``capture``."""

    event: str
    distinct_id: str
    properties: dict[str, Any]


@dataclass(frozen=True, slots=True)
class WireCall:
    """One HTTP request exactly as an SDK sends it."""

    method: str
    target: str
    """Path and query string."""
    headers: tuple[tuple[str, str], ...]
    body: bytes
    events: int


Builder = Callable[[Sequence[DemoEvent], str, datetime], WireCall]
"""(a batch of events, the project's write key, the send time) → the SDK's request."""


def demo_events(path: Path, count: int) -> list[DemoEvent]:
    """The first ``count`` events of the benchmark's Parquet file, properties decoded."""
    parquet = pq.ParquetFile(path)
    events: list[DemoEvent] = []
    for group in range(parquet.num_row_groups):
        table = parquet.read_row_group(group, columns=["event", "distinct_id", "properties"])
        for name, distinct_id, properties in zip(
            table["event"].to_pylist(),
            table["distinct_id"].to_pylist(),
            table["properties"].to_pylist(),
            strict=True,
        ):
            events.append(DemoEvent(name, distinct_id, orjson.loads(properties or "{}")))
            if len(events) == count:
                return events
    return events


def chunks(events: Sequence[DemoEvent], size: int) -> Iterator[Sequence[DemoEvent]]:
    """Full batches of ``size`` events (a remainder is left out: every request is alike)."""
    for start in range(0, len(events) - size + 1, size):
        yield events[start : start + size]


# -- time formats ---------------------------------------------------------------------------


def _iso_micros(at: datetime) -> str:
    """Python's ``isoformat()`` of an aware UTC time: ``2026-01-01T12:00:00.123456+00:00``."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _iso_millis(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds")


def _js_iso(at: datetime) -> str:
    """JavaScript's ``Date.toISOString()``: milliseconds and ``Z``."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _basic(user: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:".encode()).decode()


def _python_json(value: Any) -> bytes:
    """``json.dumps`` with its default separators, as the Python SDKs serialise."""
    return json.dumps(value).encode()


# -- Heron's own SDK ------------------------------------------------------------------------


def heron_native(events: Sequence[DemoEvent], key: str, now: datetime) -> WireCall:
    """``POST /v1/events`` as heron-sdk (Python) sends it: compact JSON, uuid and timestamp."""
    captured = _iso_micros(now - CAPTURE_DELAY)
    batch = [
        {
            "uuid": str(uuid.uuid4()),
            "event": e.event,
            "distinct_id": e.distinct_id,
            "timestamp": captured,
            "properties": {"$lib": "heron-python", "$lib_version": HERON_PYTHON, **e.properties},
        }
        for e in events
    ]
    body = orjson.dumps({"batch": batch, "sent_at": _iso_micros(now)})
    headers = (("Authorization", f"Bearer {key}"), ("Content-Type", "application/json"))
    return WireCall("POST", "/v1/events", headers, body, len(events))


# -- PostHog --------------------------------------------------------------------------------

_POSTHOG_SYSTEM = {
    "$python_runtime": "CPython",
    "$python_version": "3.11.7",
    "$os": "Linux",
    "$os_version": "12",
    "$os_distro": "Debian GNU/Linux",
}


def posthog_python(events: Sequence[DemoEvent], key: str, now: datetime) -> WireCall:
    """posthog-python's ``POST /batch/``: ``api_key`` in the body, JSON without gzip."""
    captured = _iso_micros(now - CAPTURE_DELAY)
    batch = [
        {
            "properties": {
                **e.properties,
                **_POSTHOG_SYSTEM,
                "$lib": "posthog-python",
                "$lib_version": POSTHOG_PYTHON,
                "$geoip_disable": True,
                "$is_server": True,
            },
            "timestamp": captured,
            "distinct_id": e.distinct_id,
            "event": e.event,
            "uuid": str(uuid.uuid4()),
        }
        for e in events
    ]
    body = _python_json(
        {"batch": batch, "historical_migration": False, "sent_at": _iso_micros(now), "api_key": key}
    )
    headers = (
        ("Content-Type", "application/json"),
        ("User-Agent", f"posthog-python/{POSTHOG_PYTHON}"),
    )
    return WireCall("POST", "/batch/", headers, body, len(events))


def posthog_js(events: Sequence[DemoEvent], key: str, now: datetime) -> WireCall:
    """posthog-js's ``POST /e/?compression=gzip-js``: a gzipped JSON array, token per event."""
    captured = now - CAPTURE_DELAY
    batch = [
        {
            "uuid": str(uuid.uuid4()),
            "event": e.event,
            "properties": {
                **e.properties,
                "token": key,
                "distinct_id": e.distinct_id,
                "$lib": "web",
                "$lib_version": POSTHOG_JS,
                "$insert_id": uuid.uuid4().hex[:16],
                "$time": round(captured.timestamp(), 3),
            },
            "timestamp": _js_iso(captured),
        }
        for e in events
    ]
    body = gzip.compress(orjson.dumps(batch), compresslevel=6, mtime=0)
    query = urlencode(
        {
            "ip": "0",
            "_": str(int(now.timestamp() * 1000)),
            "ver": POSTHOG_JS,
            "compression": "gzip-js",
        }
    )
    headers = (("Content-Type", "text/plain"),)
    return WireCall("POST", f"/e/?{query}", headers, body, len(events))


# -- Segment and RudderStack ----------------------------------------------------------------


def _segment_message(e: DemoEvent, captured: str, library: dict[str, str]) -> dict[str, Any]:
    return {
        "anonymousId": None,
        "properties": e.properties,
        "timestamp": captured,
        "context": {"library": library},
        "userId": e.distinct_id,
        "type": "track",
        "event": e.event,
        "messageId": str(uuid.uuid4()),
    }


def segment_python(events: Sequence[DemoEvent], key: str, now: datetime) -> WireCall:
    """segment-analytics-python's ``POST /v1/batch``: Basic ``key:`` and ``writeKey``, no gzip."""
    captured = _iso_millis(now - CAPTURE_DELAY)
    library = {"name": "analytics-python", "version": SEGMENT_PYTHON}
    batch = [{"integrations": {}, **_segment_message(e, captured, library)} for e in events]
    body = _python_json({"batch": batch, "sentAt": _iso_micros(now), "writeKey": key})
    headers = (
        ("Content-Type", "application/json"),
        ("User-Agent", f"analytics-python/{SEGMENT_PYTHON}"),
        ("Authorization", _basic(key)),
    )
    return WireCall("POST", "/v1/batch", headers, body, len(events))


def rudder_python(events: Sequence[DemoEvent], key: str, now: datetime) -> WireCall:
    """rudder-sdk-python's ``POST /v1/batch``: Basic ``key:`` only, gzipped (level 9)."""
    captured = _iso_micros(now - CAPTURE_DELAY)
    library = {"name": "analytics-python", "version": RUDDER_PYTHON}
    batch = [
        {
            "integrations": {"All": True},
            **_segment_message(e, captured, library),
            "channel": "server",
        }
        for e in events
    ]
    raw = _python_json({"batch": batch, "sentAt": _iso_micros(now)})
    headers = (
        ("Content-Type", "application/json"),
        ("User-Agent", f"analytics-python/{RUDDER_PYTHON}"),
        ("Content-Encoding", "gzip"),
        ("Authorization", _basic(key)),
    )
    return WireCall("POST", "/v1/batch", headers, gzip.compress(raw, 9), len(events))


# -- Mixpanel -------------------------------------------------------------------------------


def _mixpanel_events(events: Sequence[DemoEvent], key: str, now: datetime) -> bytes:
    captured = (now - CAPTURE_DELAY).timestamp()
    records = [
        {
            "event": e.event,
            "properties": {
                "token": key,
                "distinct_id": e.distinct_id,
                "time": captured,
                "$insert_id": uuid.uuid4().hex,
                "mp_lib": "python",
                "$lib_version": MIXPANEL_PYTHON,
                **e.properties,
            },
        }
        for e in events
    ]
    return orjson.dumps(records)


def _mixpanel_form(data: bytes) -> bytes:
    return urlencode({"data": data.decode(), "verbose": 1, "ip": 0}).encode()


_FORM = ("Content-Type", "application/x-www-form-urlencoded")
_REQUESTS_AGENT = ("User-Agent", "python-requests/2.34.2")


def mixpanel_track(events: Sequence[DemoEvent], key: str, now: datetime) -> WireCall:
    """mixpanel's ``BufferedConsumer`` to ``/track``: form ``data=<JSON array>&verbose=1&ip=0``."""
    body = _mixpanel_form(_mixpanel_events(events, key, now))
    return WireCall("POST", "/track", (_REQUESTS_AGENT, _FORM), body, len(events))


def mixpanel_import(events: Sequence[DemoEvent], key: str, now: datetime) -> WireCall:
    """mixpanel's ``BufferedConsumer`` to ``/import``: the same form, Basic ``secret:``."""
    body = _mixpanel_form(_mixpanel_events(events, key, now))
    headers = (_REQUESTS_AGENT, _FORM, ("Authorization", _basic(key)))
    return WireCall("POST", "/import", headers, body, len(events))


# -- Amplitude ------------------------------------------------------------------------------


def _amplitude(path: str) -> Builder:
    def build(events: Sequence[DemoEvent], key: str, now: datetime) -> WireCall:
        captured = int((now - CAPTURE_DELAY).timestamp() * 1000)
        records = [
            {
                "event_properties": e.properties,
                "event_type": e.event,
                "insert_id": str(uuid.uuid4()),
                "library": f"amplitude-python/{AMPLITUDE_PYTHON}",
                "time": captured,
                "user_id": e.distinct_id,
            }
            for e in events
        ]
        body = _python_json({"api_key": key, "events": records})
        headers = (
            ("Content-Type", "application/json; charset=UTF-8"),
            ("User-Agent", "Python-urllib/3.11"),
        )
        return WireCall("POST", path, headers, body, len(events))

    build.__doc__ = f"amplitude-analytics's ``POST {path}``: ``api_key`` in a JSON body."
    return build


amplitude_httpapi = _amplitude("/2/httpapi")
amplitude_batch = _amplitude("/batch")
