"""Snapshots give exactly the on-the-fly results, before and after late-arriving events."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from heron.analysis.service import ProjectInfo, QueryService
from heron.meta.metric_models import MetricSnapshot, SnapshotState
from heron.meta.models import Project
from heron.metrics.extensions import meta_extensions
from heron.metrics.snapshot_scheduler import SnapshotScheduler
from heron.metrics.snapshots import SeriesKey, refresh
from heron.query.cache import MemoryCache
from heron.store.base import EventStore
from tests.conftest import BACKENDS, make_store
from tests.support.events import raw_batch
from tests.support.meta import migrated_meta
from tests.unit.metrics.metric_data import History, histories

NOW = datetime(2025, 3, 20, 15, tzinfo=UTC)
SEED = {"event": "pageview", "distinct_id": "u1", "timestamp": datetime(2025, 2, 20, 12)}
SERIES = [
    (SeriesKey("dau", "day"), "2025-03-01", "2025-03-14"),
    (SeriesKey("wau", "day"), "2025-03-01", "2025-03-20"),
    (SeriesKey("signups", "week"), "2025-03-03", "2025-03-16"),
    (SeriesKey("goal_completion_rate", "day", "cohort"), "2025-03-01", "2025-03-20"),
    (SeriesKey("habit_adherence_score", "week"), "2025-02-24", "2025-03-20"),
    (SeriesKey("d1_retention", "day"), "2025-03-02", "2025-03-12"),
    (SeriesKey("ai_nudge_effectiveness", "month", "persona"), "2025-03-01", "2025-03-20"),
    (SeriesKey("message_response_time", "day"), "2025-03-01", "2025-03-20"),
]


def spec(key: SeriesKey, date_from: str, date_to: str) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "MetricQuery", "metric": key.metric, "interval": key.interval}
    out.update(date_from=date_from, date_to=date_to)
    if key.dimension:
        out["breakdown"] = {"property": key.dimension}
    return out


def answers(svc: QueryService, query: dict[str, Any]) -> tuple[set[str], dict[Any, list[float]]]:
    result = svc.run(ProjectInfo(1, "America/New_York"), query, refresh=True)["results"]
    entries = result if isinstance(result, list) else [result]
    values = {e.get("breakdown_value"): e["series"][query["metric"]] for e in entries}
    return {e["source"] for e in entries}, values


def check(svc: QueryService, live: QueryService, *, fresh: bool) -> None:
    for key, date_from, date_to in SERIES:
        query = spec(key, date_from, date_to)
        sources, got = answers(svc, query)
        _, want = answers(live, query)
        assert got == want, key
        assert sources <= {"snapshot" if fresh else "live"}, key


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=histories(), late=histories())
def test_snapshots_equal_live_results_including_late_events(
    backend: str, tmp_path_factory: pytest.TempPathFactory, first: History, late: History
) -> None:
    tmp: Path = tmp_path_factory.mktemp("snap")
    store = make_store(backend, tmp)
    try:
        with migrated_meta(tmp, ("p", "q")) as meta:
            with meta.begin() as s:
                s.get(Project, 1).timezone = "America/New_York"
            store.append(raw_batch([SEED, *first.rows], project_id=1))
            store.append(raw_batch([{**SEED, "distinct_id": "other"}], project_id=2))
            svc = QueryService(
                store, MemoryCache(), extensions=meta_extensions(meta), clock=lambda: NOW
            )
            live = QueryService(store, MemoryCache(), clock=lambda: NOW)
            for key, _, _ in SERIES:
                refresh(store, meta, 1, key, now=NOW)
            check(svc, live, fresh=True)
            if late.rows:
                store.append(raw_batch(late.rows, project_id=1))
                check(svc, live, fresh=False)
            for key, _, _ in SERIES:
                refresh(store, meta, 1, key, now=NOW)
            check(svc, live, fresh=True)
    finally:
        store.close()


def test_a_changed_event_map_makes_snapshots_stale(
    duckdb_store: EventStore, tmp_path: Path
) -> None:
    with migrated_meta(tmp_path, ("p",)) as meta:
        rows = [{**SEED, "event": "sign_up"}, {**SEED, "event": "signup", "distinct_id": "u2"}]
        duckdb_store.append(raw_batch(rows, project_id=1))
        svc = QueryService(
            duckdb_store, MemoryCache(), extensions=meta_extensions(meta), clock=lambda: NOW
        )
        key = SeriesKey("signups", "day")
        query = spec(key, "2025-02-20", "2025-02-20")
        refresh(duckdb_store, meta, 1, key, now=NOW)
        assert answers(svc, query) == ({"snapshot"}, {None: [1]})
        with meta.begin() as s:
            s.get(Project, 1).settings = {"event_map": {"signup": ["sign_up", "signup"]}}
        assert answers(svc, query) == ({"live"}, {None: [2]})
        refresh(duckdb_store, meta, 1, key, now=NOW)
        assert answers(svc, query) == ({"snapshot"}, {None: [2]})


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_late_merge_recomputes_the_merged_persons_old_buckets(
    backend: str, tmp_path: Path
) -> None:
    """Weeks after a visitor and a user were both active on one day, an ``$identify``
    makes them one person: that old day's DAU drops, though no new event lands on it."""
    store = make_store(backend, tmp_path)
    try:
        with migrated_meta(tmp_path, ("p",)) as meta:
            day = datetime(2025, 3, 2, 15)
            both = [{**SEED, "timestamp": day}, {**SEED, "distinct_id": "anon", "timestamp": day}]
            store.append(raw_batch(both, project_id=1))
            svc = QueryService(
                store, MemoryCache(), extensions=meta_extensions(meta), clock=lambda: NOW
            )
            key = SeriesKey("dau", "day")
            query = spec(key, "2025-03-02", "2025-03-02")
            refresh(store, meta, 1, key, now=NOW)
            assert answers(svc, query) == ({"snapshot"}, {None: [2]})
            identify = {
                "event": "$identify",
                "distinct_id": "u1",
                "timestamp": datetime(2025, 3, 19, 12),
                "properties": {"$anon_distinct_id": "anon"},
            }
            store.append(raw_batch([identify], project_id=1))
            refresh(store, meta, 1, key, now=NOW)
            assert answers(svc, query) == ({"snapshot"}, {None: [1]})
    finally:
        store.close()


def test_the_scheduler_in_serve_refreshes_every_project(
    duckdb_store: EventStore, tmp_path: Path
) -> None:
    """``heron serve``'s scheduler thread keeps each project's configured series fresh."""
    with migrated_meta(tmp_path, ("p",)) as meta:
        duckdb_store.append(raw_batch([{**SEED, "timestamp": datetime.now(UTC)}], project_id=1))
        scheduler = SnapshotScheduler(duckdb_store, meta, every_seconds=0.05)
        scheduler.start()
        try:
            for _ in range(400):
                with meta() as s:
                    states = {state.metric for state in s.scalars(select(SnapshotState))}
                if states >= {"dau", "wau", "mau", "stickiness", "signups"}:
                    break
                time.sleep(0.05)
        finally:
            scheduler.stop()
        assert states >= {"dau", "wau", "mau", "stickiness", "signups"}
        with meta() as s:
            dau = s.scalars(select(MetricSnapshot).where(MetricSnapshot.metric == "dau")).all()
        assert sum(value for row in dau for value in row.values.values()) == 1
