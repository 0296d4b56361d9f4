"""The ingest suite: HTTP capture, bulk import and a soak, against peers in the same run.

``python -m bench ingest [--quick] [--soak SECONDS] [--write-docs]``
"""

from __future__ import annotations

import argparse
import shutil
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from bench import data, harness, peers, server, wrk
from bench.ingest_report import render

POOL_EVENTS = 10_000
"""HTTP bodies are built from this many events at the head of the data file."""
WARMUP_SECONDS = 1.0
SOAK_BATCH = 100
SOAK_CONNECTIONS = 4


@dataclass(slots=True)
class Config:
    quick: bool
    events: int
    seconds: float
    repeat: int
    batches: tuple[int, ...] = (1, 100, 1000)
    connections: tuple[int, ...] = (1, 16, 64)
    soak: float | None = None
    http: bool = True
    bulk: bool = True
    write_docs: bool = False
    bulk_timeout: float = 1200.0

    @staticmethod
    def default_seconds(quick: bool) -> float:
        """Length of each HTTP run unless ``--seconds`` says otherwise."""
        return 3.0 if quick else 10.0


@dataclass(slots=True)
class HttpRow:
    batch: int
    connections: int
    result: wrk.WrkResult
    stored: int
    commits: int
    server_rss: int
    server_peak_rss: int

    @property
    def verified(self) -> bool:
        return self.result.drained and self.stored == self.result.accepted


@dataclass(slots=True)
class BulkRow:
    name: str
    events: int
    seconds: list[float]
    peak_rss: list[int]
    stored: int
    notes: list[str] = field(default_factory=list)
    timed_out: bool = False

    @property
    def median_seconds(self) -> float:
        return harness.median(self.seconds)

    @property
    def events_per_second(self) -> float:
        return (self.stored if self.timed_out else self.events) / self.median_seconds

    @property
    def verified(self) -> bool:
        return self.timed_out or self.stored == self.events


@dataclass(slots=True)
class SoakResult:
    seconds: float
    interval: float
    samples: list[tuple[float, int]]
    result: wrk.WrkResult
    stored: int

    @property
    def growth(self) -> float | None:
        return harness.ratio(max(rss for _, rss in self.samples), self.samples[0][1])

    @property
    def drift(self) -> float | None:
        """Median RSS of the last minute over that of the first: growth beyond the peaks."""
        first = [rss for t, rss in self.samples if t <= 60]
        last = [rss for t, rss in self.samples if t > self.seconds - 60]
        if not first or not last:
            return None
        return harness.ratio(harness.median(last), harness.median(first))

    @property
    def verified(self) -> bool:
        return self.result.drained and self.stored == self.result.accepted


@dataclass(slots=True)
class Run:
    config: Config
    source: str
    parquet: Path
    load_before: str
    http: list[HttpRow] = field(default_factory=list)
    bulk: list[BulkRow] = field(default_factory=list)
    soak: SoakResult | None = None
    load_after: str = ""
    skipped: list[str] = field(default_factory=list)
    started: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))


# -- HTTP -----------------------------------------------------------------------------------


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def http_runs(config: Config, parquet: Path, workdir: Path) -> list[HttpRow]:
    """One fresh server per batch size, one wrk run per connection count."""
    rows: list[HttpRow] = []
    script = wrk.write_script(workdir)
    for batch in config.batches:
        data_dir = workdir / f"http-{batch}"
        project = server.create_project(data_dir)
        bodies = data.write_bodies(
            data.http_bodies(parquet, batch, POOL_EVENTS), workdir / f"bodies-{batch}.txt"
        )
        runs: list[tuple[int, wrk.WrkResult, dict[str, int]]] = []
        windows: list[tuple[datetime, datetime]] = []
        with server.Server(data_dir) as srv:
            wrk.run(
                srv.url, script, bodies, project.write_key, connections=4, seconds=WARMUP_SECONDS
            )
            for connections in config.connections:
                print(
                    f"  HTTP batch {batch:>4}, {connections:>2} clients, {config.seconds:g} s …",
                    flush=True,
                )
                lo = _utcnow()
                result = wrk.run(
                    srv.url,
                    script,
                    bodies,
                    project.write_key,
                    connections=connections,
                    seconds=config.seconds,
                )
                windows.append((lo, _utcnow()))
                runs.append((connections, result, srv.memory()))
        counts = server.window_counts(data_dir, project.project_id, windows)
        for (connections, result, memory), (stored, commits) in zip(runs, counts, strict=True):
            rows.append(
                HttpRow(
                    batch=batch,
                    connections=connections,
                    result=result,
                    stored=stored,
                    commits=commits,
                    server_rss=memory.get("VmRSS", 0),
                    server_peak_rss=memory.get("VmHWM", 0),
                )
            )
        shutil.rmtree(data_dir, ignore_errors=True)
    return rows


# -- bulk -----------------------------------------------------------------------------------


def heron_import(config: Config, cmd: list[str], parquet: Path, workdir: Path) -> BulkRow:
    row = BulkRow("heron import (CLI process)", config.events, [], [], 0)
    for attempt in range(config.repeat):
        data_dir = workdir / f"import-{attempt}"
        project = server.create_project(data_dir)
        measured = server.heron_measured(
            data_dir,
            cmd,
            str(parquet),
            "--project",
            str(project.project_id),
            timeout=config.bulk_timeout,
        )
        if measured.returncode != 0 and not measured.timed_out:
            raise RuntimeError(f"heron import failed: {measured.stderr.strip()[-2000:]}")
        row.seconds.append(measured.seconds)
        row.peak_rss.append(measured.peak_rss)
        try:
            row.stored = server.stored(data_dir, project.project_id).rows
        except duckdb.Error:
            row.stored = 0
        shutil.rmtree(data_dir, ignore_errors=True)
        if measured.timed_out:
            row.timed_out = True
            row.notes.append(
                f"stopped after {measured.seconds:g} s (--bulk-timeout) with {row.stored:,} "
                "rows stored: events/s is the rate until then"
            )
            break
    return row


PEER_NAMES = {
    "heron-store": "Heron DuckDBStore.append (in-process)",
    "duckdb": "DuckDB Arrow append (ceiling)",
    "postgres": "PostgreSQL COPY (csv)",
}


def peer_row(kind: str, config: Config, parquet: Path, workdir: Path) -> BulkRow:
    row = BulkRow(PEER_NAMES[kind], config.events, [], [], 0)
    for _ in range(config.repeat):
        measured, result = peers.run_peer(kind, parquet, workdir)
        row.seconds.append(measured.seconds)
        row.peak_rss.append(measured.peak_rss)
        row.stored = int(result["rows"])
        if kind == "postgres":
            row.notes = [
                f"synchronous_commit {result['synchronous_commit']}",
                f"backend peak RSS {harness.fmt_bytes(result.get('backend_peak_rss'))}",
            ]
    return row


def bulk_runs(config: Config, parquet: Path, workdir: Path, skipped: list[str]) -> list[BulkRow]:
    rows: list[BulkRow] = []
    kinds = ["heron-store", "duckdb", "postgres"]
    cmd = server.import_cmd()
    if cmd is not None:
        print(f"  heron import of {config.events:,} events …", flush=True)
        rows.append(heron_import(config, cmd, parquet, workdir))
        if config.quick:
            kinds.remove("heron-store")
            skipped.append(f"{PEER_NAMES['heron-store']}: full mode only (the import covers it)")
    else:
        skipped.append("heron import: not built yet in this checkout")
    for kind in kinds:
        print(f"  {PEER_NAMES[kind]} of {config.events:,} events …", flush=True)
        try:
            rows.append(peer_row(kind, config, parquet, workdir))
        except Exception as exc:  # a missing peer (e.g. PostgreSQL down) must not end the run
            skipped.append(f"{PEER_NAMES[kind]}: {exc}")
    return rows


# -- soak -----------------------------------------------------------------------------------


def soak_run(seconds: float, parquet: Path, workdir: Path) -> SoakResult:
    """Batch-100 load for ``seconds``, sampling the server's RSS every 10 s."""
    interval = 10.0 if seconds >= 30 else max(1.0, seconds / 5)
    data_dir = workdir / "soak"
    project = server.create_project(data_dir)
    script = wrk.write_script(workdir)
    bodies = data.write_bodies(
        data.http_bodies(parquet, SOAK_BATCH, POOL_EVENTS), workdir / "bodies-soak.txt"
    )
    samples: list[tuple[float, int]] = []
    with server.Server(data_dir) as srv:
        print(
            f"  soak: batch {SOAK_BATCH}, {SOAK_CONNECTIONS} clients, {seconds:g} s …", flush=True
        )
        run = wrk.Run(
            srv.url,
            script,
            bodies,
            project.write_key,
            connections=SOAK_CONNECTIONS,
            seconds=seconds,
        )
        start = time.monotonic()
        while (elapsed := time.monotonic() - start) < seconds:
            time.sleep(min(interval, seconds - elapsed))
            samples.append((time.monotonic() - start, srv.memory().get("VmRSS", 0)))
        result = run.finish()
    stored = server.stored(data_dir, project.project_id).rows
    shutil.rmtree(data_dir, ignore_errors=True)
    return SoakResult(seconds, interval, samples, result, stored)


# -- the suite ------------------------------------------------------------------------------


def config_from(argv: list[str]) -> Config:
    parser = argparse.ArgumentParser(prog="python -m bench ingest", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1M events, 3 s runs, no repeats")
    parser.add_argument(
        "--seconds",
        type=float,
        help="length of each HTTP run (default 3 quick, 10 full; a run shorter than the time "
        "between two checkpoints of the store measures with or without one)",
    )
    parser.add_argument("--soak", type=float, metavar="SECONDS", help="also run a sustained load")
    parser.add_argument("--write-docs", action="store_true", help="rewrite docs/benchmarks.md")
    parser.add_argument(
        "--repeat", type=int, help="bulk loads per peer (median; default 1 quick, 3 full)"
    )
    parser.add_argument(
        "--bulk-timeout",
        type=float,
        default=1200.0,
        metavar="SECONDS",
        help="stop a `heron import` that runs longer (default 1200)",
    )
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-bulk", action="store_true")
    args = parser.parse_args(argv)
    return Config(
        quick=args.quick,
        events=1_000_000 if args.quick else 5_000_000,
        seconds=args.seconds or Config.default_seconds(args.quick),
        repeat=args.repeat or (1 if args.quick else 3),
        soak=args.soak,
        http=not args.skip_http,
        bulk=not args.skip_bulk,
        write_docs=args.write_docs,
        bulk_timeout=args.bulk_timeout,
    )


def run_suite(config: Config) -> Run:
    wrk.ensure_wrk()
    load = harness.load_average()
    print(f"ingest bench: load average {load} on {harness.machine()['cpus']} cores", flush=True)
    print(f"  data: {config.events:,} events …", flush=True)
    events = data.dataset(config.events)
    config.events = events.rows
    parquet = events.path
    run = Run(config=config, source=events.source, parquet=parquet, load_before=load)
    with harness.scratch_dir("ingest-") as workdir:
        if config.http:
            run.http = http_runs(config, parquet, workdir)
        if config.bulk:
            run.bulk = bulk_runs(config, parquet, workdir, run.skipped)
        if config.soak:
            run.soak = soak_run(config.soak, parquet, workdir)
    run.load_after = harness.load_average()
    return run


def to_json(run: Run) -> dict[str, Any]:
    return {
        "machine": harness.machine(),
        "config": asdict(run.config),
        "source": run.source,
        "load_before": run.load_before,
        "load_after": run.load_after,
        "http": [{**asdict(r), "verified": r.verified} for r in run.http],
        "bulk": [{**asdict(r), "events_per_second": r.events_per_second} for r in run.bulk],
        "soak": asdict(run.soak) if run.soak else None,
        "skipped": run.skipped,
    }


def main(argv: list[str]) -> int:
    config = config_from(argv)
    run = run_suite(config)
    harness.publish("ingest", to_json(run), render(run), config.write_docs)
    checks = [r.verified for r in run.http] + [r.verified for r in run.bulk]
    if run.soak is not None:
        checks.append(run.soak.verified)
    return 0 if all(checks) else 1
