"""The executive suite: the executive dashboard (all its metrics) cold, from snapshots, cached.

``python -m bench executive [--size 10m|1m] [--runs N] [--concurrency C] [--write-docs]``

The query suite's DuckDB store of the size (the dashboard suite's setup: copied into a
fresh data directory with a new meta DB and project) is opened in-process, as ``heron
serve`` opens it, and every widget of the ``executive`` template is run through the query
service exactly as its widget-data endpoint runs it (the template's filter bar applied),
one after the other (``--concurrency 6``: as many at a time as a browser asks), on the
query suite's clock (the day after the data ends). Loads:

- *cold*: a fresh result cache and no snapshots, so every metric is computed from events
  (the first load after the store opened is reported on its own);
- *from snapshots*: a fresh result cache after the dashboard's metric series were
  snapshotted (``heron snapshots refresh``: :func:`heron.metrics.snapshots.refresh`);
- *cached*: the same query service again (its result cache answers).

The peer runs the dashboard's event metrics as hand-written SQL on the same DuckDB store
(:mod:`bench.executive_peer`).
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from bench import executive_peer as peer
from bench import executive_report as report
from bench import harness
from bench import query_specs as q
from bench.dashboard import prepare
from bench.dashboard_report import publish
from bench.dashboard_spec import BROWSER_CONCURRENCY

RUNS = 5


@dataclass(slots=True)
class Config:
    events: int
    runs: int
    concurrency: int


@dataclass(slots=True)
class Bench:
    """The opened store and meta DB, and the executive dashboard's widget specs."""

    store: Any
    meta: Any
    specs: list[tuple[str, dict[str, Any]]]
    concurrency: int

    def service(self) -> Any:
        """A query service with a fresh result cache, on the suite's clock."""
        from heron.analysis.cohort_store import MetaCohorts
        from heron.analysis.service import QueryService
        from heron.metrics.extensions import meta_extensions
        from heron.query.cache import MemoryCache

        return QueryService(
            self.store,
            MemoryCache(),
            MetaCohorts(self.meta),
            clock=lambda: q.NOW,
            extensions=meta_extensions(self.meta),
        )

    def load(self, service: Any) -> dict[str, Any]:
        """Every widget once, ``concurrency`` at a time; per widget ms and source."""
        from heron.analysis.service import ProjectInfo

        project = ProjectInfo(q.PROJECT_ID, q.TIMEZONE)

        def run(item: tuple[str, dict[str, Any]]) -> tuple[str, float, dict[str, Any]]:
            begun = time.perf_counter()
            envelope = service.run(project, item[1], share_activity=True)
            return item[0], (time.perf_counter() - begun) * 1000, envelope

        started = time.perf_counter()
        with ThreadPoolExecutor(self.concurrency) as pool:
            answers = list(pool.map(run, self.specs))
        wall = (time.perf_counter() - started) * 1000
        widgets = {wid: ms for wid, ms, _ in answers}
        sources = {"live": 0, "snapshot": 0, "cached": 0}
        for _, _, envelope in answers:
            sources[source_of(envelope)] += 1
        return {
            "wall_ms": wall,
            "sum_ms": sum(widgets.values()),
            "max_ms": max(widgets.values()),
            "widgets": widgets,
            "sources": sources,
            "results": {wid: envelope["results"] for wid, _, envelope in answers},
        }


def source_of(envelope: dict[str, Any]) -> str:
    """``cached``, ``snapshot`` (a metric read from snapshots) or ``live``."""
    if envelope["cached"]:
        return "cached"
    results = envelope["results"]
    return (
        "snapshot" if isinstance(results, dict) and results.get("source") == "snapshot" else "live"
    )


def executive_specs() -> list[tuple[str, dict[str, Any]]]:
    """Each widget's query as the widget-data endpoint runs it under the template's filters."""
    import heron.dashboards.widgets  # noqa: F401  (registers every query kind, as the app does)
    from heron.dashboards.business_templates import EXECUTIVE
    from heron.dashboards.filters import apply_filters
    from heron.dashboards.spec import DashboardFilters
    from heron.dashboards.widget_types import WIDGET_TYPES

    filters = DashboardFilters.model_validate(EXECUTIVE.dashboard()["filters"])
    return [
        (
            w["id"],
            apply_filters(
                w["query"], filters, compare_always=WIDGET_TYPES[w["type"]].compare_always
            ),
        )
        for w in EXECUTIVE.widgets
    ]


def open_bench(workdir: Path, concurrency: int) -> Bench:
    """Open the copied store and meta DB; list the dashboard's series for snapshots."""
    from heron.config import Settings
    from heron.dashboards.business_templates import EXECUTIVE
    from heron.dashboards.snapshot_plan import with_snapshots
    from heron.meta.db import open_meta
    from heron.meta.models import Project
    from heron.store.base import open_store

    settings = Settings(data_dir=workdir)
    meta = open_meta(settings)
    with meta.begin() as s:
        project = s.get_one(Project, q.PROJECT_ID)
        wanted = with_snapshots(dict(project.settings or {}), EXECUTIVE)
        if wanted is not None:
            project.settings = wanted
    return Bench(open_store(settings.resolved_events_url), meta, executive_specs(), concurrency)


def refresh_snapshots(bench: Bench) -> float:
    """Refresh the dashboard's snapshot series on the suite's clock; seconds taken."""
    from heron.dashboards.business_templates import EXECUTIVE
    from heron.dashboards.snapshot_plan import snapshot_series
    from heron.metrics.snapshots import SeriesKey, refresh

    started = time.perf_counter()
    for entry in snapshot_series(EXECUTIVE):
        key = SeriesKey(entry["metric"], entry["interval"])
        refresh(bench.store, bench.meta, q.PROJECT_ID, key, now=q.NOW)
    return time.perf_counter() - started


def peer_timings(bench: Bench, runs: int, heron_dau: Any) -> dict[str, Any]:
    """Median ms of each peer statement, and whether its DAU equals Heron's."""
    from heron.query.context import QueryContext
    from heron.query.dialects import dialect

    ctx = QueryContext(q.PROJECT_ID, _zone(), dialect(bench.store.dialect), now=q.NOW)
    rng = ctx.time_range("-30d", None)
    last = rng.end_local - timedelta(days=1)
    statements = peer.statements(
        q.PROJECT_ID,
        q.TIMEZONE,
        rng.start_utc,
        rng.end_utc,
        rng.start_local.date().isoformat(),
        last.date().isoformat(),
    )
    timings: dict[str, float] = {}
    rows: dict[str, list[dict[str, Any]]] = {}
    for name, sql in statements.items():
        rows[name] = bench.store.query(sql).to_pylist()
        seconds = harness.repeat(partial(bench.store.query, sql), runs)
        timings[name] = harness.median(seconds) * 1000
    daily = peer.daily_dau(rows["DAU, signups, GMV, fees"])
    ours = dict(zip(heron_dau["labels"], heron_dau["series"]["dau"], strict=True))
    agrees = all(abs(ours.get(day, 0.0) - value) < 1e-9 for day, value in daily.items())
    return {"statements": timings, "dau_agrees": agrees}


def _zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(q.TIMEZONE)


def measure(config: Config, workdir: Path) -> dict[str, Any]:
    _, store_note = prepare(config.events, workdir)
    bench = open_bench(workdir, config.concurrency)
    try:
        first = bench.load(bench.service())
        cold = [bench.load(bench.service()) for _ in range(config.runs)]
        report.progress("cold", [first, *cold])
        refresh_seconds = refresh_snapshots(bench)
        again_seconds = refresh_snapshots(bench)
        snapshots = [bench.load(bench.service()) for _ in range(config.runs)]
        report.progress("from snapshots", snapshots)
        service = bench.service()
        bench.load(service)
        cached = [bench.load(service) for _ in range(config.runs)]
        report.progress("cached", cached)
        peers = peer_timings(bench, config.runs, first["results"]["dau"])
    finally:
        bench.store.close()
    for load in (first, *cold, *snapshots, *cached):
        load.pop("results")
    return {
        "store": store_note,
        "widgets": [wid for wid, _ in bench.specs],
        "loads": {"first": [first], "cold": cold, "snapshots": snapshots, "cached": cached},
        "refresh_seconds": refresh_seconds,
        "refresh_again_seconds": again_seconds,
        "peer": peers,
    }


def config_from(argv: list[str]) -> tuple[Config, argparse.Namespace]:
    parser = argparse.ArgumentParser(prog="python -m bench executive", description=__doc__)
    parser.add_argument("--size", default="10m", help="events: 10m (default) or 1m")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"timed loads of each kind ({RUNS})")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help=f"widgets run at once (1: one after the other; {BROWSER_CONCURRENCY}: as a browser)",
    )
    parser.add_argument("--write-docs", action="store_true", help="rewrite docs/benchmarks.md")
    args = parser.parse_args(argv)
    (events,) = q.parse_sizes(args.size)
    return Config(events, args.runs, max(1, args.concurrency)), args


def main(argv: list[str]) -> int:
    config, args = config_from(argv)
    load_before = harness.load_average()
    label = q.size_label(config.events)
    print(f"executive bench, {label}: load average {load_before} on {os.cpu_count()} cores")
    with harness.scratch_dir("executive-") as workdir:
        measured = measure(config, workdir)
    run = {
        "events": config.events,
        "runs": config.runs,
        "concurrency": config.concurrency,
        "load_before": load_before,
        "load_after": harness.load_average(),
        **measured,
    }
    tables = report.render(run, " ".join(["python -m bench executive", *argv]))
    publish(report.SECTION, run, tables, args.write_docs)
    return 0
