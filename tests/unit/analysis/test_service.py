"""The query service: envelope, result cache and its invalidation, cohorts, Python API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import heron.metrics.query  # noqa: F401  (registers MetricQuery)
from heron.analysis.service import ProjectInfo, QueryService, query
from heron.config import Settings
from heron.meta.db import meta_session
from heron.meta.projects import create_project
from heron.query.cache import MemoryCache, RedisCache, cache_key
from heron.query.registry import SpecError
from heron.store.base import EventStore
from heron.store.duckdb import DuckDBStore
from tests.support.events import raw_batch

NOW = datetime(2025, 4, 10, 12, tzinfo=UTC)
P1 = ProjectInfo(1, "UTC")
COUNT = {"kind": "SQLQuery", "sql": "select count(*) as n from events"}


def events(n: int, project_id: int = 1, name: str = "e") -> Any:
    rows = [
        {"event": name, "distinct_id": f"d{i}", "timestamp": NOW - timedelta(hours=i)}
        for i in range(n)
    ]
    return raw_batch(rows, project_id=project_id)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class Cohorts:
    """An in-memory cohort source: ``{(project, id): definition}``."""

    def __init__(self, saved: dict[tuple[int, int], Any]) -> None:
        self.saved = saved

    def definition(self, project_id: int, cohort_id: int) -> Any | None:
        return self.saved.get((project_id, cohort_id))


def n(result: dict[str, Any]) -> int:
    return result["results"]["rows"][0][0]


def test_envelope_cache_hit_and_invalidation_by_new_events(store: EventStore) -> None:
    store.append(events(3))
    service = QueryService(store, MemoryCache(), clock=Clock())
    first = service.run(P1, COUNT)
    assert (n(first), first["cached"]) == (3, False)
    assert set(first["timings"]) == {"total_ms", "sql_ms"} and first["timings"]["sql_ms"] > 0
    second = service.run(P1, dict(COUNT))
    assert (second["results"], second["cached"]) == (first["results"], True)
    assert second["timings"]["sql_ms"] == 0
    assert service.run(P1, COUNT, refresh=True)["cached"] is False
    store.append(events(2, name="f"))
    third = service.run(P1, COUNT)
    assert (n(third), third["cached"]) == (5, False)


def test_cache_is_per_project(duckdb_store: EventStore) -> None:
    duckdb_store.append(events(3))
    duckdb_store.append(events(1, project_id=2))
    service = QueryService(duckdb_store, MemoryCache(), clock=Clock())
    assert n(service.run(P1, COUNT)) == 3
    other = service.run(ProjectInfo(2, "UTC"), COUNT)
    assert (n(other), other["cached"]) == (1, False)
    assert service.run(ProjectInfo(1, "Asia/Tokyo"), COUNT)["cached"] is False


def test_hour_relative_specs_are_cached_per_minute(duckdb_store: EventStore) -> None:
    duckdb_store.append(events(3))
    clock = Clock()
    service = QueryService(duckdb_store, MemoryCache(), clock=clock)
    hourly = {"kind": "CohortQuery", "definition": {"first_seen": {"date_from": "-24h"}}}
    daily = {"kind": "CohortQuery", "definition": {"first_seen": {"date_from": "-7d"}}}
    service.run(P1, hourly)
    service.run(P1, daily)
    clock.now += timedelta(minutes=2)
    assert service.run(P1, hourly)["cached"] is False
    assert service.run(P1, daily)["cached"] is True
    clock.now += timedelta(days=1)
    assert service.run(P1, daily)["cached"] is False


def test_invalid_specs_raise_spec_errors(duckdb_store: EventStore) -> None:
    service = QueryService(duckdb_store, MemoryCache(), clock=Clock())
    with pytest.raises(SpecError) as caught:
        service.run(P1, {"kind": "NoSuchQuery"})
    assert caught.value.errors[0]["loc"] == ["kind"]
    with pytest.raises(SpecError) as caught:
        service.run(P1, {"kind": "SQLQuery"})
    assert caught.value.errors[0]["loc"] == ["sql"]
    backwards = {"first_seen": {"date_from": "2025-02-01", "date_to": "2025-01-01"}}
    with pytest.raises(SpecError, match="date_to is before date_from"):
        service.run(P1, {"kind": "CohortQuery", "definition": backwards})


def test_saved_cohorts_are_resolved_per_project_and_keyed_by_definition(
    duckdb_store: EventStore,
) -> None:
    duckdb_store.append(events(4))
    duckdb_store.append(events(2, name="buy"))
    saved: dict[tuple[int, int], Any] = {(1, 5): {"event": "buy", "days": 7}}
    service = QueryService(duckdb_store, MemoryCache(), Cohorts(saved), clock=Clock())
    spec = {"kind": "CohortQuery", "cohort": 5}
    assert service.run(P1, spec)["results"]["count"] == 2
    assert service.run(P1, spec)["cached"] is True
    saved[(1, 5)] = {"event": "e", "days": 7}
    changed = service.run(P1, spec)
    assert (changed["results"]["count"], changed["cached"]) == (4, False)
    with pytest.raises(SpecError, match="no cohort with id 5 in this project"):
        service.run(ProjectInfo(2, "UTC"), spec)
    with pytest.raises(SpecError, match="saved cohorts are not available"):
        QueryService(duckdb_store).run(P1, spec)


def test_results_are_plain_json(duckdb_store: EventStore) -> None:
    sql = (
        "select 1.5::decimal(10, 2) as d, 2::decimal(10, 0) as i, 'ab'::blob as b, "
        "date '2025-01-02' as day, interval 90 second as span, [1, 2] as xs, "
        "{'k': 1} as st, uuid '6c1c2d62-8d51-4f0e-9c59-4b3b4c6d6c43' as u"
    )
    result = QueryService(duckdb_store).run(P1, {"kind": "SQLQuery", "sql": sql})
    row = dict(zip(result["results"]["columns"], result["results"]["rows"][0], strict=True))
    assert row["d"] == 1.5 and row["i"] == 2 and row["b"] == "6162"
    assert row["day"] == "2025-01-02" and row["xs"] == [1, 2] and row["st"] == {"k": 1}
    assert row["u"] == "6c1c2d62-8d51-4f0e-9c59-4b3b4c6d6c43"
    assert row["span"] == {"months": 0, "days": 0, "nanoseconds": 90_000_000_000}


def test_memory_cache_is_a_bounded_lru() -> None:
    cache = MemoryCache(max_entries=2, max_bytes=10)
    cache.set("a", b"1")
    cache.set("b", b"2")
    assert cache.get("a") == b"1"
    cache.set("c", b"3")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (b"1", None, b"3")
    cache.set("big", b"x" * 11)
    assert cache.get("big") is None
    cache.set("nine", b"x" * 9)
    assert (len(cache), cache.get("a"), cache.get("nine")) == (2, None, b"x" * 9)
    assert cache_key(1, {"b": 1, "a": 2}) == cache_key(1, {"a": 2, "b": 1})


@pytest.mark.integration
def test_redis_cache_round_trip() -> None:
    prefix = f"heron-test:{uuid.uuid4().hex}:"
    cache = RedisCache("redis://127.0.0.1:6379/0", prefix=prefix, ttl_seconds=60)
    try:
        assert cache.get("k") is None
        cache.set("k", b"value")
        assert cache.get("k") == b"value"
        assert 0 < cache.client.ttl(prefix + "k") <= 60
    finally:
        keys = list(cache.client.scan_iter(match=prefix + "*"))
        if keys:
            cache.client.delete(*keys)
        cache.close()


def test_python_api_reads_the_configured_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    with meta_session(settings) as s:
        project_id = create_project(s, "P", timezone="Europe/Paris").id
    store = DuckDBStore(settings.resolved_events_url.removeprefix("duckdb://"))
    store.append(events(3, project_id=project_id))
    store.close()
    result = query(COUNT, project_id, settings)
    assert (n(result), result["cached"]) == (3, False)
    with pytest.raises(LookupError, match="no project with id 999"):
        query(COUNT, 999, settings)


class Counting:
    """A store proxy counting the statements it runs."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.statements: list[str] = []

    def query(self, sql: str) -> Any:
        self.statements.append(sql)
        return self.store.query(sql)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def activity(days: int = 50) -> Any:
    rows = []
    for day in range(days):
        for person in range(day % 7 + 1):
            moment = NOW - timedelta(days=day, hours=person)
            rows.append(
                {"event": "view", "distinct_id": f"u{person * 3 % 11}", "timestamp": moment}
            )
    rows += [
        {"event": "signup", "distinct_id": f"u{p}", "timestamp": NOW - timedelta(days=20 - p)}
        for p in range(11)
    ]
    return raw_batch(rows)


def metric(name: str) -> dict[str, Any]:
    return {"kind": "MetricQuery", "metric": name, "date_from": "-30d"}


def test_active_user_and_retention_metrics_share_their_scans(store: EventStore) -> None:
    store.append(activity())
    counting = Counting(store)
    names = ("dau", "wau", "mau", "d1_retention", "d7_retention")
    shared = QueryService(counting, MemoryCache(), clock=Clock())  # type: ignore[arg-type]
    together = {
        name: shared.run(P1, metric(name), share_activity=True)["results"] for name in names
    }
    assert len(counting.statements) == 2  # one masks scan, one signup-offsets scan
    for name in names:  # each alone, in a service of its own (DAU a distinct count): the same
        assert (
            QueryService(store, MemoryCache(), clock=Clock()).run(P1, metric(name))["results"]
            == together[name]
        )
    assert sum(together["dau"]["series"]["dau"]) > 0
    store.append(events(1, name="view"))
    shared.run(P1, metric("wau"), share_activity=True)
    assert len(counting.statements) == 3  # new events: a new data version, a new scan
