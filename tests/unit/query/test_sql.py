"""Safe user SQL: what is refused, and that nothing reads another project's rows.

Project 2's data carries the marker ``p2`` in every text value (event names, distinct ids,
session ids, paths, properties); UUIDs and timestamps cannot contain it. Every accepted
query here must return no value with the marker.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from heron.query.context import QueryContext
from heron.query.dialects import dialect
from heron.query.registry import SpecError, parse_spec
from heron.query.runner import Runner
from heron.query.sql import (
    QueryTimeout,
    SQLFailed,
    SQLQuery,
    UnsafeSQL,
    compile_sql,
    run_sql,
)
from heron.store.base import EventStore
from tests.support.events import raw_batch

T0 = datetime(2025, 3, 1, 12)
P1_EVENTS = 12


def _project_rows(project: int) -> list[dict[str, Any]]:
    tag = f"p{project}"
    rows: list[dict[str, Any]] = []
    for i in range(P1_EVENTS if project == 1 else 7):
        rows.append(
            {
                "event": f"{tag}_view" if i % 2 else "$pageview",
                "distinct_id": f"{tag}-anon{i % 3}",
                "timestamp": T0 + timedelta(minutes=i),
                "session_id": f"{tag}-s{i % 2}",
                "properties": {"$current_url": f"https://x.test/{tag}/{i}", "who": tag},
                "project_id": project,
            }
        )
    rows.append(
        {
            "event": "$identify",
            "distinct_id": f"{tag}-user",
            "timestamp": T0 + timedelta(hours=1),
            "properties": {"$anon_distinct_id": f"{tag}-anon0", "$set": {"plan": f"{tag}-pro"}},
            "project_id": project,
        }
    )
    return rows


@pytest.fixture
def two_projects(store: EventStore) -> EventStore:
    store.append(raw_batch(_project_rows(1) + _project_rows(2)))
    return store


def run(store: EventStore, sql: str, project: int = 1, **spec: Any) -> dict[str, Any]:
    ctx = QueryContext(project, ZoneInfo("UTC"), dialect(store.dialect))
    query = SQLQuery(sql=sql, **spec)
    return run_sql(query, Runner(store, ctx))


def assert_isolated(result: dict[str, Any]) -> None:
    text = orjson.dumps(result["rows"], default=str).decode()
    assert "p2" not in text, text


def scalar(result: dict[str, Any]) -> Any:
    return result["rows"][0][0]


# -- accepted queries stay inside the project ------------------------------------------------

LATERAL = (
    "select * from events e, lateral (select count(*) as n from events x where x.event = e.event)"
)
UNSUPPORTED = {LATERAL: {"clickhouse"}}
"""Queries a backend's engine cannot run: it must fail with :class:`SQLFailed`, not leak."""

ISOLATED = [
    "select * from events",
    'select * from "events"',
    "select * from EVENTS",
    'select * from "EVENTS"',
    "from events",
    "select * from events /* main.events */ where 1 = 1 -- ; drop table events",
    "select e.* from events e, events",
    "select * from events e join events e2 using (uuid)",
    "with events as (select * from events) select * from events",
    "with x as (select * from events), events as (select * from x) select * from events",
    "with persons as (select * from events) "
    "select * from (with events as (select * from persons) select * from events)",
    "with a as (with events as (select 1 as one) select * from events) select * from events, a",
    "select * from (select * from (select * from events) as events) as persons",
    "select (select count(*) from events) as n, (select max(distinct_id) from events) as m",
    "select * from events where uuid in (select uuid from events)",
    "select * from events where exists (select 1 from persons p where p.person_id = events.person_id)",
    "select person_id::varchar from events union all select person_id::varchar from persons "
    "union select person_id::varchar from sessions",
    "select event from events except select 'x' intersect select event from events",
    LATERAL,
    "select *, row_number() over (partition by person_id order by timestamp) from events",
    "select * from sessions",
    "select * from persons",
    "select properties->>'who' as who, json_extract_string(properties, '$.who') from events",
    "select * from events, generate_series(1, 2)",
    "select 1 as x -- */ , (select count(*) from person_overrides) as y\n",
    "select 1 as x /* nested /* comment */ from person_overrides */",
    "select 'x'' union select * from person_overrides --' as x",
    'select 1 as "a"" from person_overrides --"',
]


@pytest.mark.parametrize("sql", ISOLATED)
def test_accepted_queries_read_only_the_projects_rows(two_projects: EventStore, sql: str) -> None:
    if two_projects.dialect in UNSUPPORTED.get(sql, ()):
        with pytest.raises(SQLFailed):
            run(two_projects, sql)
        return
    result = run(two_projects, sql)
    assert result["rows"]
    assert_isolated(result)


def test_views_count_the_projects_events_persons_and_sessions(two_projects: EventStore) -> None:
    assert scalar(run(two_projects, "select count(*) from events")) == P1_EVENTS + 1
    assert scalar(run(two_projects, "select count(*) from events", project=2)) == 8
    # anon0 merged into user: persons are anon1, anon2 and user.
    assert scalar(run(two_projects, "select count(*) from persons")) == 3
    assert scalar(run(two_projects, "select count(*) from sessions")) == 2
    shadow = "with events as (select * from events) select count(*) from events, events as e2"
    assert scalar(run(two_projects, shadow)) == (P1_EVENTS + 1) ** 2


def test_events_view_resolves_persons_through_merges(two_projects: EventStore) -> None:
    sql = (
        "select count(distinct person_id) from events where distinct_id in ('p1-anon0', 'p1-user')"
    )
    assert scalar(run(two_projects, sql)) == 1
    props = run(two_projects, "select properties from persons where is_identified")
    assert [orjson.loads(r[0]) for r in props["rows"]] == [{"plan": "p1-pro"}]


@pytest.mark.parametrize(
    ("sql", "reads"),
    [
        ("select count(*) from events", False),
        ("select event, count(distinct session_id) from events group by event", False),
        ("select x.n from (select count(*) as n from events) as x", False),
        ("select count(distinct person_id) from events", True),
        ("select count(distinct PERSON_ID) from events", True),
        ("select * from events", True),
        ("select e.* from events e", True),
        ("select * exclude (uuid) from events", True),
        ("select columns('p.*') from events", True),
        ("select row_to_json(e) from events e", True),
        ("select to_json(events) from events", True),
        ("select a.event from events a join events b using (person_id)", True),
    ],
)
def test_the_identity_join_is_left_out_when_nothing_reads_person_id(sql: str, reads: bool) -> None:
    compiled = compile_sql(sql, QueryContext(1, ZoneInfo("UTC"), dialect("duckdb")))
    assert ("person_overrides" in compiled) == reads


def test_sessions_view_summarises_each_session(two_projects: EventStore) -> None:
    result = run(
        two_projects,
        "select session_id, event_count, pageview_count, duration_seconds, entry_pathname "
        "from sessions order by session_id",
    )
    assert result["columns"] == [
        "session_id",
        "event_count",
        "pageview_count",
        "duration_seconds",
        "entry_pathname",
    ]
    assert result["rows"] == [["p1-s0", 6, 6, 600, "/p1/0"], ["p1-s1", 6, 0, 600, "/p1/1"]]


# -- refused queries -------------------------------------------------------------------------

REFUSED = {
    "select * from read_parquet('/etc/passwd')": "read_parquet",
    "select * from read_csv('/etc/passwd')": "read_csv",
    "select * from read_csv_auto('/etc/passwd')": "read_csv",
    "select * from read_json('/etc/passwd')": "read_json",
    "select * from read_text('/etc/passwd')": "read_text",
    "select * from '/etc/passwd'": "unknown table",
    "select * from glob('/*')": "glob",
    "select * from sniff_csv('/etc/passwd')": "sniff_csv",
    "select * from query('select 1')": "query",
    "select * from query_table('events')": "query_table",
    "select * from duckdb_settings()": "duckdb_settings",
    "select * from duckdb_tables()": "duckdb_tables",
    "select * from pragma_table_info('events')": "pragma_table_info",
    "select * from file('/etc/passwd')": "file",
    "select * from url('http://example.com', 'CSV')": "url",
    "select * from s3('s3://bucket/x')": "s3",
    "select * from remote('host', 'db', 'events')": "remote",
    "select * from Python('x')": "python",
    "select getenv('HOME')": "getenv",
    "select current_setting('threads')": "current_setting",
    "select version()": "version",
    "select current_user": "current_user",
    "select current_database()": "current_database",
    "select sleep_ms(100000)": "sleep_ms",
    "select json_execute_serialized_sql('x')": "json_execute_serialized_sql",
    "attach 'other.duckdb' as other": "ATTACH",
    "copy events to '/tmp/events.csv'": "COPY",
    "copy (select * from events) to '/tmp/events.csv'": "COPY",
    "pragma database_list": "PRAGMA",
    "set threads = 1": "SET",
    "reset threads": "only SELECT",
    "install httpfs": "INSTALL",
    "load httpfs": "LOAD",
    "export database '/tmp/x'": "parse",
    "create table x as select 1": "CREATE",
    "insert into events select * from events": "INSERT",
    "delete from events": "DELETE",
    "update events set event = 'x'": "UPDATE",
    "drop table events": "DROP",
    "alter table events add column x int": "ALTER",
    "call pragma_version()": "CALL",
    "summarize events": "SUMMARIZE",
    "describe events": "DESCRIBE",
    "show tables": "SHOW",
    "checkpoint": "only SELECT",
    "use memory": "USE",
    "detach other": "DETACH",
    "create macro m(a) as a": "CREATE",
    "select 1 as x into t": "INTO",
    "select 1; select 2": "exactly one statement",
    "select 1; drop table events": "exactly one statement",
    "select * from main.events": "qualified table names",
    "select * from memory.main.events": "qualified table names",
    'select * from "main"."events"': "qualified table names",
    "select * from information_schema.tables": "qualified table names",
    "select * from pg_catalog.pg_class": "qualified table names",
    "select * from system.tables": "qualified table names",
    "select * from sqlite_master": "unknown table",
    "select * from person_overrides": "unknown table",
    "select * from duckdb_tables": "unknown table",
    "select main.events.event from events": "qualified names",
    "select * from events at (version => 1)": "not allowed",
    "with recursive t(n) as (select 1 union all select n + 1 from t) select * from t": "recursive",
    "select $1": "not allowed",
    "select * from (select * from person_overrides)": "unknown table",
}


@pytest.mark.parametrize(("sql", "reason"), list(REFUSED.items()))
def test_refused(two_projects: EventStore, sql: str, reason: str) -> None:
    with pytest.raises(UnsafeSQL) as caught:
        run(two_projects, sql)
    message = str(caught.value)
    assert reason.lower() in message.lower(), message
    assert caught.value.errors[0]["loc"] == ["sql"]


def test_very_long_and_deeply_nested_queries_are_refused(two_projects: EventStore) -> None:
    long_sql = "select " + " + ".join(["1"] * 40_000)
    with pytest.raises(SpecError, match="at most 100000 characters"):
        parse_spec({"kind": "SQLQuery", "sql": long_sql})
    with pytest.raises(UnsafeSQL):
        run(two_projects, "select " + "(" * 3000 + "1" + ")" * 3000)


def test_engine_errors_name_the_problem(two_projects: EventStore) -> None:
    with pytest.raises(SQLFailed, match="project_id"):
        run(two_projects, "select project_id from events")


# -- limits ---------------------------------------------------------------------------------


def test_row_limit_truncates(two_projects: EventStore) -> None:
    result = run(two_projects, "select * from events order by timestamp", limit=5)
    assert (result["row_count"], result["truncated"]) == (5, True)
    assert run(two_projects, "select 1", limit=5)["truncated"] is False
    inner = run(two_projects, "select * from events limit 2", limit=5)
    assert (inner["row_count"], inner["truncated"]) == (2, False)


def test_default_limit_is_ten_thousand(store: EventStore) -> None:
    result = run(store, "select * from generate_series(1, 20000)")
    assert (result["row_count"], result["truncated"]) == (10_000, True)
    with pytest.raises(SpecError, match="less than or equal to 100000"):
        parse_spec({"kind": "SQLQuery", "sql": "select 1", "limit": 100_001})


def test_spec_refuses_fields_sql_cannot_honour() -> None:
    with pytest.raises(SpecError, match="does not take date_from"):
        parse_spec({"kind": "SQLQuery", "sql": "select 1", "date_from": "-7d"})


def test_a_query_that_runs_forever_times_out(two_projects: EventStore) -> None:
    started = time.perf_counter()
    with pytest.raises(QueryTimeout, match=r"longer than 0\.5 seconds"):
        run(
            two_projects,
            "select count(*) from events, generate_series(1, 1000000000000)",
            timeout_seconds=0.5,
        )
    assert time.perf_counter() - started < 10
    assert scalar(run(two_projects, "select count(*) from events")) == P1_EVENTS + 1
