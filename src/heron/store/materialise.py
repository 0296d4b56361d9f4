"""The materialised columns of a raw batch, derived in Python (the small-batch path).

The definition of every materialised column is the SQL of
:data:`heron.store.duckdb_schema.PREPARE_INSERT`. That statement costs ~10 ms to run
whatever the batch size, which bounds how many group commits per second the HTTP path
can make; for small batches the store derives the same values here instead and inserts
them with a plain statement. :func:`derive` reproduces the SQL exactly for what it
understands — properties JSON as ``orjson`` writes it (what the ingest path stores),
string, integer, boolean and null values, ASCII host names — and hands every other row
(a float or object in a hot property, a repeated key, a non-ASCII host) back to the SQL
derivation, so both paths store identical rows (``tests/unit/store/test_materialise.py``
checks this with hypothesis).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_to_bytes

import numpy as np
import orjson
import pyarrow as pa

from heron.events import MATERIALISED_COLUMNS, RAW_SCHEMA

UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
_PATH = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*(/[^?#]*)?")
_HOST = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^@/?#]*@)?([^/:?#]+)")
_PARAMS = {name: re.compile(f"[?&]{name}=([^&#]*)") for name in UTM}

DERIVED_SCHEMA = pa.schema(
    [
        *(f for f in RAW_SCHEMA if f.name not in ("browser", "os", "device_type")),
        *(pa.field(column, pa.string()) for column in MATERIALISED_COLUMNS),
    ]
)
"""A raw batch with its session id resolved and every materialised column filled in."""


class _NeedsSql(Exception):
    """A value whose SQL rendering this module does not reproduce."""


def _text(value: Any) -> str | None:
    """``nullif(json_extract_string(properties, key), '')`` for a decoded value."""
    if value is None:
        return None
    kind = type(value)
    if kind is str:
        return value or None
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    raise _NeedsSql


HOT_PROPERTIES = (
    "$current_url",
    "$pathname",
    "$referrer",
    "$referring_domain",
    *UTM,
    "$browser",
    "$os",
    "$device_type",
    "$lib",
    "$session_id",
)
"""The properties the materialised columns (and the session id) are read from."""
_PLAIN = frozenset((str, type(None)))


def _group(found: re.Match[str] | None) -> str | None:
    """``nullif(regexp_extract(…, 1), '')`` from a match."""
    return (found.group(1) or None) if found else None


def _host(referrer: str) -> str | None:
    """``lower(nullif(regexp_extract(referrer, host pattern, 1), ''))``."""
    host = _group(_HOST.match(referrer))
    if host is None:
        return None
    if not host.isascii():
        raise _NeedsSql
    return host.lower()


def _url_param(url: str, name: str) -> str | None:
    """The query parameter ``name``, percent-decoded unless that is not UTF-8."""
    raw = _group(_PARAMS[name].search(url))
    if raw is None or "%" not in raw:
        return raw
    try:
        return unquote_to_bytes(raw).decode("utf-8") or None
    except UnicodeDecodeError:
        return raw


def derive_row(
    properties: dict[str, Any],
    session_id: str | None,
    agent: tuple[str | None, str | None, str | None],
) -> tuple[str | None, ...]:
    """Session id and the materialised columns (in ``MATERIALISED_COLUMNS`` order) of one
    row; ``agent`` is the batch's (browser, os, device type) parsed from its user agent.
    Raises :class:`_NeedsSql` for a row the SQL must derive."""
    values = list(map(properties.get, HOT_PROPERTIES))
    if _PLAIN.issuperset(map(type, values)):
        values = [value or None for value in values]
    else:
        values = [_text(value) for value in values]
    url, pathname, referrer, domain = values[:4]
    utm = values[4:9]
    if url is not None:
        if pathname is None:
            pathname = _group(_PATH.match(url))
        if "utm_" in url:
            utm = [
                value or (_url_param(url, name) if name in url else None)
                for value, name in zip(utm, UTM, strict=True)
            ]
    if domain is None and referrer is not None:
        domain = _host(referrer)
    browser, os_name, device = agent
    return (
        session_id if session_id is not None else values[13],
        url,
        pathname,
        referrer,
        domain,
        *utm,
        browser if browser is not None else values[9],
        os_name if os_name is not None else values[10],
        device if device is not None else values[11],
        values[12],
    )


def derive(batch: pa.Table) -> tuple[pa.Table, np.ndarray]:
    """``(rows derived here with DERIVED_SCHEMA, positions of the rows the SQL must derive)``."""
    derived: list[tuple[str | None, ...]] = []
    here: list[int] = []
    sql: list[int] = []
    agents = zip(
        batch["browser"].to_pylist(),
        batch["os"].to_pylist(),
        batch["device_type"].to_pylist(),
        strict=True,
    )
    rows = zip(
        batch["properties"].to_pylist(), batch["session_id"].to_pylist(), agents, strict=True
    )
    loads, dumps = orjson.loads, orjson.dumps
    for position, (text, session_id, agent) in enumerate(rows):
        try:
            properties = loads(text)
            if type(properties) is not dict or dumps(properties) != text.encode():
                raise _NeedsSql  # e.g. a repeated key: orjson keeps the last, SQL the first
            derived.append(derive_row(properties, session_id, agent))
        except (_NeedsSql, orjson.JSONDecodeError):
            sql.append(position)
            continue
        here.append(position)
    kept = batch if not sql else batch.take(pa.array(here, pa.int64()))
    columns = list(zip(*derived, strict=True)) or [()] * (1 + len(MATERIALISED_COLUMNS))
    table = pa.Table.from_arrays(
        [
            *(kept[name] for name in DERIVED_SCHEMA.names[:6]),
            *(pa.array(column, pa.string()) for column in columns),
        ],
        schema=DERIVED_SCHEMA,
    )
    return table, np.asarray(sql, dtype=np.int64)
