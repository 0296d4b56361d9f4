"""The dashboard suite's tables, and its section of ``docs/benchmarks.md`` (one
sub-section per size, so a 1M run and a 10M run both stay)."""

from __future__ import annotations

import time
from typing import Any

from bench import harness
from bench import query_specs as q
from bench.dashboard_spec import (
    BROWSER_CONCURRENCY,
    CACHED_TARGET_MS,
    COLD_TARGET_MS,
    dashboard_body,
    median_of,
    slowest_widgets,
    target_mark,
)

SECTION = "dashboard"


def run_table(run: dict[str, Any], command: str) -> harness.Table:
    label = q.size_label(run["events"])
    title = f"Dashboard benchmark ({label}): the run"
    table = harness.run_table(title, run["load_before"], run["load_after"])
    types = ", ".join(w["type"] for w in dashboard_body()["widgets"])
    table.add("events", f"heron.demo {q.PRODUCT} (seed {q.SEED}), {label}, {q.TIMEZONE}")
    table.add("dashboard", f"{len(dashboard_body()['widgets'])} widgets: {types}")
    table.add("filters", f"{q.FIRST_DAY} … {q.LAST_DAY} (the whole data set)")
    table.add(
        "store",
        f"DuckDB, {run['store']}; `heron serve` healthy after {run['startup_seconds']:,.1f} s",
    )
    table.add("server peak RSS", harness.fmt_bytes(run.get("rss")))
    return closed(table, run["runs"], command)


def closed(table: harness.Table, runs: int, command: str) -> harness.Table:
    """A run table's last rows (runs, command, time) and its note on a shared machine."""
    table.add("runs", f"median of N = {runs} loads of each kind")
    table.add("command", f"`{command}`")
    table.add("run at", time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    table.notes = [
        "a shared machine: with a load average above the core count, other work ran alongside "
        "and absolute times are inflated",
    ]
    return table


COLUMNS = ["load", "N", "whole dashboard", "last widget answer", "Σ widget server time"]
COLUMNS += ["slowest widget", "widgets from cache", "target"]


def server_row(name: str, loads: list[dict[str, Any]], limit: float) -> list[harness.Cell]:
    wall = median_of(loads, "wall_ms")
    cached = median_of(loads, "cached")
    return [
        name,
        f"{len(loads)}",
        harness.fmt_ms(wall),
        "–",
        harness.fmt_ms(median_of(loads, "sum_ms")),
        harness.fmt_ms(median_of(loads, "max_ms")),
        "–" if cached is None else f"{cached:.0f} / {len(loads[0]['widgets'])}",
        target_mark(wall, limit),
    ]


def browser_row(
    name: str, loads: list[dict[str, Any]], limit: float | None, key: str = "ready_ms"
) -> list[harness.Cell]:
    ready = median_of(loads, key)
    data = harness.fmt_ms(median_of(loads, "data_ms"))
    kept = harness.median([float(load.get("kept", 0)) for load in loads])
    drawings = "–" if not kept else f"{kept:.0f} kept drawings"
    mark = "–" if limit is None else target_mark(ready, limit)
    return [name, f"{len(loads)}", harness.fmt_ms(ready), data, "–", "–", drawings, mark]


def render_table(run: dict[str, Any]) -> harness.Table:
    label = q.size_label(run["events"])
    table = harness.Table(
        f"{label} events: time to first render of a 12-widget dashboard (median)", COLUMNS
    )
    server = run["server"]
    table.add(*server_row("server: first load after start", server["first"], COLD_TARGET_MS))
    table.add(*server_row("server: cold (new data version)", server["cold"], COLD_TARGET_MS))
    table.add(*server_row("server: cached", server["cached"], CACHED_TARGET_MS))
    browser = run.get("browser")
    if browser:
        table.add(*browser_row("browser: cold (new data version)", browser["cold"], COLD_TARGET_MS))
        table.add(*browser_row("browser: cached", browser["cached"], CACHED_TARGET_MS))
        if "live_ms" in browser["cached"][0]:
            live = browser_row(
                "browser: cached, every chart live", browser["cached"], None, "live_ms"
            )
            table.add(*live)
        if browser.get("print_cached"):
            still = browser["print_cached"]
            table.add(*browser_row("browser: cached, print view", still, CACHED_TARGET_MS))
    slow = ", ".join(f"{w} {harness.fmt_ms(ms)}" for w, ms in slowest_widgets(server["cold"]))
    table.notes = [
        f"server: GET the dashboard, then its {len(server['cold'][0]['widgets'])} widgets' data, "
        f"{BROWSER_CONCURRENCY} requests at a time (Chromium's connections per host); whole "
        "dashboard = wall time of all that; Σ and slowest: the widgets' own `timings.total_ms`",
        "browser: headless Chromium signed in by cookie; whole dashboard = `performance.now()` "
        "when `chartsReady` turns true (navigation start → every widget drawn), last widget "
        "answer = the latest `responseEnd` of the widget-data requests (the page reads every "
        "widget in one streamed `…/dashboards/{id}/data`); assets cached by a "
        "warm-up load. A chart reports itself drawn on ECharts' `finished`; a page's first "
        "drawing is not animated (later updates are), so the print view (`?print=1`) differs "
        "only by its layout and data tables",
        "kept drawings: a chart whose inputs (data, options, theme, size) match the SVG ECharts "
        "drew on an earlier visit shows that drawing first and becomes a live chart when the page "
        "is idle or the pointer reaches it; every chart live = when the last one did (no "
        "target); each load waits for the page to go idle before the next",
        "cold: one event ingested just before (the project's data version changes, so every "
        "cached result misses; DuckDB's buffers stay warm); first load: the first after "
        "`heron serve` started",
        f"slowest widgets, cold (median server time): {slow}",
        f"targets: whole dashboard < {harness.fmt_ms(COLD_TARGET_MS)} cold, "
        f"< {harness.fmt_ms(CACHED_TARGET_MS)} cached",
    ]
    return table


def rates_table(run: dict[str, Any]) -> harness.Table:
    label = q.size_label(run["events"])
    table = harness.Table(
        f"{label} events: dashboard API reads (wrk, {run['connections']} connections, "
        f"{run['seconds']:g} s)",
        ["read", "requests/s", "p50", "p99", "ok", "failed"],
    )
    for name, rate in run["rates"].items():
        table.add(
            name,
            harness.fmt_count(rate["requests_per_second"]),
            harness.fmt_ms(rate["p50_ms"]),
            harness.fmt_ms(rate["p99_ms"]),
            harness.fmt_count(rate["ok"]),
            harness.fmt_count(rate["failed"]),
        )
    table.notes = [
        "signed in by session cookie; widget data: the 12 widgets in turn, every answer from "
        "the result cache (warmed first)",
    ]
    return table


def render(run: dict[str, Any], command: str) -> list[harness.Table]:
    return [run_table(run, command), render_table(run), rates_table(run)]


def merged_section(document: str, label: str, body: str, section: str = SECTION) -> str:
    """A suite section's new body: its ``<section>-<size>`` sub-section replaced
    (appended when absent), the other sizes' kept."""
    start, end = harness.section_markers(section)
    _, found, rest = document.partition(start)
    current = rest.partition(end)[0].strip() if found else ""
    return harness.replace_section(current, f"{section}-{label}", body)


def publish(suite: str, run: dict[str, Any], tables: list[harness.Table], write_docs: bool) -> None:
    """Print the tables, save the raw run, and with ``write_docs`` rewrite the suite's
    sub-section of the run's size in ``docs/benchmarks.md``."""
    label = q.size_label(run["events"])
    harness.publish(
        suite,
        {"machine": harness.machine(), **run},
        tables,
        write_docs,
        lambda document, body: merged_section(document, label, body, suite),
    )
