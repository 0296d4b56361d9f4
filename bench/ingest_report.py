"""The ingest suite's tables: results, ratios against the peers of the same run, targets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bench.harness import (
    Table,
    fmt_bytes,
    fmt_count,
    fmt_ms,
    fmt_ratio,
    fmt_target,
    ratio,
    run_table,
)

if TYPE_CHECKING:
    from bench.ingest import BulkRow, Config, Run
    from bench.wrk import WrkResult

TARGET_BATCH_EVENTS = 100_000
"""Events/s through HTTP batches of 1000."""
TARGET_SINGLE_REQUESTS = 5_000
"""Single-event requests/s."""
TARGET_IMPORT_EVENTS = 500_000
"""Events/s of a bulk import."""


def _peer(run: Run, prefix: str) -> BulkRow | None:
    return next((row for row in run.bulk if row.name.startswith(prefix)), None)


def _rate(row: BulkRow | None) -> float | None:
    return row.events_per_second if row is not None else None


def command_line(config: Config) -> str:
    """The command that reproduces a run."""
    flags = ["--quick"] if config.quick else []
    if config.seconds != config.default_seconds(config.quick):
        flags.append(f"--seconds {config.seconds:g}")
    if config.soak:
        flags.append(f"--soak {config.soak:g}")
    flags += ["--skip-http"] if not config.http else []
    flags += ["--skip-bulk"] if not config.bulk else []
    return " ".join(["python -m bench ingest", *flags])


def context(run: Run) -> Table:
    config = run.config
    table = run_table("Ingest benchmark: the run", run.load_before, run.load_after)
    table.add("events", f"{config.events:,} from {run.source} (one cached Parquet file)")
    table.add("command", f"`{command_line(config)}`")
    table.add("run at", run.started)
    table.notes = [
        "the machine is shared: a load average above the core count means other work ran "
        "alongside, and every number below is then lower than on an idle machine",
        *run.skipped,
    ]
    return table


def http_table(run: Run) -> Table:
    duck = _rate(_peer(run, "DuckDB"))
    pg = _rate(_peer(run, "PostgreSQL"))
    table = Table(
        f"POST /v1/events: wrk, {run.config.seconds:g} s per row, durable before 200",
        [
            "batch",
            "clients",
            "req/s",
            "events/s",
            "p50",
            "p99",
            "server RSS (peak)",
            "commits",
            "events/commit",
            "stored = accepted",
            "÷ DuckDB append",
            "÷ PG COPY",
            "target",
        ],
    )
    for row in run.http:
        result = row.result
        if row.batch == 1:
            target = f"req/s {fmt_target(result.requests_per_second, TARGET_SINGLE_REQUESTS)}"
        elif row.batch == 1000:
            target = f"events/s {fmt_target(result.events_per_second, TARGET_BATCH_EVENTS)}"
        else:
            target = ""
        table.add(
            row.batch,
            row.connections,
            fmt_count(result.requests_per_second),
            fmt_count(result.events_per_second),
            fmt_ms(result.p50_ms),
            fmt_ms(result.p99_ms),
            f"{fmt_bytes(row.server_rss)} ({fmt_bytes(row.server_peak_rss)})",
            fmt_count(row.commits),
            fmt_count(ratio(row.stored, row.commits)),
            _verified(row.verified, row.stored, result),
            fmt_ratio(ratio(result.events_per_second, duck)),
            fmt_ratio(ratio(result.events_per_second, pg)),
            target,
        )
    table.notes = [
        "bodies: the first 10,000 events of the same file, without uuid (every request "
        "inserts new rows) and without timestamp (live traffic: stamped on receipt)",
        "one fresh `heron serve` per batch size (1 s warm-up); wrk shares the 2 cores with it",
        "stored = accepted: rows stored during the run (counted read-only after a graceful "
        "stop) equal the sum of `accepted` in the 200 answers; commits are the distinct "
        "`inserted_at` stamps, one per group commit",
        "÷ columns: these events/s over the bulk peer's events/s on the same events",
    ]
    return table


def _verified(ok: bool, stored: int, result: WrkResult) -> str:
    """✓, or why not: the counts differ, or the run did not drain (then the counts, even
    equal, prove nothing: a request may have been lost on the way)."""
    if ok:
        mark = "✓"
    elif stored != result.accepted:
        mark = f"✗ stored {stored:,} vs {result.accepted:,}"
    else:
        problems = [
            f"socket errors {result.socket_errors:,}" if result.socket_errors else "",
            f"time-outs {result.timeouts:,}" if result.timeouts else "",
            f"{result.sent - result.answered:,} unanswered"
            if result.sent != result.answered
            else "",
        ]
        mark = f"✗ not drained ({', '.join(p for p in problems if p)}; stored {stored:,})"
    return f"{mark}, {result.failed:,} non-2xx" if result.failed else mark


def _stored(row: BulkRow) -> str:
    if row.timed_out:
        return f"stopped at {row.stored:,}"
    return "✓" if row.verified else f"✗ {row.stored:,}"


def bulk_table(run: Run) -> Table:
    heron = _peer(run, "heron import")
    table = Table(
        f"Bulk load of the same {run.config.events:,} events (Parquet file), process wall time",
        [
            "load",
            "events/s",
            "seconds",
            "peak RSS",
            "heron import ÷ this",
            "stored = events",
            "notes",
        ],
    )
    for row in run.bulk:
        notes = list(row.notes)
        if row is heron:
            notes.append(f"target {fmt_target(row.events_per_second, TARGET_IMPORT_EVENTS)}")
        runs = len(row.seconds)
        table.add(
            row.name,
            fmt_count(row.events_per_second),
            f"{row.median_seconds:.2f}" + (f" (median of {runs})" if runs > 1 else ""),
            fmt_bytes(max(row.peak_rss) or None),
            fmt_ratio(ratio(_rate(heron), row.events_per_second)),
            _stored(row),
            "; ".join(notes),
        )
    table.notes = [
        "each load is its own process: seconds include interpreter start-up; "
        "peak RSS is the process's `ru_maxrss`",
        "DuckDB: `INSERT INTO t SELECT * FROM arrow_table`, 100k rows per transaction; "
        "Heron store: `DuckDBStore.append(batch, exact=True)` per 100k rows; "
        "PostgreSQL: one `COPY … (FORMAT csv)` into uuid/text/timestamp/jsonb columns, "
        "one commit, in a fresh database dropped afterwards",
    ]
    return table


def soak_table(run: Run) -> Table | None:
    soak = run.soak
    if soak is None:
        return None
    table = Table(
        f"Soak: batch 100, 4 clients, {soak.seconds:g} s: server RSS every {soak.interval:g} s",
        ["t (s)", "server RSS"],
    )
    for elapsed, rss in soak.samples:
        table.add(f"{elapsed:.0f}", fmt_bytes(rss))
    table.notes = [
        f"last minute ÷ first minute (median RSS) = {fmt_ratio(soak.drift)} "
        "(memory that does not grow with the load is ≈ 1.0×)",
        f"max / first = {fmt_ratio(soak.growth)} (transient peaks included)",
        f"{fmt_count(soak.result.events_per_second)} events/s, p99 {fmt_ms(soak.result.p99_ms)}, "
        f"stored = accepted {'✓' if soak.verified else '✗'} ({soak.stored:,} rows)",
    ]
    return table


def render(run: Run) -> list[Table]:
    tables = [context(run)]
    if run.http:
        tables.append(http_table(run))
    if run.bulk:
        tables.append(bulk_table(run))
    soak = soak_table(run)
    if soak is not None:
        tables.append(soak)
    return tables
