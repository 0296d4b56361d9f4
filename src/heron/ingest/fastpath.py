"""The vectorised fast path of ``heron import``: a whole columnar chunk checked in one query.

:class:`FastPath` checks every row of a :class:`~heron.ingest.columnar.Prepared` chunk in
DuckDB and returns the rows it can vouch for, normalised exactly as
:func:`heron.ingest.parse.parse_event` would normalise them: the same timestamp arithmetic
(including its float rounding), the same uuid spelling, the same limits. It is deliberately
conservative: a row it is not sure about — an unusual timestamp or uuid spelling, a
``$set`` or ``$set_once`` that is not an object, top-level person properties,
deep nesting, JSON that DuckDB's reader tolerates but orjson refuses (``NaN``, trailing
commas, overflowing numbers) — goes to the per-row path, which accepts it or names the
problem.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from heron.ingest.columnar import FLOAT_TEXT, INT_TEXT, Prepared
from heron.ingest.parse import MAX_NAME_CHARS, Limits

_ISO = (
    "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    "([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,6})?)?"
    "(Z|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])?)?"
)
_UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_DOUBTFUL_JSON = (
    "[:\\[,]\\s*[-+]?([Nn][Aa][Nn]|[Ii][Nn][Ff])"  # NaN / Infinity literals
    "|,\\s*[}\\]]"  # trailing commas
    # numbers that may overflow a double (a value: after ':', ',' or '['; not text in strings,
    # so hex ids like "…e271f3" do not count)
    "|[:\\[,]\\s*-?[0-9]+(\\.[0-9]+)?[eE][-+]?[0-9]{3}|[:\\[,]\\s*-?[0-9]{20}"
)
_UNUSUAL_JSON = _DOUBTFUL_JSON + "|\\[|\\{[^{]*\\{"
"""Doubtful, or nested (then the depth is checked too): one scan for the common flat case."""
_PATHS = ("$session_id", "$user_agent", "$raw_user_agent", "$browser", "$set", "$set_once")
_PLAIN_PROPERTIES = "coalesce(\"properties\", '{}')"
"""Properties stored as given: the query does not send them back (see :func:`_passed`)."""
_DERIVED_UUID_SQL = (
    "md5(event || chr(31) || distinct_id || chr(31) || coalesce(ts_given::VARCHAR, '') "
    "|| chr(31) || p)::UUID::VARCHAR"
)


_SCALARS = (pa.types.is_string, pa.types.is_boolean, pa.types.is_integer, pa.types.is_null)


def _is_scalar(kind: pa.DataType) -> bool:
    return any(test(kind) for test in _SCALARS) or kind in (pa.float32(), pa.float64())


def _is_plain(kind: pa.DataType) -> bool:
    """Types DuckDB's ``to_json`` renders as Python would (no dates, bytes or decimals)."""
    if pa.types.is_struct(kind):
        return all(_is_plain(kind.field(i).type) for i in range(kind.num_fields))
    if pa.types.is_list(kind):
        return _is_plain(kind.value_type)
    return _is_scalar(kind)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _int_us(x: str) -> str:
    return (
        f"CASE WHEN {x} >= 100000000000 OR {x} <= -100000000000 "
        f"THEN TRY_CAST(round_even({x}::DOUBLE / 1000 * 1000000, 0) AS BIGINT) "
        f"ELSE {x} * 1000000 END"
    )


def _float_us(x: str) -> str:
    return (
        f"TRY_CAST(round_even(CASE WHEN {x} >= 1e11 OR {x} <= -1e11 THEN {x} / 1000 * 1000000 "
        f"ELSE {x} * 1000000 END, 0) AS BIGINT)"
    )


def _instant_us(x: str) -> str:
    """Exact microseconds → what ``int(datetime.timestamp() * 1_000_000)`` gives (float maths)."""
    return f"TRY_CAST(trunc({x}::DOUBLE / 1000000 * 1000000) AS BIGINT)"


def _timestamp_sql(kind: str) -> str | None:
    x = _ident("timestamp")
    if kind == "text":
        return (
            f"CASE WHEN regexp_full_match({x}, '{_ISO}') THEN "
            f"{_instant_us(f'epoch_us(TRY_CAST({x} AS TIMESTAMPTZ))')} "
            f"WHEN regexp_full_match({x}, '{INT_TEXT}') THEN "
            f"{_int_us(f'TRY_CAST({x} AS BIGINT)')} "
            f"WHEN regexp_full_match({x}, '{FLOAT_TEXT}') THEN "
            f"{_float_us(f'TRY_CAST({x} AS DOUBLE)')} END"
        )
    return {"int": _int_us(x), "float": _float_us(x), "instant": _instant_us(x)}.get(kind)


def _properties_sql(table: pa.Table, extras: list[str]) -> str | None:
    kind = table.schema.field("properties").type if "properties" in table.column_names else None
    if kind is None or pa.types.is_null(kind):
        base = "'{}'"
    elif pa.types.is_string(kind):
        base = _PLAIN_PROPERTIES
    elif _is_plain(kind) or (
        pa.types.is_map(kind) and pa.types.is_string(kind.key_type) and _is_plain(kind.item_type)
    ):
        base = f"coalesce(to_json({_ident('properties')})::VARCHAR, '{{}}')"
    else:
        return None
    if not extras:
        return base
    if not all(_is_scalar(table.schema.field(name).type) for name in extras):
        return None
    patch = ", ".join(f"{_text(name)}, {_ident(name)}" for name in extras)
    return (
        f"CASE WHEN json_valid({base}) THEN CASE WHEN json_type({base}) = 'OBJECT' "
        f"THEN json_merge_patch({base}, json_object({patch}))::VARCHAR END END"
    )


class FastPath:
    """Checks whole chunks in DuckDB; one instance per import (it holds a connection)."""

    def __init__(self, limits: Limits, received_us: int) -> None:
        self.limits = limits
        self.received_us = received_us
        self._con = duckdb.connect(":memory:")
        self._con.execute("SET TimeZone = 'UTC'")
        self._queries: dict[tuple[Any, ...], tuple[str, bool] | None] = {}
        """Per chunk schema: the SQL, and whether properties are stored as given (``None``
        when a column's type rules the fast path out)."""

    def close(self) -> None:
        self._con.close()

    def check(self, prepared: Prepared) -> tuple[pa.Table | None, np.ndarray]:
        """``(rows that passed, positions of the rows for the per-row path)``.

        The passing rows have columns ``row`` (position in the chunk), ``uuid``, ``event``,
        ``distinct_id``, ``timestamp_us``, ``properties`` (JSON as stored), ``session`` (a
        client ``$session_id``) and ``agent`` (the user agent to parse, if any).
        """
        table = prepared.table
        n = table.num_rows
        key = (table.schema, prepared.timestamp_kind)
        if key not in self._queries:
            self._queries[key] = self._query(prepared)
        query = self._queries[key]
        if query is None or n == 0:
            return None, np.arange(n)
        sql, plain_properties = query
        bad = np.zeros(n, dtype=bool)
        bad[list(prepared.bad_text)] = True
        chunk = table.append_column("__row", pa.array(np.arange(n))).append_column(
            "__bad", pa.array(bad)
        )
        self._con.register("chunk", chunk)
        try:
            checked = self._con.sql(sql).to_arrow_table()
        except duckdb.Error:
            return None, np.arange(n)  # a column DuckDB cannot take: every row per row
        finally:
            self._con.unregister("chunk")
        ok = checked["ok"].to_numpy()
        slow = np.sort(checked["row"].to_numpy()[~ok])
        return _passed(table, checked.filter(checked["ok"]), plain_properties), slow

    def _query(self, prepared: Prepared) -> tuple[str, bool] | None:
        table = prepared.table
        schema = table.schema
        names = table.column_names
        for name in ("event", "distinct_id"):
            if name not in names or not pa.types.is_string(schema.field(name).type):
                return None
        uuid_kind = schema.field("uuid").type if "uuid" in names else pa.null()
        timestamp = _timestamp_sql(prepared.timestamp_kind) if "timestamp" in names else "NULL"
        properties = _properties_sql(table, prepared.extras)
        if timestamp is None and prepared.timestamp_kind != "null":
            return None
        if properties is None or not (pa.types.is_string(uuid_kind) or pa.types.is_null(uuid_kind)):
            return None
        limits = self.limits
        newest = self.received_us + limits.future_tolerance_us
        person = "person_properties IS NULL" if "person_properties" in names else "true"
        present = f"{_ident('timestamp')} IS NOT NULL" if "timestamp" in names else "false"
        paths = ", ".join(f"""'$."{key}"'""" for key in _PATHS)
        plain = properties == _PLAIN_PROPERTIES
        sql = f"""
WITH src AS (
    SELECT __row, __bad, {"uuid" if "uuid" in names else "NULL"}::VARCHAR AS uuid,
        event, distinct_id, {timestamp or "NULL"}::BIGINT AS ts_given, {present} AS ts_present,
        {properties} AS p, {person} AS person_ok
    FROM chunk
), checked AS (
    SELECT *, TRY(json_extract(p, [{paths}])) AS j,
        CASE WHEN ts_present THEN ts_given ELSE {self.received_us} END AS ts
    FROM src
), flagged AS (
    SELECT *,
        j IS NOT NULL AND starts_with(ltrim(p), '{{') AND strlen(p) <= {limits.max_event_bytes}
        AND CASE WHEN regexp_matches(p, '{_UNUSUAL_JSON}')
            THEN NOT regexp_matches(p, '{_DOUBTFUL_JSON}')
                AND strlen(p) - strlen(replace(replace(p, '{{', ''), '[', ''))
                    <= {limits.max_property_depth}
            ELSE true END
        AND NOT __bad AND person_ok
        AND coalesce(length(event) BETWEEN 1 AND {MAX_NAME_CHARS}, false)
        AND coalesce(length(distinct_id) BETWEEN 1 AND {MAX_NAME_CHARS}, false)
        AND (uuid IS NULL OR regexp_full_match(uuid, '(?i){_UUID}'))
        AND coalesce(ts BETWEEN {limits.oldest_us} AND {newest}, false) AS fields_ok
    FROM checked
)
SELECT __row AS row,
    fields_ok AND (j[2] IS NULL OR json_type(j[2]) IN ('VARCHAR', 'NULL'))
        AND (j[5] IS NULL OR json_type(j[5]) IN ('OBJECT', 'NULL'))
        AND (j[6] IS NULL OR json_type(j[6]) IN ('OBJECT', 'NULL')) AS ok,
    CASE WHEN fields_ok AND uuid IS NULL THEN {_DERIVED_UUID_SQL} END AS derived_uuid,
    ts AS timestamp_us, {"NULL" if plain else "p"}::VARCHAR AS properties,
    CASE WHEN json_type(j[1]) = 'VARCHAR' THEN nullif(j[1] ->> '$', '') END AS session,
    left(CASE WHEN j[4] IS NOT NULL THEN NULL
        WHEN json_type(j[2]) = 'VARCHAR' AND j[2] ->> '$' <> '' THEN j[2] ->> '$'
        WHEN json_type(j[3]) = 'VARCHAR' THEN nullif(j[3] ->> '$', '') END, 1000) AS agent
FROM flagged
"""
        return sql, plain


def _passed(chunk: pa.Table, checked: pa.Table, plain_properties: bool) -> pa.Table:
    """The passing rows' values: computed ones from the query, the others from the chunk."""
    rows = checked["row"]
    given = chunk.select(
        [n for n in ("uuid", "event", "distinct_id", "properties") if n in chunk.column_names]
    )
    if len(rows) < chunk.num_rows or not np.array_equal(rows.to_numpy(), np.arange(len(rows))):
        given = given.take(rows)
    uuid = given["uuid"] if "uuid" in given.column_names else pa.nulls(len(rows), pa.string())
    properties = checked["properties"]
    if plain_properties:
        properties = pc.fill_null(given["properties"], "{}")
    return pa.table(
        {
            "row": rows,
            "uuid": pc.coalesce(checked["derived_uuid"], pc.utf8_lower(uuid.cast(pa.string()))),
            "event": given["event"],
            "distinct_id": given["distinct_id"],
            "timestamp_us": checked["timestamp_us"],
            "properties": properties.cast(pa.string()),
            "session": checked["session"],
            "agent": checked["agent"],
        }
    )
