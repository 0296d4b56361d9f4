"""The executive suite's tables, and its section of ``docs/benchmarks.md`` (one
sub-section per size)."""

from __future__ import annotations

from typing import Any

from bench import harness
from bench import query_specs as q
from bench.dashboard_report import closed
from bench.dashboard_spec import median_of, slowest_widgets, target_mark

SECTION = "executive"
COLD_TARGET_MS = 500.0
SNAPSHOT_TARGET_MS = 50.0


def progress(label: str, loads: list[dict[str, Any]]) -> None:
    walls = ", ".join(f"{load['wall_ms']:,.0f}" for load in loads)
    print(f"  {label}: {walls} ms", flush=True)


def run_table(run: dict[str, Any], command: str) -> harness.Table:
    label = q.size_label(run["events"])
    table = harness.run_table(
        f"Executive dashboard benchmark ({label}): the run", run["load_before"], run["load_after"]
    )
    table.add("events", f"heron.demo {q.PRODUCT} (seed {q.SEED}), {label}, {q.TIMEZONE}")
    table.add("dashboard", f"the `executive` template: {len(run['widgets'])} widgets")
    table.add("range", f"the template's last 30 days, on the clock {q.NOW:%Y-%m-%d %H:%M} UTC")
    table.add("store", f"DuckDB, {run['store']}; opened in-process as `heron serve` opens it")
    table.add(
        "snapshot refresh",
        f"{run['refresh_seconds']:,.1f} s the first time, "
        f"{run['refresh_again_seconds']:,.2f} s with no new events",
    )
    return closed(table, run["runs"], command)


COLUMNS = ["load", "N", "whole dashboard", "Σ widget time", "slowest widget"]
COLUMNS += ["live / snapshot / cached", "target"]


def load_row(name: str, loads: list[dict[str, Any]], limit: float | None) -> list[harness.Cell]:
    wall = median_of(loads, "wall_ms")
    sources = loads[0]["sources"]
    return [
        name,
        f"{len(loads)}",
        harness.fmt_ms(wall),
        harness.fmt_ms(median_of(loads, "sum_ms")),
        harness.fmt_ms(median_of(loads, "max_ms")),
        f"{sources['live']} / {sources['snapshot']} / {sources['cached']}",
        "–" if limit is None else target_mark(wall, limit),
    ]


def loads_table(run: dict[str, Any]) -> harness.Table:
    label = q.size_label(run["events"])
    table = harness.Table(
        f"{label} events: the executive dashboard, all its metrics (median)", COLUMNS
    )
    loads = run["loads"]
    table.add(*load_row("cold: first load after the store opened", loads["first"], COLD_TARGET_MS))
    table.add(*load_row("cold: fresh result cache, no snapshots", loads["cold"], COLD_TARGET_MS))
    table.add(
        *load_row("from snapshots: fresh result cache", loads["snapshots"], SNAPSHOT_TARGET_MS)
    )
    table.add(*load_row("cached", loads["cached"], None))
    slow = ", ".join(f"{w} {harness.fmt_ms(ms)}" for w, ms in slowest_widgets(loads["cold"]))
    snap = ", ".join(f"{w} {harness.fmt_ms(ms)}" for w, ms in slowest_widgets(loads["snapshots"]))
    table.notes = [
        "whole dashboard: wall time of every widget run through the query service as its "
        f"widget-data endpoint runs it (no HTTP), {at_once(run)}; Σ widget time: the "
        "widgets' own times added up",
        "live / snapshot / cached: how the widgets were answered (two widgets share their "
        "query with another: a cache hit, unless both are asked at once); revenue widgets "
        "read the subscription log, which snapshots do not hold (the demo project has none, "
        "so they are cheap here)",
        f"slowest widgets, cold: {slow}",
        f"slowest widgets, from snapshots: {snap}",
        f"targets: < {harness.fmt_ms(COLD_TARGET_MS)} cold, "
        f"< {harness.fmt_ms(SNAPSHOT_TARGET_MS)} from snapshots",
    ]
    return table


def at_once(run: dict[str, Any]) -> str:
    n = run.get("concurrency", 1)
    return "one after the other" if n == 1 else f"{n} at a time"


def peer_table(run: dict[str, Any]) -> harness.Table:
    label = q.size_label(run["events"])
    table = harness.Table(
        f"{label} events: the same event metrics as hand-written DuckDB SQL (median)",
        ["statement", "time"],
    )
    statements = run["peer"]["statements"]
    for name, ms in statements.items():
        table.add(name, harness.fmt_ms(ms))
    total = sum(statements.values())
    table.add("Σ peer", harness.fmt_ms(total))
    cold = median_of(run["loads"]["cold"], "wall_ms")
    snapshots = median_of(run["loads"]["snapshots"], "wall_ms")
    table.add("Heron cold ÷ peer", harness.fmt_ratio(harness.ratio(cold, total)))
    table.add("Heron from snapshots ÷ peer", harness.fmt_ratio(harness.ratio(snapshots, total)))
    agrees = "equal" if run["peer"]["dau_agrees"] else "DIFFERENT"
    table.notes = [
        "the peer computes DAU, WAU, MAU, signups, GMV, fees and D1/D7 retention in three "
        "statements on the same store and connection; Heron's dashboard also has three "
        "revenue-log widgets (MRR, subscription revenue, net new MRR)",
        f"cross-check: the peer's daily DAU and Heron's DAU widget are {agrees}",
    ]
    return table


def render(run: dict[str, Any], command: str) -> list[harness.Table]:
    return [run_table(run, command), loads_table(run), peer_table(run)]
