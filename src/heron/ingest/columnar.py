"""Columnar import chunks (CSV, Parquet): normalised columns, and rows as event objects.

:func:`prepare` normalises a chunk's columns once (text decoding, 16-byte uuids, integer
distinct ids, typed timestamps), so the vectorised checks of :mod:`heron.ingest.fastpath`
and the per-row path through ``parse_event`` (:func:`row_objects`) see the same values.

Columns other than the canonical ones become properties, merged into ``properties`` as a
JSON merge patch (RFC 7396): a non-null value sets the property of that name, a null (an
empty CSV cell) removes it. In text columns, a ``timestamp`` that is a plain number
(``1735689600``, ``1735689600123``, ``1735689600.5``) means epoch seconds or milliseconds;
typed timestamps and dates count as their ISO-8601 text.
"""

from __future__ import annotations

import hashlib
import re
import uuid as uuid_mod
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

CANONICAL = ("uuid", "event", "distinct_id", "timestamp", "properties", "person_properties")
INT_TEXT = "-?[0-9]{1,15}"
FLOAT_TEXT = "-?[0-9]{1,15}\\.[0-9]{1,9}"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INT_RE = re.compile(INT_TEXT)
_FLOAT_RE = re.compile(FLOAT_TEXT)


def derived_uuid(event: str, distinct_id: str, timestamp_us: int | None, properties: str) -> str:
    """The uuid of a row that has none: md5 of its content, so re-importing it dedupes.

    The content is the event name, distinct id, timestamp in microseconds (empty when the
    row has none) and the properties JSON as stored, joined by ``\\x1f``.
    """
    stamp = "" if timestamp_us is None else str(timestamp_us)
    text = f"{event}\x1f{distinct_id}\x1f{stamp}\x1f{properties}"
    return str(uuid_mod.UUID(hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()))


@dataclass(slots=True)
class Prepared:
    """A chunk with normalised columns, and the rows whose text was not valid UTF-8."""

    table: pa.Table
    timestamp_kind: str
    """``text``, ``int``, ``float``, ``instant`` (microseconds), ``null`` or ``other``."""
    bad_text: dict[int, str] = field(default_factory=dict)
    """Row position → the column whose value was not valid UTF-8."""

    @property
    def extras(self) -> list[str]:
        return [name for name in self.table.column_names if name not in CANONICAL]


def prepare(table: pa.Table) -> Prepared:
    """Normalise a chunk's columns; see the module docstring for the rules."""
    bad: dict[int, str] = {}
    columns: dict[str, pa.ChunkedArray] = {}
    kind = "null"
    for name in table.column_names:
        column = table[name].combine_chunks()
        if pa.types.is_dictionary(column.type):
            column = column.dictionary_decode()
        if isinstance(column.type, pa.FixedSizeBinaryType | pa.UuidType):
            column = _uuid_text(column, name, bad)
        elif pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type):
            column = _decode_text(column, name, bad)
        if pa.types.is_large_string(column.type) or pa.types.is_string_view(column.type):
            column = column.cast(pa.string())
        if name == "distinct_id" and pa.types.is_integer(column.type):
            column = column.cast(pa.string())
        if name == "timestamp":
            column, kind = _timestamp_column(column)
        columns[name] = column
    return Prepared(pa.table(columns), kind, bad)


def _decode_text(column: pa.Array, name: str, bad: dict[int, str]) -> pa.Array:
    try:
        return column.cast(pa.string())
    except pa.ArrowInvalid:
        values: list[str | None] = []
        for i, raw in enumerate(column.to_pylist()):
            try:
                values.append(None if raw is None else raw.decode())
            except UnicodeDecodeError:
                bad.setdefault(i, name)
                values.append(None)
        return pa.array(values, pa.string())


def _uuid_text(column: pa.Array, name: str, bad: dict[int, str]) -> pa.Array:
    """16-byte uuids (Parquet's UUID type) as canonical text; other fixed-size bytes as text."""
    if isinstance(column.type, pa.UuidType):
        column = column.storage
    if column.type.byte_width != 16:
        return _decode_text(column.cast(pa.binary()), name, bad)
    values = [None if raw is None else str(uuid_mod.UUID(bytes=raw)) for raw in column.to_pylist()]
    return pa.array(values, pa.string())


def _timestamp_column(column: pa.Array) -> tuple[pa.Array, str]:
    kind = column.type
    if pa.types.is_string(kind):
        return column, "text"
    if pa.types.is_integer(kind):
        try:
            return column.cast(pa.int64()), "int"
        except pa.ArrowInvalid:
            return column, "other"
    if pa.types.is_floating(kind):
        return column.cast(pa.float64()), "float"
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        micros = column.cast(pa.timestamp("us", getattr(kind, "tz", None)), safe=False)
        return micros.cast(pa.int64()), "instant"
    if pa.types.is_null(kind):
        return column, "null"
    return column, "other"


def row_objects(
    prepared: Prepared, positions: np.ndarray
) -> list[dict[str, Any] | tuple[str, str]]:
    """Rows as event objects for ``parse_event``, or ``(field, message)`` for unusable ones."""
    table = prepared.table
    rows = table.take(pa.array(positions, pa.int64())).to_pylist()
    extras = prepared.extras
    maps = {name for name in table.column_names if pa.types.is_map(table.schema.field(name).type)}
    out: list[dict[str, Any] | tuple[str, str]] = []
    for position, row in zip(positions.tolist(), rows, strict=True):
        if position in prepared.bad_text:
            out.append((prepared.bad_text[position], "not valid UTF-8"))
            continue
        obj = {name: row[name] for name in CANONICAL if row.get(name) is not None}
        if "timestamp" in obj:
            obj["timestamp"] = _timestamp_value(obj["timestamp"], prepared.timestamp_kind)
        problem = None
        for name in ("properties", "person_properties"):
            if name in obj:
                obj[name], problem = _object_value(obj[name], name, name in maps)
                if problem:
                    break
        if problem:
            out.append(problem)
            continue
        if extras and isinstance(obj.get("properties", {}), dict):
            patch = {name: _plain(row[name]) for name in extras}
            obj["properties"] = merge_patch(obj.get("properties", {}), patch)
        out.append(obj)
    return out


def _timestamp_value(value: Any, kind: str) -> Any:
    if kind == "instant":
        return (_EPOCH + timedelta(microseconds=value)).isoformat()
    if kind == "text":
        if _INT_RE.fullmatch(value):
            return int(value)
        if _FLOAT_RE.fullmatch(value):
            return float(value)
    return value


def _object_value(value: Any, name: str, is_map: bool) -> tuple[Any, tuple[str, str] | None]:
    """A ``properties`` cell as a value: JSON text decoded, a map's pairs as an object."""
    if isinstance(value, str):
        try:
            return orjson.loads(value), None
        except orjson.JSONDecodeError:
            return None, (name, "not valid JSON")
    return _plain(dict(value) if is_map else value), None


def _plain(value: Any) -> Any:
    """A cell as a JSON-ready value (dates and times as ISO-8601 text)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def merge_patch(target: Any, patch: dict[str, Any]) -> dict[str, Any]:
    """RFC 7396: ``patch`` applied to ``target``; null values remove keys."""
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            result[key] = merge_patch(result.get(key), value)
        else:
            result[key] = value
    return result
