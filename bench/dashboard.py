"""The dashboard suite: time to first render of a 12-widget dashboard, and API reads/s.

``python -m bench dashboard [--size 10m|1m] [--runs N] [--seconds S] [--no-browser]
[--write-docs]``

The query suite's DuckDB store of the size (``.bench-data/stores/``; loaded by that
suite's loader only when missing) is copied into a fresh data directory with a new meta
DB (a project, an owner), a 12-widget dashboard is created over it
(:mod:`bench.dashboard_spec`) and a real ``heron serve`` answers. Server time: the
dashboard, then each widget's own data endpoint, 6 at a time (the browser's connections;
the page itself reads every widget in one streamed request); browser time:
headless Chromium from navigation to ``chartsReady``. Cold loads follow a data-version
change (one event ingested, so the result cache misses); the first load after the
server started is reported on its own. Then wrk reads the dashboard and cached widgets.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import dashboard_report as report
from bench import harness, wrk
from bench import query_specs as q
from bench import server as srv
from bench.dashboard_spec import BROWSER_CONCURRENCY, Load, WidgetFetch, dashboard_body
from heron.app.render import CHROMIUM_ARGS

OWNER = ("bench-owner@example.com", "bench owner password")
CHROMIUM = "/usr/bin/chromium"
MARK_READY = """
new MutationObserver(() => {
  if (document.documentElement && document.documentElement.dataset.chartsReady === 'true'
      && window.__benchReadyAt === undefined) {
    window.__benchReadyAt = performance.now();
    window.__benchKept = document.querySelectorAll('[data-kept-drawing]').length;
  }
}).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-charts-ready']});
"""
"""Stamps ``performance.now()`` (ms since navigation start) when ``chartsReady`` turns true,
and counts the charts shown from kept drawings then."""
CHARTS_LIVE = """
new Promise(resolve => {
  const check = () => document.querySelector('[data-kept-drawing]')
    ? requestAnimationFrame(check) : resolve(performance.now());
  check();
})
"""
"""Resolves to ``performance.now()`` once no chart shows a kept drawing (every one is live)."""
SETTLED = "new Promise(resolve => requestIdleCallback(() => resolve(null), {timeout: 6000}))"
"""Resolves when the page is idle: the charts drawn have been kept for the next visit."""
GET_LUA = """
function load_requests(args)
  local headers = {["Cookie"] = args[2]}
  local loaded = {}
  for line in io.lines(args[1]) do
    if #line > 0 then
      loaded[#loaded + 1] = wrk.format("GET", line, headers)
    end
  end
  return loaded
end

function accepted_in(body)
  return 0
end
"""
"""Redefines :mod:`bench.wrk`'s request list: GETs of the paths file, with the session cookie."""


@dataclass(slots=True)
class Config:
    events: int
    runs: int
    seconds: float
    connections: int
    browser: bool


@dataclass(frozen=True, slots=True)
class Site:
    """The running server, the signed-in session and the benchmark dashboard."""

    server: srv.Server
    project: srv.Project
    cookies: dict[str, str]
    dashboard_id: int
    widget_ids: tuple[str, ...]

    @property
    def api(self) -> str:
        return f"/api/projects/{self.project.project_id}/dashboards/{self.dashboard_id}"

    @property
    def page(self) -> str:
        return (
            f"{self.server.url}/projects/{self.project.project_id}/dashboards/{self.dashboard_id}"
        )

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def client(self) -> httpx.Client:
        limits = httpx.Limits(max_connections=BROWSER_CONCURRENCY)
        return httpx.Client(
            base_url=self.server.url, cookies=self.cookies, limits=limits, timeout=300
        )


# -- setup ----------------------------------------------------------------------------------


def ensure_store(events: int) -> tuple[Path, str]:
    """The query suite's DuckDB store of the size, loaded by that suite only when missing."""
    from bench import queries

    path = queries.store_path("duckdb", events)
    if path.exists():
        return path, "reused from the query suite"
    print(f"  no {path.name}: loading it with the query suite's loader …", flush=True)
    loaded = queries.load_store("duckdb", events)
    return path, f"loaded in {loaded['seconds']:,.0f} s"


def prepare(events: int, data_dir: Path) -> tuple[srv.Project, str]:
    """Copy the store into ``data_dir``, then create the project (id 1, as the events say)
    and an owner in a fresh meta DB."""
    source, how = ensure_store(events)
    started = time.perf_counter()
    for suffix in ("", ".wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", data_dir / f"events.duckdb{suffix}")
    how += f", copied in {time.perf_counter() - started:,.1f} s"
    created = json.loads(
        srv.heron(data_dir, "project", "create", "bench", "--timezone", q.TIMEZONE, "--json")
    )
    project = srv.Project(int(created["project_id"]), created["write_key"])
    if project.project_id != q.PROJECT_ID:
        raise RuntimeError(f"the new project is {project.project_id}, not {q.PROJECT_ID}")
    srv.heron(data_dir, "user", "create", OWNER[0], "--password", OWNER[1], "--role", "owner")
    return project, how


def sign_in(url: str) -> tuple[dict[str, str], str]:
    """The session cookies and CSRF token of the owner."""
    body = {"email": OWNER[0], "password": OWNER[1]}
    reply = httpx.post(f"{url}/api/auth/login", json=body, timeout=60)
    reply.raise_for_status()
    return dict(reply.cookies), str(reply.json()["csrf_token"])


def create_dashboard(server: srv.Server, project: srv.Project) -> Site:
    cookies, csrf = sign_in(server.url)
    reply = httpx.post(
        f"{server.url}/api/projects/{project.project_id}/dashboards",
        json=dashboard_body(),
        cookies=cookies,
        headers={"X-CSRF-Token": csrf},
        timeout=60,
    )
    reply.raise_for_status()
    created = reply.json()
    ids = tuple(str(w["id"]) for w in created["widgets"])
    return Site(server, project, cookies, int(created["id"]), ids)


def bump_data_version(site: Site) -> None:
    """Ingest one event (outside the dashboard's range): the project's data version changes,
    so every cached result misses. Ingest answers once the event is committed."""
    event = {
        "event": "bench_bump",
        "distinct_id": "bench",
        "timestamp": datetime.now(UTC).isoformat(),
    }
    reply = httpx.post(
        f"{site.server.url}/v1/events",
        json={"batch": [event]},
        headers={"Authorization": f"Bearer {site.project.write_key}"},
        timeout=60,
    )
    reply.raise_for_status()


# -- server time ----------------------------------------------------------------------------


def fetch_widget(client: httpx.Client, site: Site, widget_id: str) -> WidgetFetch:
    started = time.perf_counter()
    reply = client.get(f"{site.api}/widgets/{widget_id}/data")
    http_ms = (time.perf_counter() - started) * 1000
    reply.raise_for_status()
    envelope = reply.json()
    server_ms = float(envelope["timings"]["total_ms"])
    return WidgetFetch(widget_id, server_ms, http_ms, bool(envelope["cached"]))


def load_once(site: Site) -> Load:
    """GET the dashboard, then its widgets with the browser's concurrency."""
    with site.client() as client, ThreadPoolExecutor(BROWSER_CONCURRENCY) as pool:
        started = time.perf_counter()
        client.get(site.api).raise_for_status()
        dashboard_ms = (time.perf_counter() - started) * 1000
        fetches = list(pool.map(lambda wid: fetch_widget(client, site, wid), site.widget_ids))
        wall_ms = (time.perf_counter() - started) * 1000
    return Load(wall_ms, dashboard_ms, tuple(fetches))


def server_loads(site: Site, runs: int) -> dict[str, Any]:
    """The first load after the server started, then ``runs`` cached and ``runs`` cold."""
    first = load_once(site).as_json()
    progress("server first load", first)
    cached = [load_once(site).as_json() for _ in range(runs)]
    progress("server cached", *cached)
    cold = []
    for _ in range(runs):
        bump_data_version(site)
        cold.append(load_once(site).as_json())
    progress("server cold", *cold)
    return {"first": [first], "cached": cached, "cold": cold}


def progress(label: str, *loads: dict[str, Any]) -> None:
    walls = ", ".join(f"{load['wall_ms']:,.0f}" for load in loads)
    print(f"  {label}: wall {walls} ms", flush=True)


# -- browser time ---------------------------------------------------------------------------


def browser_loads(site: Site, runs: int) -> dict[str, Any]:
    """Navigation start → ``chartsReady`` in Chromium, signed in by cookie: a warm-up load
    (assets into the browser cache), then ``runs`` cold, ``runs`` cached, and ``runs``
    cached in the print view (``?print=1``: the flowing export layout, with data tables)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 1000})
            context.add_cookies(
                [{"name": k, "value": v, "url": site.server.url} for k, v in site.cookies.items()]
            )
            context.add_init_script(MARK_READY)
            page = context.new_page()
            render_ms(page, site)
            cold = []
            for _ in range(runs):
                bump_data_version(site)
                cold.append(render_ms(page, site))
            cached = [render_ms(page, site) for _ in range(runs)]
            still = [render_ms(page, site, "?print=1") for _ in range(runs)]
        finally:
            browser.close()
    loads = {"cold": cold, "cached": cached, "print_cached": still}
    for name, taken in loads.items():
        ready = ", ".join(f"{load['ready_ms']:,.0f}" for load in taken)
        print(f"  browser {name}: chartsReady at {ready} ms", flush=True)
    return loads


LAST_ANSWER = """
Math.max(0, ...performance.getEntriesByType('resource')
  .filter(e => /\\/(widgets|dashboards)\\/[^/]+\\/data/.test(e.name)).map(e => e.responseEnd))
"""
"""When the last widget's data arrived, in ms since navigation start: the end of the streamed
``…/dashboards/{id}/data`` of every widget, or of the last single widget's ``…/data``."""


def render_ms(page: Any, site: Site, query: str = "") -> dict[str, float]:
    """Navigate, wait for ``chartsReady``; when it turned true, when the last widget data
    arrived and when every chart was live (ms since navigation start), and how many charts
    showed kept drawings. Waits for the page to go idle before the next navigation, as a
    reader would (the page keeps its drawings then)."""
    page.goto(site.page + query, wait_until="commit")
    page.wait_for_function("window.__benchReadyAt !== undefined", timeout=300_000)
    rendered = page.locator("[data-widget-id]").count()
    if rendered < len(site.widget_ids):
        raise RuntimeError(f"chartsReady with {rendered} widgets on the page")
    ready = float(page.evaluate("window.__benchReadyAt"))
    live = float(page.evaluate(CHARTS_LIVE))
    page.evaluate(SETTLED)
    return {
        "ready_ms": round(ready, 1),
        "data_ms": round(float(page.evaluate(LAST_ANSWER)), 1),
        "live_ms": round(max(live, ready), 1),
        "kept": int(page.evaluate("window.__benchKept")),
    }


# -- requests/s -----------------------------------------------------------------------------


def read_rates(site: Site, workdir: Path, config: Config) -> dict[str, Any]:
    """wrk on GET dashboard and on GET widget data (every widget in turn, all cached)."""
    load_once(site)
    script = workdir / "bench-get.lua"
    script.write_text(wrk.LUA + GET_LUA)
    reads = {
        "GET dashboard": [site.api],
        "GET widget data (cached)": [f"{site.api}/widgets/{wid}/data" for wid in site.widget_ids],
    }
    rates: dict[str, Any] = {}
    for name, paths in reads.items():
        listed = workdir / f"paths-{len(rates)}.txt"
        listed.write_text("\n".join(paths) + "\n")
        result = wrk.run(
            site.server.url,
            script,
            listed,
            site.cookie_header,
            connections=config.connections,
            seconds=config.seconds,
        )
        rates[name] = {
            "requests_per_second": result.requests_per_second,
            "ok": result.ok,
            "failed": result.failed,
            "p50_ms": result.p50_ms,
            "p99_ms": result.p99_ms,
            "seconds": result.seconds,
        }
        print(f"  wrk {name}: {result.requests_per_second:,.0f} req/s", flush=True)
    return rates


# -- the suite ------------------------------------------------------------------------------


def measure(config: Config, workdir: Path) -> dict[str, Any]:
    project, store = prepare(config.events, workdir)
    server = srv.Server(workdir)
    started = time.perf_counter()
    server.start(timeout=600)
    startup = time.perf_counter() - started
    try:
        site = create_dashboard(server, project)
        measured: dict[str, Any] = {"store": store, "startup_seconds": startup}
        measured["server"] = server_loads(site, config.runs)
        if config.browser:
            measured["browser"] = browser_loads(site, config.runs)
        measured["rates"] = read_rates(site, workdir, config)
        measured["rss"] = server.memory().get("VmHWM")
    finally:
        server.stop()
    return measured


def config_from(argv: list[str]) -> tuple[Config, argparse.Namespace]:
    parser = argparse.ArgumentParser(prog="python -m bench dashboard", description=__doc__)
    parser.add_argument("--size", default="10m", help="events: 10m (default) or 1m")
    parser.add_argument("--runs", type=int, default=5, help="timed loads of each kind (5)")
    parser.add_argument("--seconds", type=float, default=5.0, help="each wrk run (5 s)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (8)")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium loads")
    parser.add_argument("--write-docs", action="store_true", help="rewrite docs/benchmarks.md")
    args = parser.parse_args(argv)
    (events,) = q.parse_sizes(args.size)
    config = Config(events, args.runs, args.seconds, args.connections, not args.no_browser)
    return config, args


def main(argv: list[str]) -> int:
    config, args = config_from(argv)
    load_before = harness.load_average()
    label = q.size_label(config.events)
    print(f"dashboard bench, {label}: load average {load_before} on {os.cpu_count()} cores")
    with harness.scratch_dir("dashboard-") as workdir:
        measured = measure(config, workdir)
    run = {
        "events": config.events,
        "runs": config.runs,
        "seconds": config.seconds,
        "connections": config.connections,
        "load_before": load_before,
        "load_after": harness.load_average(),
        **measured,
    }
    tables = report.render(run, " ".join(["python -m bench dashboard", *argv]))
    report.publish(report.SECTION, run, tables, args.write_docs)
    return 0
