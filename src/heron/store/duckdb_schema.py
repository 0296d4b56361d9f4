"""The DuckDB schema, and the SQL that turns a raw batch into stored rows.

Physical order: DuckDB keeps rows in insertion order, in row groups of ~122k rows with
min/max zone maps per column. Live ingest arrives in time order and bulk loads are
sorted by ``(project_id, timestamp)`` before they are appended, so the zone maps on
``project_id`` and ``timestamp`` prune most row groups of a project- and date-bounded
query without any index (indexes would cost ~10× on every commit; see
docs/decisions.md). Within a bulk commit (an import chunk: a few days of events) rows are
stored by ``(project_id, event, timestamp)`` (:func:`heron.store.duckdb.clustered`): an event's rows then fill whole vectors,
and a query on one event skips the other vectors of wide columns (``properties``)
instead of decompressing them for every row of the time range. Hot properties are materialised as plain columns so filters and
breakdowns on them read a narrow dictionary-compressed column instead of parsing JSON.
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

DDL = [
    f"""
    CREATE TABLE IF NOT EXISTS events (
        project_id INTEGER NOT NULL,
        uuid UUID NOT NULL,
        event VARCHAR NOT NULL,
        distinct_id VARCHAR NOT NULL,
        person_id UUID NOT NULL,
        timestamp TIMESTAMP NOT NULL,
        inserted_at TIMESTAMP NOT NULL,
        session_id VARCHAR,
        properties JSON NOT NULL,
        {", ".join(f"{column} VARCHAR" for column in MATERIALISED_COLUMNS)}
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS persons (
        project_id INTEGER NOT NULL,
        person_id UUID NOT NULL,
        properties JSON NOT NULL,
        is_identified BOOLEAN NOT NULL,
        updated_at TIMESTAMP NOT NULL,
        PRIMARY KEY (project_id, person_id)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS person_overrides (
        project_id INTEGER NOT NULL,
        old_person_id UUID NOT NULL,
        person_id UUID NOT NULL,
        PRIMARY KEY (project_id, old_person_id)
    )
    """,
    # The writer looks persons and overrides up by person id on every commit that carries
    # identity events. The composite primary keys do not serve those lookups (each was a
    # scan of the whole table: ~4 ms at 250k persons); these single-column indexes do, and
    # cost the small identity tables little on insert (docs/decisions.md).
    "CREATE INDEX IF NOT EXISTS persons_by_person ON persons (person_id)",
    "CREATE INDEX IF NOT EXISTS overrides_by_old_person ON person_overrides (old_person_id)",
    "CREATE INDEX IF NOT EXISTS overrides_by_person ON person_overrides (person_id)",
]

_PATHS = ["$current_url", "$pathname", "$referrer", "$referring_domain"]
_UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"]
_CLIENT = ["$browser", "$os", "$device_type", "$lib", "$session_id"]
_JSON_PATHS = ", ".join(f"'$.\"{key}\"'" for key in [*_PATHS, *_UTM, *_CLIENT])


def _prop(key: str) -> str:
    index = [*_PATHS, *_UTM, *_CLIENT].index(key) + 1
    return f"nullif(j[{index}], '')"


def _raw_param(name: str) -> str:
    return f"regexp_extract({_prop('$current_url')}, '[?&]{name}=([^&#]*)', 1)"


def _url_param(name: str) -> str:
    """A query parameter, percent-decoded (kept as sent when the bytes are not UTF-8).

    The ``CASE`` guards are for speed only: DuckDB evaluates a branch just for the rows
    that take it, so the regular expression runs only on URLs that mention the
    parameter and the decoding only on values with a ``%``."""
    raw = _raw_param(name)
    decoded = f"CASE WHEN contains({raw}, '%') THEN coalesce(try(url_decode({raw})), {raw}) ELSE {raw} END"
    return f"CASE WHEN contains({_prop('$current_url')}, '{name}=') THEN nullif({decoded}, '') END"


def _first(value: str, fallback: str) -> str:
    """``coalesce(value, fallback)``, evaluating ``fallback`` only where ``value`` is null."""
    return f"CASE WHEN {value} IS NOT NULL THEN {value} ELSE {fallback} END"


_HOST = "lower(nullif(regexp_extract({0}, '^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^@/?#]*@)?([^/:?#]+)', 1), ''))"
_PATH = "nullif(regexp_extract({0}, '^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*(/[^?#]*)?', 1), '')"

_CANONICAL = """
    b.project_id,
    coalesce(b.uuid::UUID, gen_random_uuid()),
    b.event,
    b.distinct_id,
    md5(b.project_id::VARCHAR || ':' || b.distinct_id)::UUID,
    b.timestamp,
    now() AT TIME ZONE 'UTC',
"""
"""The columns every insert computes the same way: uuid, initial person id, commit time."""

PREPARE_INSERT = f"""
PREPARE insert_events AS
INSERT INTO events ({", ".join(EVENT_COLUMNS)})
SELECT {_CANONICAL}
    coalesce(b.session_id, {_prop("$session_id")}),
    b.properties,
    {_prop("$current_url")},
    {_first(_prop("$pathname"), _PATH.format(_prop("$current_url")))},
    {_prop("$referrer")},
    {_first(_prop("$referring_domain"), _HOST.format(_prop("$referrer")))},
    {", ".join(_first(_prop(u), _url_param(u)) for u in _UTM)},
    coalesce(b.browser, {_prop("$browser")}),
    coalesce(b.os, {_prop("$os")}),
    coalesce(b.device_type, {_prop("$device_type")}),
    {_prop("$lib")}
FROM (SELECT *, json_extract_string(properties, [{_JSON_PATHS}]) AS j FROM batch) AS b
"""

PREPARE_INSERT_DERIVED = f"""
PREPARE insert_derived AS
INSERT INTO events ({", ".join(EVENT_COLUMNS)})
SELECT {_CANONICAL} b.session_id, b.properties, {", ".join(f"b.{c}" for c in MATERIALISED_COLUMNS)}
FROM derived AS b
"""
"""Rows whose session id and materialised columns were derived in Python
(:mod:`heron.store.materialise`, exactly as :data:`PREPARE_INSERT` derives them)."""

OVERRIDES_OF_PERSONS = (
    "SELECT old_person_id, person_id FROM person_overrides "
    "WHERE project_id = ? AND old_person_id IN (SELECT unnest(?::UUID[]))"
)
"""The stored overrides of some persons (project, list of person ids): the semi-join's
values reach the scan as a filter the ``overrides_by_old_person`` index answers."""

PERSON_ROWS = (
    "SELECT person_id, properties, is_identified FROM persons "
    "WHERE project_id = ? AND person_id IN (SELECT unnest(?::UUID[]))"
)
"""The stored rows of some persons, through the ``persons_by_person`` index likewise."""

EXISTING_UUIDS = """
SELECT b._row FROM batch AS b
WHERE EXISTS (
    SELECT 1 FROM events AS e
    WHERE e.project_id = b.project_id AND e.uuid = b.uuid::UUID
      AND e.timestamp BETWEEN $lo AND $hi
)
"""
