"""Property: random SELECTs over the views, run as project 1, never see project 2.

Every value project 2 stores carries the marker ``p2``; no answer may contain it. On
DuckDB the test is also differential: each query runs as project 1 on a store holding
projects 1 and 2 and on one holding project 1 alone (same events, same uuids), and the
answers must be equal. chdb runs one embedded server per process, so there it checks
the marker only.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heron.query.context import QueryContext
from heron.query.dialects import dialect
from heron.query.runner import Runner
from heron.query.sql import SQLFailed, SQLQuery, run_sql
from heron.store.base import EventStore
from tests.conftest import BACKENDS, make_store
from tests.support.events import raw_batch

T0 = datetime(2025, 5, 1, 8)

COLUMNS = {
    "events": ["event", "distinct_id", "person_id", "uuid", "session_id", "pathname"],
    "persons": ["person_id", "properties", "is_identified"],
    "sessions": ["session_id", "person_id", "entry_pathname", "event_count"],
}
SHADOWS = ["events", "persons", "sessions", "person_overrides", "x"]


def _rows(project: int) -> list[dict[str, Any]]:
    tag = f"p{project}"
    rows = [
        {
            "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tag}/{i}")),
            "event": ["$pageview", f"{tag}_signup", f"{tag}_buy"][i % 3],
            "distinct_id": f"{tag}-d{i % 5}",
            "timestamp": T0 + timedelta(minutes=7 * i),
            "session_id": f"{tag}-s{i % 4}",
            "properties": {"$current_url": f"https://x.test/{tag}/{i % 6}", "who": tag},
            "project_id": project,
        }
        for i in range(30)
    ]
    rows.append(
        {
            "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tag}/identify")),
            "event": "$identify",
            "distinct_id": f"{tag}-d1",
            "timestamp": T0 + timedelta(days=1),
            "properties": {"$anon_distinct_id": f"{tag}-d2", "$set": {"plan": f"{tag}-pro"}},
            "project_id": project,
        }
    )
    return rows


@pytest.fixture(scope="module", params=BACKENDS)
def stores(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[EventStore, EventStore | None]]:
    mixed = make_store(request.param, tmp_path_factory.mktemp("mixed"))
    mixed.append(raw_batch(_rows(2) + _rows(1)))
    solo = None
    if request.param == "duckdb":
        solo = make_store(request.param, tmp_path_factory.mktemp("solo"))
        solo.append(raw_batch(_rows(1)))
    try:
        yield mixed, solo
    finally:
        mixed.close()
        if solo is not None:
            solo.close()


@st.composite
def column_select(draw: st.DrawFn) -> str:
    """``SELECT CAST(a.col AS VARCHAR) AS v FROM <source> AS a [WHERE …]``."""
    view = draw(st.sampled_from(sorted(COLUMNS)))
    column = draw(st.sampled_from(COLUMNS[view]))
    source = draw(
        st.sampled_from([view, f'"{view.upper()}"', f"(SELECT * FROM {view})", f"(FROM {view})"])
    )
    where = draw(
        st.sampled_from(
            [
                "",
                " WHERE a.person_id IN (SELECT person_id FROM events)",
                " WHERE EXISTS (SELECT 1 FROM persons AS p WHERE p.person_id = a.person_id)",
                " WHERE a.person_id NOT IN (SELECT person_id FROM sessions)",
            ]
        )
    )
    return f"SELECT CAST(a.{column} AS VARCHAR) AS v FROM {source} AS a{where}"


@st.composite
def aggregate_select(draw: st.DrawFn) -> str:
    view = draw(st.sampled_from(sorted(COLUMNS)))
    agg = draw(st.sampled_from(["count(*)", "count(DISTINCT person_id)", "max(person_id)"]))
    return f"SELECT CAST({agg} AS VARCHAR) AS v FROM {view}"


@st.composite
def join_select(draw: st.DrawFn) -> str:
    left, right = draw(st.sampled_from(sorted(COLUMNS))), draw(st.sampled_from(sorted(COLUMNS)))
    side = draw(st.sampled_from(["a", "b"]))
    column = draw(st.sampled_from(COLUMNS[left if side == "a" else right]))
    kind = draw(st.sampled_from(["JOIN", "LEFT JOIN"]))
    return (
        f"SELECT CAST({side}.{column} AS VARCHAR) AS v FROM {left} AS a "
        f"{kind} {right} AS b ON a.person_id = b.person_id"
    )


def _wrap(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    setop = st.tuples(
        inner, st.sampled_from(["UNION ALL", "UNION", "INTERSECT", "EXCEPT"]), inner
    ).map(lambda t: f"SELECT v FROM ({t[0]} {t[1]} {t[2]}) AS u")
    cte = st.tuples(st.sampled_from(SHADOWS), inner).map(
        lambda t: f"WITH {t[0]} AS ({t[1]}) SELECT v FROM {t[0]}"
    )
    scalar = inner.map(lambda q: f"SELECT CAST((SELECT count(*) FROM ({q}) AS c) AS VARCHAR) AS v")
    return st.one_of(setop, cte, scalar)


QUERIES = st.recursive(
    st.one_of(column_select(), aggregate_select(), join_select()), _wrap, max_leaves=4
)


def answer(store: EventStore, sql: str) -> Counter[Any] | str:
    ctx = QueryContext(1, ZoneInfo("UTC"), dialect(store.dialect))
    try:
        result = run_sql(SQLQuery(sql=sql, limit=100_000), Runner(store, ctx))
    except SQLFailed as exc:
        return f"failed: {exc}"
    assert not result["truncated"]
    return Counter(row[0] for row in result["rows"])


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(sql=QUERIES)
def test_random_queries_never_see_another_project(
    stores: tuple[EventStore, EventStore | None], sql: str
) -> None:
    mixed, solo = stores
    seen = answer(mixed, sql)
    assert "p2" not in repr(seen), sql
    if solo is not None:
        assert seen == answer(solo, sql), sql
