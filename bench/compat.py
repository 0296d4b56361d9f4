"""The compat suite: events/s through each vendor-compatible endpoint, next to the native one.

``python -m bench compat [--quick] [--rounds N] [--connections N] [--only NAME,…] [--write-docs]``

Each endpoint gets request bodies shaped as its SDK sends them, at the SDK's default batch
size, built from the same demo events as the ingest suite; the native ``POST /v1/events``
runs with the same events at each of those batch sizes, in the same run, with the same
client concurrency. Each batch size gets a fresh ``heron serve``; its endpoints run in
interleaved rounds (the median is reported), after a warm-up on ids of their own.
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import compat_bodies as bodies
from bench import compat_decode, data, harness, replay, server, wrk
from bench.compat_report import render

DATASET_EVENTS = 1_000_000
"""The ingest suite's cached file (only its head is read)."""
WARMUP_SECONDS = 1.0
WARMUP_EVENTS = 4_000
POOL_SLACK = 2
"""Requests of a pool a run may leave unsent and still have used it up (one per wrk thread)."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A compatible endpoint as one SDK uses it."""

    name: str
    label: str
    sdk: str
    batch: int
    """The SDK's default number of events per request."""
    build: bodies.Builder
    accept: replay.Accept
    native: bool = False


POSTHOG_OK = replay.Accept("each", '^{"status":1}$')
SEGMENT_OK = replay.Accept("each", '"success":true')
MIXPANEL_OK = replay.Accept("each", '^{"status":1,')
MIXPANEL_IMPORTED = replay.Accept("count", '"num_records_imported":(%d+)')
AMPLITUDE_INGESTED = replay.Accept("count", '"events_ingested":(%d+)')

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "posthog",
        "PostHog POST /batch/",
        f"posthog-python {bodies.POSTHOG_PYTHON}",
        100,
        bodies.posthog_python,
        POSTHOG_OK,
    ),
    Endpoint(
        "posthog-js",
        "PostHog POST /e/ (gzip-js)",
        f"posthog-js {bodies.POSTHOG_JS}",
        100,
        bodies.posthog_js,
        POSTHOG_OK,
    ),
    Endpoint(
        "segment",
        "Segment POST /v1/batch",
        f"segment-analytics-python {bodies.SEGMENT_PYTHON}",
        100,
        bodies.segment_python,
        SEGMENT_OK,
    ),
    Endpoint(
        "rudderstack",
        "RudderStack POST /v1/batch (gzip)",
        f"rudder-sdk-python {bodies.RUDDER_PYTHON}",
        100,
        bodies.rudder_python,
        SEGMENT_OK,
    ),
    Endpoint(
        "mixpanel",
        "Mixpanel POST /track (form)",
        f"mixpanel {bodies.MIXPANEL_PYTHON}",
        50,
        bodies.mixpanel_track,
        MIXPANEL_OK,
    ),
    Endpoint(
        "mixpanel-import",
        "Mixpanel POST /import (form)",
        f"mixpanel {bodies.MIXPANEL_PYTHON}",
        50,
        bodies.mixpanel_import,
        MIXPANEL_IMPORTED,
    ),
    Endpoint(
        "amplitude",
        "Amplitude POST /2/httpapi",
        f"amplitude-analytics {bodies.AMPLITUDE_PYTHON}",
        200,
        bodies.amplitude_httpapi,
        AMPLITUDE_INGESTED,
    ),
    Endpoint(
        "amplitude-batch",
        "Amplitude POST /batch",
        f"amplitude-analytics {bodies.AMPLITUDE_PYTHON} (use_batch)",
        200,
        bodies.amplitude_batch,
        AMPLITUDE_INGESTED,
    ),
)


def native(batch: int) -> Endpoint:
    """Heron's own endpoint at ``batch`` events per request, as heron-sdk sends them."""
    return Endpoint(
        "heron",
        "Heron POST /v1/events (native)",
        f"heron-sdk {bodies.HERON_PYTHON}",
        batch,
        bodies.heron_native,
        replay.NATIVE_ACCEPT,
        native=True,
    )


def plan(endpoints: Sequence[Endpoint]) -> list[Endpoint]:
    """Per batch size (ascending): the native endpoint first, then the vendors' endpoints."""
    rows: list[Endpoint] = []
    for batch in sorted({e.batch for e in endpoints}):
        rows.append(native(batch))
        rows.extend(e for e in endpoints if e.batch == batch)
    return rows


@dataclass(slots=True)
class Config:
    quick: bool
    seconds: float
    connections: int
    pool: int
    """Events per run's request pool, each sent once: a run that uses it up ends early."""
    rounds: int
    only: tuple[str, ...] = ()
    write_docs: bool = False


@dataclass(slots=True)
class Row:
    """One endpoint's runs, one per round."""

    endpoint: Endpoint
    connections: int
    requests: int
    """Distinct requests in each run's pool."""
    body_bytes: float
    """Mean body size."""
    runs: list[wrk.WrkResult] = field(default_factory=list)
    stored: list[int] = field(default_factory=list)
    """Rows stored during each run."""
    server_cpu: list[float] = field(default_factory=list)
    """CPU seconds the server used during each run."""
    decode_us: float | None = None
    """In-process CPU per event to decode, validate and answer (:mod:`bench.compat_decode`)."""

    @property
    def events_per_second(self) -> float:
        return harness.median([r.events_per_second for r in self.runs])

    @property
    def requests_per_second(self) -> float:
        return harness.median([r.requests_per_second for r in self.runs])

    @property
    def p50_ms(self) -> float:
        return harness.median([r.p50_ms for r in self.runs])

    @property
    def p99_ms(self) -> float:
        return harness.median([r.p99_ms for r in self.runs])

    @property
    def cpu_us_per_event(self) -> float | None:
        """The server's CPU time per accepted event (median over runs)."""
        costs = [
            cpu / run.accepted * 1e6
            for cpu, run in zip(self.server_cpu, self.runs, strict=True)
            if run.accepted
        ]
        return harness.median(costs) if costs else None

    @property
    def accepted(self) -> int:
        return sum(r.accepted for r in self.runs)

    @property
    def used_up(self) -> bool:
        """A run sent its whole pool before its deadline (it ended early; see replay.py)."""
        return any(r.sent >= self.requests - POOL_SLACK for r in self.runs)

    @property
    def verified(self) -> bool:
        drained = all(r.drained and r.failed == 0 for r in self.runs)
        return drained and sum(self.stored) == self.accepted


@dataclass(slots=True)
class Run:
    config: Config
    source: str
    load_before: str
    rows: list[Row] = field(default_factory=list)
    load_after: str = ""
    started: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _calls(
    endpoint: Endpoint, sample: Sequence[bodies.DemoEvent], key: str
) -> list[bodies.WireCall]:
    """``sample``'s requests as the endpoint's SDK sends them (fresh ids)."""
    now = datetime.now(UTC)
    return [endpoint.build(chunk, key, now) for chunk in bodies.chunks(sample, endpoint.batch)]


def _pool(
    endpoint: Endpoint, sample: Sequence[bodies.DemoEvent], key: str, path: Path
) -> tuple[Path, int, float]:
    """Build ``sample``'s requests into a requests file: path, count, mean body size."""
    calls = _calls(endpoint, sample, key)
    replay.write_requests(calls, endpoint.accept, path)
    return path, len(calls), sum(len(c.body) for c in calls) / len(calls)


def measure_group(
    group: Sequence[Endpoint],
    events: list[bodies.DemoEvent],
    config: Config,
    workdir: Path,
    script: Path,
) -> list[Row]:
    """Endpoints of one batch size on one fresh server, in interleaved rounds.

    Each endpoint first gets a warm-up on ids of its own; then every round runs each
    endpoint once, so native and compatible runs share the same minutes, each round
    starting one endpoint later (no endpoint always runs on the fullest store).
    """
    data_dir = workdir / "server"
    project = server.create_project(data_dir)
    key = project.write_key
    measured = events[WARMUP_EVENTS:]
    rows = [Row(e, config.connections, 0, 0.0) for e in group]
    for row in rows:
        sample = _calls(row.endpoint, events[:WARMUP_EVENTS], key)
        row.decode_us = compat_decode.cost_us_per_event(sample)
    windows: list[tuple[Row, datetime, datetime]] = []
    with server.Server(data_dir) as srv:
        for endpoint in group:
            warm, _, _ = _pool(endpoint, events[:WARMUP_EVENTS], key, workdir / "warm.requests")
            replay.run(srv.url, script, warm, connections=4, seconds=WARMUP_SECONDS)
        for round_index in range(config.rounds):
            turn = round_index % len(rows)  # each round starts one endpoint later
            for row in rows[turn:] + rows[:turn]:
                print(
                    f"  {row.endpoint.label}: batch {row.endpoint.batch}, {config.connections} "
                    f"clients, {config.seconds:g} s, round {round_index + 1}/{config.rounds} …",
                    flush=True,
                )
                path, row.requests, row.body_bytes = _pool(
                    row.endpoint, measured, key, workdir / "run.requests"
                )
                lo, cpu = _utcnow(), harness.proc_cpu_seconds(srv.pid)
                row.runs.append(
                    replay.run(
                        srv.url,
                        script,
                        path,
                        connections=config.connections,
                        seconds=config.seconds,
                    )
                )
                row.server_cpu.append(harness.proc_cpu_seconds(srv.pid) - cpu)
                windows.append((row, lo, _utcnow()))
    spans = [(lo, hi) for _, lo, hi in windows]
    counts = server.window_counts(data_dir, project.project_id, spans)
    for (row, _, _), (stored, _) in zip(windows, counts, strict=True):
        row.stored.append(stored)
    shutil.rmtree(data_dir, ignore_errors=True)
    return rows


def config_from(argv: list[str]) -> Config:
    parser = argparse.ArgumentParser(prog="python -m bench compat", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="3 s runs, 3 rounds (default 10 s, 5 rounds)"
    )
    parser.add_argument("--connections", type=int, default=16, help="wrk clients (default 16)")
    parser.add_argument(
        "--pool", type=int, help="events per run's request pool (default 150k quick, 400k full)"
    )
    parser.add_argument(
        "--rounds", type=int, help="interleaved runs per endpoint, median (default 3 quick, 5 full)"
    )
    names = ", ".join(e.name for e in ENDPOINTS)
    parser.add_argument("--only", help=f"comma-separated endpoints among: {names}")
    parser.add_argument("--write-docs", action="store_true", help="rewrite docs/benchmarks.md")
    args = parser.parse_args(argv)
    only = tuple(n.strip() for n in (args.only or "").split(",") if n.strip())
    unknown = set(only) - {e.name for e in ENDPOINTS}
    if unknown:
        parser.error(f"unknown endpoint(s): {', '.join(sorted(unknown))}")
    return Config(
        quick=args.quick,
        seconds=3.0 if args.quick else 10.0,
        connections=args.connections,
        pool=args.pool or (150_000 if args.quick else 400_000),
        rounds=args.rounds or (3 if args.quick else 5),
        only=only,
        write_docs=args.write_docs,
    )


def run_suite(config: Config) -> Run:
    wrk.ensure_wrk()
    load = harness.load_average()
    print(f"compat bench: load average {load} on {harness.machine()['cpus']} cores", flush=True)
    dataset = data.dataset(DATASET_EVENTS)
    events = bodies.demo_events(dataset.path, WARMUP_EVENTS + config.pool)
    run = Run(config=config, source=dataset.source, load_before=load)
    chosen = [e for e in ENDPOINTS if not config.only or e.name in config.only]
    with harness.scratch_dir("compat-") as workdir:
        script = replay.write_script(workdir)
        rows = plan(chosen)
        for batch in sorted({e.batch for e in rows}):
            group = [e for e in rows if e.batch == batch]
            run.rows.extend(measure_group(group, events, config, workdir, script))
    run.load_after = harness.load_average()
    return run


def to_json(run: Run) -> dict[str, Any]:
    return {
        "machine": harness.machine(),
        "config": asdict(run.config),
        "source": run.source,
        "load_before": run.load_before,
        "load_after": run.load_after,
        "rows": [
            {
                "endpoint": row.endpoint.name,
                "label": row.endpoint.label,
                "sdk": row.endpoint.sdk,
                "batch": row.endpoint.batch,
                "connections": row.connections,
                "requests": row.requests,
                "body_bytes": row.body_bytes,
                "runs": [asdict(r) for r in row.runs],
                "stored": row.stored,
                "server_cpu": row.server_cpu,
                "decode_us": row.decode_us,
                "verified": row.verified,
            }
            for row in run.rows
        ],
    }


def main(argv: list[str]) -> int:
    config = config_from(argv)
    run = run_suite(config)
    harness.publish("compat", to_json(run), render(run), config.write_docs)
    return 0 if all(row.verified for row in run.rows) else 1
