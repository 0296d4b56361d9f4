"""Request bodies → canonical events: decoding, shape checks and per-event validation.

Whole-body problems (not JSON, wrong shape, too large) raise :class:`BodyError`; a bad
event yields a :class:`FieldError` naming its index and field, and its batch-mates go on.
"""

from __future__ import annotations

import gzip
import re
import sys
import uuid as uuid_mod
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson

if sys.version_info >= (3, 14):
    from compression.zstd import ZstdDecompressor, ZstdError
else:
    from backports.zstd import ZstdDecompressor, ZstdError

from heron.config import Settings
from heron.events import CanonicalEvent

MAX_NAME_CHARS = 200
MIN_EPOCH, MAX_EPOCH = -1e15, 1e15
"""Numeric timestamps outside this (epoch seconds or ms) are not timestamps at all."""
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_PERSON_KEYS = frozenset(("$set", "$set_once", "person_properties"))


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds applied while parsing (from ``Settings``)."""

    max_body_bytes: int = 5 * 1024 * 1024
    max_decompressed_bytes: int = 20 * 1024 * 1024
    max_batch_events: int = 10_000
    max_event_bytes: int = 1024 * 1024
    max_property_depth: int = 16
    future_tolerance_us: int = 24 * 3600 * 1_000_000
    oldest_us: int = int(datetime(2000, 1, 1, tzinfo=UTC).timestamp() * 1_000_000)

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        """The limits every ingest path (API, adapters, import) applies, from one place."""
        return cls(
            max_body_bytes=settings.max_body_bytes,
            max_decompressed_bytes=settings.max_decompressed_bytes,
            max_batch_events=settings.max_batch_events,
            max_event_bytes=settings.max_event_bytes,
            max_property_depth=settings.max_property_depth,
            future_tolerance_us=settings.future_tolerance_seconds * 1_000_000,
            oldest_us=int(
                datetime(settings.oldest_timestamp_year, 1, 1, tzinfo=UTC).timestamp() * 1e6
            ),
        )


class BodyError(Exception):
    """The request body as a whole is unusable; nothing in it is accepted."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class FieldError:
    index: int
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "message": self.message}


def decode_body(raw: bytes, content_encoding: str | None, limits: Limits) -> Any:
    """Size-check, decompress and JSON-decode a body."""
    if len(raw) > limits.max_body_bytes:
        raise BodyError(
            413,
            "body_too_large",
            f"request body exceeds the limit of {limits.max_body_bytes} bytes",
        )
    encoding = (content_encoding or "").strip().lower()
    if encoding in ("gzip", "x-gzip") or (not encoding and raw[:2] == b"\x1f\x8b"):
        raw = _gunzip(raw, limits.max_decompressed_bytes)
    elif encoding == "deflate":
        raw = _inflate(raw, limits.max_decompressed_bytes)
    elif encoding == "zstd":
        raw = _unzstd(raw, limits.max_decompressed_bytes)
    elif encoding not in ("", "identity"):
        raise BodyError(400, "unsupported_encoding", f"unsupported Content-Encoding {encoding!r}")
    if not raw.strip():
        raise BodyError(400, "empty_body", "request body is empty")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BodyError(400, "invalid_json", f"body is not valid UTF-8 JSON: {exc}") from None


def _gunzip(raw: bytes, limit: int) -> bytes:
    try:
        return _bounded(zlib.decompressobj(16 + zlib.MAX_WBITS), raw, limit)
    except (zlib.error, EOFError, gzip.BadGzipFile):
        raise BodyError(400, "invalid_gzip", "body is not valid gzip") from None


def _inflate(raw: bytes, limit: int) -> bytes:
    try:
        return _bounded(zlib.decompressobj(), raw, limit)
    except zlib.error:
        raise BodyError(400, "invalid_deflate", "body is not valid deflate data") from None


def _unzstd(raw: bytes, limit: int) -> bytes:
    decompressor = ZstdDecompressor()
    try:
        out = decompressor.decompress(raw, limit + 1)
    except ZstdError:
        raise BodyError(400, "invalid_zstd", "body is not valid zstd data") from None
    if len(out) > limit:
        raise BodyError(
            413, "body_too_large", f"decompressed body exceeds the limit of {limit} bytes"
        )
    if not decompressor.eof:
        raise BodyError(400, "invalid_zstd", "body is not valid zstd data (truncated)")
    return out


def _bounded(decompressor: Any, raw: bytes, limit: int) -> bytes:
    out = decompressor.decompress(raw, limit + 1)
    if len(out) > limit or decompressor.unconsumed_tail:
        raise BodyError(
            413, "body_too_large", f"decompressed body exceeds the limit of {limit} bytes"
        )
    return bytes(out)


@dataclass(frozen=True, slots=True)
class Envelope:
    """A body split into its events and the batch-level fields around them."""

    events: list[Any]
    api_key: str | None
    sent_at: Any


def envelope(body: Any, limits: Limits) -> Envelope:
    """Split ``{"batch": [...]}`` or a single event object into events plus context."""
    if not isinstance(body, dict):
        raise BodyError(
            400, "invalid_shape", 'body must be a JSON object: one event or {"batch": [...]}'
        )
    api_key = body.get("api_key")
    if "batch" in body:
        events = body["batch"]
        if not isinstance(events, list):
            raise BodyError(400, "invalid_shape", "'batch' must be a list of event objects")
    else:
        events = [body]
    if len(events) > limits.max_batch_events:
        raise BodyError(
            413, "batch_too_large", f"batch exceeds the limit of {limits.max_batch_events} events"
        )
    return Envelope(events, api_key if isinstance(api_key, str) else None, body.get("sent_at"))


def parse_events(
    env: Envelope, *, received_us: int, limits: Limits
) -> tuple[list[CanonicalEvent], list[FieldError]]:
    """Validate every event of an envelope; good ones become canonical events."""
    good: list[CanonicalEvent] = []
    errors: list[FieldError] = []
    batch_sent_at = _sent_at(env.sent_at)
    for index, obj in enumerate(env.events):
        result = parse_event(
            obj, index, received_us=received_us, sent_at_us=batch_sent_at, limits=limits
        )
        if isinstance(result, FieldError):
            errors.append(result)
        else:
            good.append(result)
    return good, errors


def parse_event(
    obj: Any, index: int, *, received_us: int, sent_at_us: int | None, limits: Limits
) -> CanonicalEvent | FieldError:
    """One event object → a canonical event, or the first problem found in it."""
    if not isinstance(obj, dict):
        return FieldError(index, "", "event must be a JSON object")
    event = obj.get("event")
    if not isinstance(event, str) or not event:
        return FieldError(index, "event", "required: a non-empty string")
    if len(event) > MAX_NAME_CHARS:
        return FieldError(index, "event", f"longer than {MAX_NAME_CHARS} characters")
    distinct_id = obj.get("distinct_id")
    if isinstance(distinct_id, int) and not isinstance(distinct_id, bool):
        distinct_id = str(distinct_id)
    if not isinstance(distinct_id, str) or not distinct_id:
        return FieldError(index, "distinct_id", "required: a non-empty string")
    if len(distinct_id) > MAX_NAME_CHARS:
        return FieldError(index, "distinct_id", f"longer than {MAX_NAME_CHARS} characters")

    raw_uuid = obj.get("uuid")
    event_uuid: str | None = None
    if raw_uuid is not None:
        if type(raw_uuid) is str and _CANONICAL_UUID.fullmatch(raw_uuid):
            event_uuid = raw_uuid
        else:
            try:
                event_uuid = str(uuid_mod.UUID(raw_uuid))
            except (TypeError, ValueError, AttributeError):
                return FieldError(index, "uuid", "must be a UUID string")

    properties = obj.get("properties", {})
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        return FieldError(index, "properties", "must be a JSON object")
    if _PERSON_KEYS.isdisjoint(obj) and "$set" not in properties and "$set_once" not in properties:
        person_sets: tuple[dict[str, Any], dict[str, Any]] | str = ({}, {})
    else:
        person_sets = _person_updates(obj, properties)
    if isinstance(person_sets, str):
        return FieldError(index, person_sets, "must be a JSON object")

    timestamp_us = received_us
    raw_ts = obj.get("timestamp")
    if raw_ts is not None:
        parsed = _timestamp_us(raw_ts)
        if parsed is None:
            return FieldError(index, "timestamp", "must be ISO-8601 or epoch seconds/milliseconds")
        sent_at = _sent_at(obj.get("sent_at"), sent_at_us)
        timestamp_us = parsed if sent_at is None else received_us + (parsed - sent_at)
    if timestamp_us > received_us + limits.future_tolerance_us:
        hours = limits.future_tolerance_us // 3_600_000_000
        return FieldError(index, "timestamp", f"more than {hours} hours in the future")
    if timestamp_us < limits.oldest_us:
        return FieldError(index, "timestamp", "before the oldest accepted date (2000-01-01)")

    set_props, set_once = person_sets
    if set_props:
        properties["$set"] = {**_dict(properties.get("$set")), **set_props}
    if set_once:
        properties["$set_once"] = {**_dict(properties.get("$set_once")), **set_once}
    try:
        encoded = orjson.dumps(properties).decode()
    except (orjson.JSONEncodeError, UnicodeDecodeError) as exc:
        return FieldError(index, "properties", f"cannot be stored: {exc}")
    if len(encoded) > limits.max_event_bytes:
        return FieldError(index, "properties", f"larger than {limits.max_event_bytes} bytes")
    if encoded.count("{") > 1 or "[" in encoded:
        problem = _too_deep(properties, limits.max_property_depth)
        if problem:
            return FieldError(index, "properties", problem)
    return CanonicalEvent(event_uuid, event, distinct_id, timestamp_us, properties, encoded)


def _person_updates(obj: dict[str, Any], properties: dict[str, Any]) -> tuple[dict, dict] | str:
    """Top-level ``$set``/``$set_once`` and ``person_properties``; a field name if malformed."""
    set_props: dict[str, Any] = {}
    set_once: dict[str, Any] = {}
    for name in ("$set", "$set_once"):
        value = properties.get(name)
        if value is not None and not isinstance(value, dict):
            return f"properties.{name}"
    for name, target in (("$set", set_props), ("$set_once", set_once)):
        value = obj.get(name)
        if value is None:
            continue
        if not isinstance(value, dict):
            return name
        target.update(value)
    person = obj.get("person_properties")
    if person is not None:
        if not isinstance(person, dict):
            return "person_properties"
        nested = {k: person[k] for k in ("$set", "$set_once") if k in person}
        for key, value in nested.items():
            if not isinstance(value, dict):
                return f"person_properties.{key}"
        set_props.update(nested.get("$set", {}))
        set_once.update(nested.get("$set_once", {}))
        set_props.update({k: v for k, v in person.items() if k not in nested})
    return set_props, set_once


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _too_deep(value: Any, limit: int) -> str | None:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > limit:
            return f"nested deeper than {limit} levels"
        if isinstance(current, dict):
            stack.extend((v, depth + 1) for v in current.values() if isinstance(v, dict | list))
        elif isinstance(current, list):
            stack.extend((v, depth + 1) for v in current if isinstance(v, dict | list))
    return None


def _timestamp_us(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if not MIN_EPOCH < value < MAX_EPOCH:  # also false for NaN
            return None
        seconds = value / 1000 if abs(value) >= 1e11 else value
        return round(seconds * 1_000_000)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return int(parsed.timestamp() * 1_000_000)
    return None


def _sent_at(value: Any, default: int | None = None) -> int | None:
    if value is None:
        return default
    parsed = _sent_at_text(value) if isinstance(value, str) else _timestamp_us(value)
    return default if parsed is None else parsed


@lru_cache(maxsize=256)
def _sent_at_text(value: str) -> int | None:
    """A textual ``sent_at``, parsed once: SDKs that stamp every message of a batch with
    the batch's send time (Segment, RudderStack) repeat the same text a hundred times."""
    return _timestamp_us(value)


def now_us() -> int:
    return int(datetime.now(UTC).timestamp() * 1_000_000)
