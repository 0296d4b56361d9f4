"""The query suite: every insight type on DuckDB and on chdb through Heron, against peers.

``python -m bench queries [--sizes 1m,10m] [--quick] [--pg-10m] [--write-docs]``

Per size, demo events (cached as Parquet) are loaded once into a DuckDB store and a chdb
store under ``.bench-data/stores/`` (reused while their row counts match). A child
process then times each insight through Heron's runner (no result cache) on both
stores, and the peers of :mod:`bench.query_peers` on the same rows with the same two
threads, checks that every peer's numbers equal Heron's, and reports its peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import harness
from bench import query_peers as peers
from bench import query_specs as q

STORES = harness.BENCH_DATA / "stores"
THREADS = peers.THREADS
LOAD_BATCH = 122_880
SORT_MEMORY = "4GB"
"""Rows per ``append``: identity planning grows faster than linearly with a batch's merges."""


@dataclass(slots=True)
class Config:
    sizes: list[int]
    runs: int
    pg_limit: int  # PostgreSQL runs at sizes up to this (1M; 10M with --pg-10m)
    chdb_limit: int | None = None  # Heron's chdb store at sizes up to this (None: every size)
    warmups: int = 1


def parquet_path(events: int) -> Path:
    return harness.BENCH_DATA / f"queries-{q.PRODUCT}-{q.size_label(events)}.parquet"


def store_path(backend: str, events: int) -> Path:
    return STORES / f"{q.PRODUCT}-{q.size_label(events)}.{backend}"


def ensure_parquet(events: int) -> int:
    """The size's demo events as Parquet (generated once); returns its row count."""
    import pyarrow.parquet as pq

    from heron.demo import write_parquet

    path = parquet_path(events)
    if not path.exists():
        print(f"  generating {q.size_label(events)} {q.PRODUCT} events …", flush=True)
        partial = path.with_suffix(".partial")
        path.parent.mkdir(parents=True, exist_ok=True)
        write_parquet(q.PRODUCT, events, partial, project_id=q.PROJECT_ID, seed=q.SEED)
        partial.rename(path)
    return int(pq.ParquetFile(path).metadata.num_rows)


def open_store(backend: str, path: Path) -> Any:
    """Heron's store of that backend with :data:`THREADS` threads for queries, and DuckDB's
    memory limit as Heron sets it by default (``HERON_DUCKDB_MEMORY_LIMIT``)."""
    if backend == "duckdb":
        from heron.store.duckdb import DuckDBStore

        return DuckDBStore(path, threads=THREADS, memory_limit=duckdb_memory_limit())
    from heron.store.base import open_store as open_url

    store: Any = open_url(f"chdb://{path}")
    store.transport.command(f"SET max_threads = {THREADS}")
    return store


def duckdb_memory_limit() -> str | None:
    """Heron's DuckDB memory limit (``None``: DuckDB's own default, 80% of RAM)."""
    from heron.config import load_settings

    return load_settings().duckdb_memory_limit or None


def stored_rows(store: Any) -> int:
    table = store.query(f"SELECT count(*) AS n FROM events WHERE project_id = {q.PROJECT_ID}")
    return int(table["n"][0].as_py())


def load_store(backend: str, events: int) -> dict[str, Any]:
    """Fill the size's store from its Parquet file, sorted by time, unless it already holds
    every row; runs in a worker process (chdb serves one data directory per process)."""
    import duckdb
    import pyarrow as pa

    from heron.events import RAW_SCHEMA

    path, expected = store_path(backend, events), ensure_parquet(events)
    store = open_store(backend, path)
    if stored_rows(store) == expected:
        store.close()
        return {"rows": expected, "reused": True, "seconds": 0.0}
    store.close()
    shutil.rmtree(path, ignore_errors=True)
    for stale in (path, Path(f"{path}.wal")):
        stale.unlink(missing_ok=True)
    store = open_store(backend, path)
    started, done, shown = time.perf_counter(), 0, 0
    spill = Path(tempfile.mkdtemp(prefix="sort-", dir=harness.BENCH_DATA))
    # The sort spills beyond SORT_MEMORY (at 100M events it would otherwise hold every row).
    config = {"threads": THREADS, "temp_directory": str(spill), "memory_limit": SORT_MEMORY}
    source = duckdb.connect(config=config)
    try:
        sorted_rows = source.sql(
            f"SELECT * FROM read_parquet('{parquet_path(events)}') ORDER BY timestamp"
        )
        for batch in sorted_rows.to_arrow_reader(LOAD_BATCH):
            done += store.append(pa.Table.from_batches([batch]).cast(RAW_SCHEMA)).inserted
            if done - shown >= 1_000_000:
                shown = done
                elapsed = time.perf_counter() - started
                print(f"  [{backend}] {done:,} / {expected:,} rows, {elapsed:,.0f} s", flush=True)
        rows = stored_rows(store)
    finally:
        source.close()
        store.close()
        shutil.rmtree(spill, ignore_errors=True)
    return {"rows": rows, "reused": False, "seconds": time.perf_counter() - started}


# -- measuring ------------------------------------------------------------------------------


def measure_size(
    events: int,
    warmups: int,
    runs: int,
    postgres: bool,
    backends: tuple[str, ...] = ("duckdb", "chdb"),
) -> dict[str, Any]:
    """Everything timed for one size (runs in a worker process, so its RSS is its own)."""
    size_label = q.size_label(events)
    timings: dict[str, dict[str, Any]] = {i.key: {} for i in q.INSIGHTS}
    results: dict[str, dict[str, Any]] = {i.key: {} for i in q.INSIGHTS}
    notes: list[str] = []
    stores: dict[str, Any] = {}
    for backend in HERON:
        if backend not in backends:
            notes.append(f"heron {backend}: not loaded at this size (`--chdb-up-to`)")
            continue
        try:
            stores[backend] = open_store(backend, store_path(backend, events))
        except Exception as exc:
            notes.append(f"heron {backend}: store not available ({type(exc).__name__}: {exc})")
    for insight in q.INSIGHTS:
        reason = q.unavailable(insight)
        for backend, store in stores.items():
            if reason:
                timings[insight.key][backend] = {"seconds": [], "error": None, "skipped": reason}
                continue
            timing, result = q.timed(q.heron_runner(insight, store), warmups, runs)
            timings[insight.key][backend], results[insight.key][backend] = timing, result
            q.progress(f"{size_label} {insight.key} heron {backend}", timing)
    rss_heron = q.peak_rss()
    rows = stores["duckdb"].query(peers.PEER_ROWS_SQL, [q.PROJECT_ID])
    builders: dict[str, Callable[[], Any]] = {}
    builders["native"] = lambda: peers.ClickHouseNative(native_transport(stores, events), rows)
    builders["pandas"] = lambda: peers.PandasPeer(peers.pandas_frame(rows))
    if postgres:
        builders["postgres"] = lambda: peers.PostgresPeer(rows)
    peer_objects: dict[str, Any] = {}
    for name, build in builders.items():
        started = time.perf_counter()
        try:
            peer_objects[name] = build()
        except Exception as exc:  # a peer that cannot start is reported, not fatal
            notes.append(f"{name}: not available ({type(exc).__name__}: {str(exc)[:200]})")
            continue
        notes.append(f"{name}: set up in {time.perf_counter() - started:,.1f} s (not timed)")
    try:
        for name, peer in peer_objects.items():
            for question, fn in peers.questions(peer).items():
                key = next(i.key for i in q.INSIGHTS if i.peer == question)
                timing, result = q.timed(fn, warmups, runs)
                timings[key][name], results[key][name] = timing, result
                q.progress(f"{size_label} {key} {name}", timing)
    finally:
        if "postgres" in peer_objects:
            peer_objects["postgres"].close()
        for store in stores.values():
            store.close()
    return {
        "events": events,
        "timings": timings,
        "checks": {i.key: q.checks(i, results[i.key]) for i in q.INSIGHTS},
        "rss_heron": rss_heron,
        "rss_end": q.peak_rss(),
        "notes": notes,
    }


def native_transport(stores: dict[str, Any], events: int) -> Any:
    """The chdb engine for ClickHouse's native functions: the chdb store's, else (that store
    not loaded) a chdb session of its own beside the stores (one per process either way)."""
    if "chdb" in stores:
        return stores["chdb"].transport
    from heron.store.clickhouse_transport import ChdbTransport

    transport = ChdbTransport(str(STORES / f"{q.PRODUCT}-{q.size_label(events)}.native"))
    transport.command(f"SET max_threads = {THREADS}")
    return transport


# -- the report -----------------------------------------------------------------------------

HERON = ("duckdb", "chdb")
PEERS = ("native", "pandas", "postgres")
COLUMNS = ["insight", "heron duckdb", "heron chdb", "clickhouse native", "pandas", "postgres"]
COLUMNS += ["duckdb ÷ best peer", "chdb ÷ best peer", "same numbers as heron duckdb"]
TARGET_MS = {10_000_000: 300.0, 100_000_000: 2000.0}
"""The latency targets, set at 10M and 100M events (no target at other sizes)."""


def latency_cell(timing: dict[str, Any] | None, runs: int) -> str:
    if timing is None:
        return "–"
    if timing.get("skipped"):
        return "n/a"
    if timing.get("error"):
        return "error"
    once = " (1 run)" if len(timing["seconds"]) == 1 < runs else ""
    return harness.fmt_ms(q.median_ms(timing)) + once


def marks_cell(checks: dict[str, dict[str, Any]]) -> str:
    """``chdb ✓ · native ✓ · pandas ✗`` against Heron on DuckDB, or ``vs native: pandas ✓``."""
    parts, reference = [], "duckdb"
    for name, mark in checks.items():
        prefix = "" if mark["vs"] == reference else f"vs {mark['vs']}: "
        reference = mark["vs"]
        parts.append(f"{prefix}{name} {'✓' if mark['same'] else '✗'}")
    return " · ".join(parts) or "–"


def target_cell(values: dict[str, float | None], limit: float | None) -> str:
    if limit is None:
        return "–"
    shown = [f"{k} {'✓' if v <= limit else '✗'}" for k, v in values.items() if v is not None]
    return " ".join(shown) or "–"


def size_table(size: dict[str, Any], runs: int) -> harness.Table:
    events, label = size["events"], q.size_label(size["events"])
    limit = TARGET_MS.get(events)
    table = harness.Table(
        f"{label} events ({size['rows']:,}): median latency, Heron and peers",
        [*COLUMNS, f"≤ {harness.fmt_ms(limit)}" if limit else "latency target", "≤ 1.0× native"],
    )
    if "timings" not in size:
        table.notes.append(f"measuring failed: {size.get('error')}")
        return table
    slowest: tuple[float, str] | None = None
    for insight in q.INSIGHTS:
        timings = size["timings"][insight.key]
        ms = {name: q.median_ms(timings.get(name)) for name in (*HERON, *PEERS)}
        peer_ms = [v for k, v in ms.items() if k in PEERS and v is not None]
        best = min(peer_ms, default=None)
        heron = {k: ms[k] for k in HERON}
        native = {k: harness.ratio(v, ms["native"]) for k, v in heron.items()}
        table.add(
            insight.title,
            *(latency_cell(timings.get(n), runs) for n in (*HERON, *PEERS)),
            *(harness.fmt_ratio(harness.ratio(heron[k], best)) for k in HERON),
            marks_cell(size["checks"][insight.key]),
            target_cell(heron, limit),
            target_cell(native, 1.0) if insight.peer in ("funnel", "retention") else "",
        )
        top = max((v for v in heron.values() if v is not None), default=None)
        if top is not None and (slowest is None or top > slowest[0]):
            slowest = (top, insight.title)
        for name, timing in timings.items():
            reason = timing.get("skipped") or timing.get("error")
            if reason and (name != "chdb" or not timing.get("skipped")):
                table.notes.append(f"{insight.title}, {name}: {reason}")
        for name, mark in size["checks"][insight.key].items():
            if not mark["same"]:
                table.notes.append(
                    f"MISMATCH {insight.title}: {name} vs {mark['vs']}: {mark['difference']}"
                )
    if slowest is not None:
        table.notes.append(f"slowest Heron insight: {slowest[1]} ({harness.fmt_ms(slowest[0])})")
    table.notes += [
        f"median of {runs} runs after 1 warm-up (a query whose warm-up took over "
        f"{q.SLOW_SECONDS:.0f} s: 1 run); ÷ best peer: Heron's median over the fastest peer's",
        f"peak RSS of the measuring process: {harness.fmt_bytes(size.get('rss_heron'))} after "
        f"Heron's runs (its stores open), {harness.fmt_bytes(size.get('rss_end'))} at the end "
        "(with the peers' table, frame and connection)",
        *(f"{b} store: {_loaded(load)}" for b, load in size["loads"].items()),
        *size.get("notes", []),
    ]
    return table


def _loaded(load: dict[str, Any]) -> str:
    if "error" in load:
        return str(load["error"])
    return "reused" if load["reused"] else f"loaded in {load['seconds']:,.0f} s"


def run_table(run: dict[str, Any], command: str) -> harness.Table:
    table = harness.run_table("Query benchmark: the run", run["load_before"], run["load_after"])
    sizes = ", ".join(f"{q.size_label(s['events'])} ({s['rows']:,})" for s in run["sizes"])
    table.add("events", f"heron.demo {q.PRODUCT} (seed {q.SEED}), {q.TIMEZONE}: {sizes}")
    table.add(
        "range", f"{q.FIRST_DAY} … {q.LAST_DAY} (every query's clock: {q.NOW:%Y-%m-%d %H:%M} UTC)"
    )
    table.add("command", f"`{command}`")
    table.add("run at", time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    table.notes = [
        "a shared machine: with a load average above the core count, other work ran alongside "
        "and absolute latencies are inflated; peers ran in the same minutes, so compare ratios",
        f"threads: DuckDB `threads = {THREADS}`, chdb `max_threads = {THREADS}` (Heron's chdb "
        "store and the native peer share its engine), PostgreSQL one parallel worker + leader, "
        "pandas single-threaded",
        f"memory: DuckDB `memory_limit = {duckdb_memory_limit() or '80% of RAM'}` (Heron's "
        "default, `HERON_DUCKDB_MEMORY_LIMIT`: larger intermediates spill to disk); chdb and "
        "the peers unlimited",
        "Heron: the analysis runner called directly (no result cache); each query resolves "
        "persons through identity merges. Peers read `(person, event, timestamp)` with the "
        "person resolved when their table was built: they do no identity work",
        *peers.DESCRIPTIONS,
        "targets (printed, not asserted): every insight ≤ 300 ms median at 10M events "
        "(≤ 2 s at 100M); funnels and retention ≤ 1.0× ClickHouse native",
    ]
    return table


def render(run: dict[str, Any], command: str) -> list[harness.Table]:
    runs = int(run["config"]["runs"])
    return [run_table(run, command), *(size_table(s, runs) for s in run["sizes"])]


# -- the suite ------------------------------------------------------------------------------


def _worker(args: list[str], out: Path) -> dict[str, Any]:
    """Run this module as a child (``--worker …``) and read the JSON it wrote."""
    cmd = [sys.executable, "-m", "bench", "queries", *args, "--out", str(out)]
    code = subprocess.run(cmd, cwd=harness.REPO_ROOT, check=False).returncode
    if code != 0 or not out.exists():
        return {"error": f"worker {' '.join(args)} exited with {code}"}
    return dict(json.loads(out.read_text()))


def load_both(
    events: int, workdir: Path, backends: tuple[str, ...] = HERON
) -> dict[str, dict[str, Any]]:
    """Load (or reuse) the stores of a size, each in its own process, side by side."""

    def load(backend: str) -> dict[str, Any]:
        args = ["--worker", f"load-{backend}", "--size", str(events)]
        return _worker(args, workdir / f"load-{backend}-{events}.json")

    with ThreadPoolExecutor(2) as pool:
        return dict(zip(backends, pool.map(load, backends), strict=True))


def backends_at(config: Config, events: int) -> tuple[str, ...]:
    """Heron's stores measured at a size: chdb only up to ``config.chdb_limit``."""
    if config.chdb_limit is not None and events > config.chdb_limit:
        return ("duckdb",)
    return HERON


def config_from(argv: list[str]) -> tuple[Config, argparse.Namespace]:
    parser = argparse.ArgumentParser(prog="python -m bench queries", description=__doc__)
    parser.add_argument("--sizes", help="comma-separated sizes (default 1m,10m; 1m with --quick)")
    parser.add_argument("--quick", action="store_true", help="3 runs after 1 warm-up")
    parser.add_argument("--runs", type=int, help="timed runs per query (default 5, 3 quick)")
    parser.add_argument("--pg-10m", action="store_true", help="PostgreSQL at 10M too")
    parser.add_argument(
        "--chdb-up-to", help="load and measure Heron's chdb store only up to this size (e.g. 10m)"
    )
    parser.add_argument("--write-docs", action="store_true", help="rewrite docs/benchmarks.md")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = q.parse_sizes(args.sizes or ("1m" if args.quick else "1m,10m"))
    pg_limit = 10_000_000 if args.pg_10m else 1_000_000
    chdb_limit = q.parse_sizes(args.chdb_up_to)[0] if args.chdb_up_to else None
    return Config(sizes, args.runs or (3 if args.quick else 5), pg_limit, chdb_limit), args


def run_worker(config: Config, args: argparse.Namespace) -> int:
    if args.worker.startswith("load-"):
        payload = load_store(args.worker.removeprefix("load-"), args.size)
    else:
        postgres = args.size <= config.pg_limit
        backends = backends_at(config, args.size)
        payload = measure_size(args.size, config.warmups, config.runs, postgres, backends)
    args.out.write_text(json.dumps(payload, default=str))
    return 0


def main(argv: list[str]) -> int:
    config, args = config_from(argv)
    if args.worker:
        return run_worker(config, args)
    load_before = harness.load_average()
    print(f"queries bench: load average {load_before} on {os.cpu_count()} cores", flush=True)
    sizes = []
    with harness.scratch_dir("queries-") as workdir:
        for events in config.sizes:
            label = q.size_label(events)
            print(f"{label}: data …", flush=True)
            rows = ensure_parquet(events)
            loads = load_both(events, workdir, backends_at(config, events))
            print(f"{label}: measuring (load average {harness.load_average()}) …", flush=True)
            worker = ["--worker", "measure", "--size", str(events), "--runs", str(config.runs)]
            worker += ["--pg-10m"] if args.pg_10m else []
            worker += ["--chdb-up-to", args.chdb_up_to] if args.chdb_up_to else []
            measured = _worker(worker, workdir / f"measure-{events}.json")
            sizes.append({"events": events, "rows": rows, "loads": loads, **measured})
    run = {"config": asdict(config), "sizes": sizes, "load_before": load_before}
    run["load_after"] = harness.load_average()
    tables = render(run, " ".join(["python -m bench queries", *argv]))
    harness.publish("queries", {"machine": harness.machine(), **run}, tables, args.write_docs)
    return 0 if all("error" not in s for s in sizes) else 1
