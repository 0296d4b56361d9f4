"""The ClickHouse schema, and the SQL that turns a raw batch into stored rows.

``events`` is a MergeTree partitioned by month and sorted by
``(project_id, event, toDate(timestamp), person_id, timestamp)``:

- every analysis filters on one project, a time range and (nearly always) a few event
  names, so the primary index narrows a query to the granules of those events on those
  days, and the monthly partitions let whole months be skipped, merged and dropped;
- within an event and day, rows are grouped by person, so per-person work (funnels by
  ``windowFunnel``, retention, ``uniq``) reads runs of equal keys and the ids compress
  well; ``timestamp`` last keeps each person's events in time order.

``event`` and the low-cardinality materialised columns (UTM, browser, OS, device, lib,
referring domain) are ``LowCardinality``; timestamps are ``DateTime64(6, 'UTC')``; ids are
``UUID``; ``properties`` is the JSON text, compressed with ZSTD. Materialised columns
are ``Nullable`` because an absent property must read as NULL, exactly as on DuckDB.

Persons and identity overrides are append-only logs (``ReplacingMergeTree`` keyed by
version, persons with an ``is_deleted`` flag). The names analyses use, ``persons`` and
``person_overrides``, are views reading the logs ``FINAL``: one latest row per key, deleted
persons gone, so the same analysis SQL runs on both backends. The project filter the
query compiler puts on those names reaches the logs' primary index through the view.
"""

from __future__ import annotations

from heron.events import MATERIALISED_COLUMNS

EVENT_COLUMNS = (
    "project_id",
    "uuid",
    "event",
    "distinct_id",
    "person_id",
    "timestamp",
    "inserted_at",
    "session_id",
    "properties",
    *MATERIALISED_COLUMNS,
)

_LOW_CARDINALITY = {
    "referring_domain",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "browser",
    "os",
    "device_type",
    "lib",
}


def _materialised_type(column: str) -> str:
    if column in _LOW_CARDINALITY:
        return "LowCardinality(Nullable(String))"
    return "Nullable(String)"


_MATERIALISED_DDL = ",\n        ".join(
    f"{column} {_materialised_type(column)}" for column in MATERIALISED_COLUMNS
)

_FSYNC = "fsync_after_insert = 1, fsync_part_directory = 1"
"""An INSERT returns only once its parts are on disk (the store's durability promise)."""

DDL = [
    f"""
    CREATE TABLE IF NOT EXISTS events (
        project_id Int32,
        uuid UUID,
        event LowCardinality(String),
        distinct_id String,
        person_id UUID,
        timestamp DateTime64(6, 'UTC'),
        inserted_at DateTime64(6, 'UTC'),
        session_id Nullable(String),
        properties String CODEC(ZSTD(1)),
        {_MATERIALISED_DDL}
    )
    ENGINE = MergeTree
    PARTITION BY toYYYYMM(timestamp)
    ORDER BY (project_id, event, toDate(timestamp), person_id, timestamp)
    SETTINGS {_FSYNC}
    """,
    f"""
    CREATE TABLE IF NOT EXISTS persons_log (
        project_id Int32,
        person_id UUID,
        properties String,
        is_identified Bool,
        updated_at DateTime64(6, 'UTC'),
        is_deleted UInt8,
        version UInt64
    )
    ENGINE = ReplacingMergeTree(version, is_deleted)
    ORDER BY (project_id, person_id)
    SETTINGS {_FSYNC}
    """,
    f"""
    CREATE TABLE IF NOT EXISTS person_overrides_log (
        project_id Int32,
        old_person_id UUID,
        person_id UUID,
        version UInt64
    )
    ENGINE = ReplacingMergeTree(version)
    ORDER BY (project_id, old_person_id)
    SETTINGS {_FSYNC}
    """,
    """
    CREATE VIEW IF NOT EXISTS persons AS
    SELECT project_id, person_id, properties, is_identified, updated_at
    FROM persons_log FINAL
    """,
    """
    CREATE VIEW IF NOT EXISTS person_overrides AS
    SELECT project_id, old_person_id, person_id
    FROM person_overrides_log FINAL
    """,
]

SETTINGS: dict[str, str] = {
    "session_timezone": "UTC",
    "join_use_nulls": "1",
    "max_partitions_per_insert_block": "0",
}
"""Session settings every connection runs with: UTC wall clock, and SQL-standard NULLs
for the unmatched side of an outer join (as DuckDB), so shared analysis SQL agrees; a
backfill may span any number of monthly partitions in one INSERT."""


def quote(text: str) -> str:
    """A ClickHouse string literal (backslash escapes, as ClickHouse reads them)."""
    escaped = text.replace("\\", "\\\\").replace("'", "\\'").replace("\0", "\\0")
    return f"'{escaped}'"


def json_text(value: str, document: str, key: str) -> str:
    """DuckDB's ``json_extract_string`` spelling of an already extracted value.

    ``value`` is ``JSONExtract(document, key, 'Nullable(String)')`` (strings unescaped,
    other values as ClickHouse re-serialises them, NULL for JSON null or absent). Two
    differences from DuckDB are repaired, each behind a cheap test so the extra parse
    runs only on the rare rows that need it: a float with an integral value gets DuckDB's
    ``.0`` (``10.0`` → ``"10.0"``, not ``"10"``), and nested JSON keeps U+2028/U+2029 as
    characters where ClickHouse writes ``\\u2028`` escapes (split on escaped backslashes
    first, so only genuine escapes are replaced).
    """
    kind = f"JSONType({document}, {key})"
    unescape = (
        "arrayStringConcat(arrayMap(part -> replaceAll(replaceAll(part, "
        f"{quote(chr(92) + 'u2028')}, {quote(chr(0x2028))}), "
        f"{quote(chr(92) + 'u2029')}, {quote(chr(0x2029))}), "
        f"splitByString({quote(chr(92) * 2)}, {value})), {quote(chr(92) * 2)})"
    )
    return (
        f"multiIf({value} IS NULL, NULL, "
        f"match({value}, '^-?[0-9]+$') AND {kind} = 'Double', concat({value}, '.0'), "
        f"position({value}, {quote(chr(92) + 'u202')}) > 0 AND {kind} IN ('Object', 'Array'), "
        f"{unescape}, {value})"
    )


def json_string(document: str, key: str) -> str:
    """A top-level JSON property as DuckDB's ``json_extract_string`` returns it."""
    value = f"JSONExtract({document}, {key}, 'Nullable(String)')"
    return json_text(value, document, key)


_KEYS = [*MATERIALISED_COLUMNS.values(), "$session_id"]
_TUPLE_TYPE = "Tuple(" + ", ".join(f"`{key}` Nullable(String)" for key in _KEYS) + ")"


def _prop(key: str) -> str:
    """A property of the batch row ``b`` as text ('' read as absent, as on DuckDB)."""
    return f"b.p{_KEYS.index(key) + 1}"


def _props() -> str:
    """Each hot property extracted once, in a layer of its own, so that every column
    derived from it reuses the value."""
    return ", ".join(
        f"nullIf({json_text(f'tupleElement(j, {i})', 'properties', quote(key))}, '') AS p{i}"
        for i, key in enumerate(_KEYS, start=1)
    )


def _decoded(text: str) -> str:
    """Percent-decoding; text whose decoding is not UTF-8 is kept as it was sent."""
    return f"if(isValidUTF8(decodeURLComponent({text})), decodeURLComponent({text}), {text})"


def _url_param(name: str) -> str:
    found = f"extract({_prop('$current_url')}, {quote(f'[?&]{name}=([^&#]*)')})"
    return f"nullIf({_decoded(found)}, '')"


_SCHEME = "^[a-zA-Z][a-zA-Z0-9+.-]*://"
_HOST = f"lowerUTF8(nullIf(extract({{0}}, {quote(_SCHEME + '(?:[^@/?#]*@)?([^/:?#]+)')}), ''))"
_PATH = f"nullIf(extract({{0}}, {quote(_SCHEME + '[^/?#]*(/[^?#]*)?')}), '')"
_UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"]


def insert_events(inserted_at: str) -> str:
    """``INSERT … SELECT`` deriving stored rows from a raw batch read from ``{source}``.

    The same derivation as DuckDB's (``duckdb_schema.PREPARE_INSERT``), the same initial
    person id (the MD5 of ``"{project_id}:{distinct_id}"`` read as a UUID), and a fresh
    uuid for a row that has none.
    """
    return f"""
INSERT INTO events ({", ".join(EVENT_COLUMNS)})
SELECT
    b.project_id,
    coalesce(toUUID(b.uuid), generateUUIDv4()),
    b.event,
    b.distinct_id,
    toUUID(UUIDNumToString(MD5(concat(toString(b.project_id), ':', b.distinct_id)))),
    b.timestamp,
    {inserted_at},
    coalesce(b.session_id, {_prop("$session_id")}),
    b.properties,
    {_prop("$current_url")},
    coalesce({_prop("$pathname")}, {_PATH.format(_prop("$current_url"))}),
    {_prop("$referrer")},
    coalesce({_prop("$referring_domain")}, {_HOST.format(_prop("$referrer"))}),
    {", ".join(f"coalesce({_prop(u)}, {_url_param(u)})" for u in _UTM)},
    coalesce(b.browser, {_prop("$browser")}),
    coalesce(b.os, {_prop("$os")}),
    coalesce(b.device_type, {_prop("$device_type")}),
    {_prop("$lib")}
FROM (
    SELECT *, {_props()}
    FROM (SELECT *, JSONExtract(properties, {quote(_TUPLE_TYPE)}) AS j FROM {{source}})
) AS b
"""


EXISTING_UUIDS = """
SELECT b._row FROM {source} AS b
WHERE (b.project_id, toUUID(b.uuid)) IN (
    SELECT project_id, uuid FROM events
    WHERE timestamp BETWEEN {lo} AND {hi}
      AND (project_id, uuid) IN (SELECT project_id, toUUID(uuid) FROM {source})
)
"""
"""Rows of a candidate batch (``project_id, uuid, timestamp, _row``) already stored: the
batch's keys make the set, the scan is bounded by the batch's time range."""
