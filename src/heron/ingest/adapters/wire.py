"""Decoding helpers the vendor adapters share: base64 payloads, keys and ids."""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections.abc import Mapping
from typing import Any

import orjson

from heron.ingest.parse import MAX_NAME_CHARS, BodyError, FieldError, Limits, decode_body

NAMESPACE = uuid.UUID("6f1c9a52-3b0e-5d47-9c1e-8a2f4d7b6e10")
"""Fixed and project-independent: a vendor id maps to the same event uuid everywhere."""
_NAMESPACE_BYTES = NAMESPACE.bytes


def name_uuid(name: str) -> str:
    """``str(uuid.uuid5(NAMESPACE, name))``, without building a ``UUID`` (once per event)."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name.encode()).digest()[:16])
    digest[6] = digest[6] & 0x0F | 0x50
    digest[8] = digest[8] & 0x3F | 0x80
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def vendor_uuid(vendor: str, vendor_id: Any) -> str | None:
    """The canonical uuid of a vendor's dedupe id (``messageId``, ``$insert_id``, …).

    Vendor ids are arbitrary strings; hashing them (name-based UUID) makes a retried
    record land on the same uuid, which the store deduplicates.
    """
    text = id_text(vendor_id, limit=1000)
    return None if text is None else name_uuid(f"{vendor}:{text}")


def content_uuid(vendor: str, record: Mapping[str, Any]) -> str:
    """A uuid from a record's whole content, for records that carry no dedupe id.

    Only used for records that carry their own timestamp, so two real events collide
    only if they are identical down to the timestamp.
    """
    digest = orjson.dumps(record, option=orjson.OPT_SORT_KEYS, default=str)
    return name_uuid(f"{vendor}:content:{digest.decode()}")


def id_text(value: Any, limit: int = MAX_NAME_CHARS) -> str | None:
    """A vendor id as text: non-empty strings and integers (never booleans)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, str) and 0 < len(value) <= limit:
        return value
    return None


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def payload_from_text(text: str, limits: Limits) -> Any:
    """A ``data=`` field: JSON as is, or base64 (standard or URL-safe) of JSON or gzip."""
    stripped = text.strip()
    if not stripped:
        raise BodyError(400, "empty_body", "the 'data' field is empty")
    if stripped[0] in "{[":
        return decode_body(stripped.encode(), None, limits)
    return decode_body(b64decode(text), None, limits)


def b64decode(text: str) -> bytes:
    """Lenient base64: either alphabet, missing padding, ``+`` turned into space by a form."""
    cleaned = text.strip("\r\n\t").replace(" ", "+").replace("-", "+").replace("_", "/")
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        raise BodyError(
            400, "invalid_base64", "the 'data' field is neither JSON nor base64"
        ) from None


def basic_user(headers: Mapping[str, str]) -> str | None:
    """The user name of ``Authorization: Basic`` (vendors put the write key there)."""
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, ValueError):
        return None
    user = decoded.partition(":")[0]
    return user or None


def bearer(headers: Mapping[str, str]) -> str | None:
    scheme, _, value = headers.get("authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def check_count(count: int, limits: Limits) -> None:
    if count > limits.max_batch_events:
        raise BodyError(
            413, "batch_too_large", f"batch exceeds the limit of {limits.max_batch_events} events"
        )


def key_of(records: list[Any], tokens: list[str | None], fallback: str | None) -> str | None:
    """The one write key of a request whose records may each name theirs.

    ``fallback`` (a request-level key) wins; otherwise the first record's token. Records
    naming a different key are turned into errors in place: one request, one project.
    """
    key = fallback or next((t for t in tokens if t), None)
    if fallback is None:
        for index, token in enumerate(tokens):
            if token and token != key and not isinstance(records[index], FieldError):
                records[index] = FieldError(index, "token", "differs from the batch's project key")
    return key


def identity_link(vendor: str, anon: str, user: str, timestamp: Any, lib: str) -> dict[str, Any]:
    """A derived ``$identify`` merging ``anon`` into ``user`` (one per pair: its uuid is fixed)."""
    return {
        "event": "$identify",
        "distinct_id": user,
        "uuid": name_uuid(f"{vendor}:link:{anon}\x00{user}"),
        "timestamp": timestamp,
        "properties": {"$anon_distinct_id": anon, "$lib": lib, "$heron_derived": True},
    }
