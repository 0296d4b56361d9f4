"""Heron's JavaScript SDK (``sdk/js``): node's test runner, the Node client against a live
``heron serve``, and the browser SDK in headless Chromium.

The browser loads ``sdk/js/snippet.html`` as written (only the SDK URL, host and write
key substituted, and a long flush interval so the page's last events are still queued
when it goes away). A local site (``tests/e2e/browser.py``) serves that page and the SDK
files and forwards ``/v1/events`` to Heron, so page and endpoint share an origin. The page
is opened with UTM parameters and a referrer, flushed once with fetch, navigated with
pushState, clicked (autocapture), logged in (identify), then left: the rest goes out by
sendBeacon. The cross-origin variant serves the page on one port and reaches Heron on
another (Heron's CORS on ingest paths). Then Heron stops and the DuckDB file is read: every
event stored once, with its page context, and the visitor merged into the user.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from heron.config import Settings
from heron.events import person_id_for
from heron.meta.db import meta_session
from heron.meta.projects import create_project
from tests.e2e.browser import Forwarded, Site, browser  # noqa: F401  (browser: a fixture)
from tests.integration.server import Server

pytestmark = pytest.mark.integration

SDK = Path(__file__).resolve().parents[2] / "sdk" / "js"
LANDING = "/pricing?utm_source=newsletter&utm_campaign=spring"
REFERRER = "https://search.example/?q=analytics"
NODE_JOURNEY = """
import { Heron } from %(module)s;
const env = process.env;
const heron = new Heron(env.WRITE_KEY, { host: env.HERON_URL });
const ids = [
  heron.capture({ distinctId: "anon-1", event: "$pageview",
                  properties: { $current_url: "https://shop.example" + %(landing)s } }),
  heron.identify({ distinctId: "user-1", anonDistinctId: "anon-1",
                   set: { email: "ada@example.com" } }),
  heron.alias({ distinctId: "user-1", alias: "ada-alias" }),
  heron.group({ distinctId: "user-1", groupType: "company", groupKey: "acme",
                properties: { name: "Acme" } }),
  heron.set({ distinctId: "user-1", properties: { plan: "pro" } }),
  heron.setOnce({ distinctId: "user-1", properties: { first_seen: "2026-01-01" } }),
  heron.capture({ distinctId: "user-1", event: "purchased", properties: { amount: 42 } }),
];
await heron.shutdown(30000);
const retrying = new Heron(env.RETRIED_KEY, { host: env.RETRIED_URL, backoffBase: 50 });
const retried = [0, 1, 2].map(
  (n) => retrying.capture({ distinctId: `retry-${n}`, event: "retried" }));
await retrying.shutdown(30000);
console.log(JSON.stringify({ ids, stats: heron.stats, retried, retriedStats: retrying.stats }));
"""


def event_names(record: Forwarded) -> list[str]:
    body = record.body
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    try:
        batch = json.loads(body).get("batch", [])
    except (ValueError, AttributeError):
        return []
    return [str(event.get("event")) for event in batch if isinstance(event, dict)]


def delivered(site: Site, event: str) -> bool:
    return any(f.status == 200 and event in event_names(f) for f in site.snapshot())


def snippet_page(sdk_url: str, host: str, write_key: str) -> str:
    """``sdk/js/snippet.html`` with the real SDK URL, host and key (each exactly once)."""
    page = (SDK / "snippet.html").read_text()
    for pattern, value in [
        (r'"https://heron\.example\.com/sdk/browser\.js"', json.dumps(sdk_url)),
        (r'host: "https://heron\.example\.com"', f"host: {json.dumps(host)}"),
        (r'"YOUR_WRITE_KEY"', json.dumps(write_key)),
        (r"autocapture: true", "autocapture: true, flush_interval: 60000"),
    ]:
        page, count = re.subn(pattern, value, page)
        assert count == 1, f"snippet.html should contain {pattern} once"
    return page


def run_node(url: str, keys: dict[str, str]) -> dict[str, Any]:
    node = shutil.which("node")
    assert node, "the JavaScript SDK tests need Node.js (node) on PATH"
    proxy = Site(backend=url, lose=1)
    script = NODE_JOURNEY % {
        "module": json.dumps(str(SDK / "src" / "node.js")),
        "landing": json.dumps(LANDING),
    }
    env = {
        **os.environ,
        "HERON_URL": url,
        "WRITE_KEY": keys["node"],
        "RETRIED_URL": proxy.url,
        "RETRIED_KEY": keys["node-retried"],
    }
    try:
        out = subprocess.run(
            [node, "--input-type=module", "-e", script],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
    finally:
        proxy.close()
    return {**json.loads(out), "requests": len(proxy.forwarded)}


def run_page(chromium: Any, site: Site, relay: Site, key: str) -> dict[str, Any]:
    """The visit described in the module docstring: the page from ``site``, its events to
    Heron through ``relay``; returns what the page saw."""
    site.page = snippet_page(f"{site.url}/sdk/browser.js", relay.url, key)
    context = chromium.new_context()
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(site.url + LANDING, referer=REFERRER)
        page.wait_for_function("window.heron && typeof window.heron.get_distinct_id === 'function'")
        anonymous = page.evaluate("heron.get_distinct_id()")
        flushed = page.evaluate("heron.flush()")
        page.click("#to-docs")
        page.click("#buy")
        page.click("#log-in")
        page.evaluate("heron.capture('checkout_started', {plan: 'pro'})")
        session = page.evaluate("heron.get_session_id()")
        page.goto("about:blank")
        deadline = time.monotonic() + 30
        while not delivered(relay, "checkout_started") and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        context.close()
    return {"anonymous": anonymous, "session": session, "flushed": flushed, "errors": errors}


COLUMNS = [
    "event",
    "distinct_id",
    "properties",
    "session_id",
    "utm_source",
    "pathname",
    "referrer",
    "lib",
    "browser",
    "timestamp",
]


@dataclass
class Landed:
    project_id: int
    events: list[dict[str, Any]]
    overrides: dict[str, str]
    persons: dict[str, dict[str, Any]]
    seen: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection, project_id: int) -> Landed:
        def rows(sql: str) -> list[tuple]:
            return con.execute(sql + " where project_id = ?", [project_id]).fetchall()

        keys = ["uuid", *COLUMNS]
        selected = ", ".join(["uuid::varchar", *COLUMNS])
        events = [dict(zip(keys, r, strict=True)) for r in rows(f"select {selected} from events")]
        events.sort(key=lambda e: e["timestamp"])
        for event in events:
            event["properties"] = orjson.loads(event["properties"])
        overrides = rows("select old_person_id::varchar, person_id::varchar from person_overrides")
        persons = rows("select person_id::varchar, properties from persons")
        return cls(project_id, events, dict(overrides), {p: orjson.loads(v) for p, v in persons})

    def person(self, distinct_id: str) -> str:
        initial = str(person_id_for(self.project_id, distinct_id))
        return self.overrides.get(initial, initial)

    def named(self, event: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event"] == event]

    def assert_each_once(self) -> None:
        counts = Counter(e["uuid"] for e in self.events)
        assert not {u: n for u, n in counts.items() if n > 1}, "events stored more than once"


SCENARIOS = ["node", "node-retried", "browser", "browser-cross-origin"]


@pytest.fixture(scope="module")
def landed(tmp_path_factory, request) -> dict[str, Landed]:
    data_dir = tmp_path_factory.mktemp("sdk-js") / "data"
    with meta_session(Settings(data_dir=data_dir)) as session:
        projects = {name: create_project(session, name) for name in SCENARIOS}
        session.flush()
        ids = {name: p.id for name, p in projects.items()}
        keys = {name: p.write_key for name, p in projects.items()}
    server = Server(data_dir).start()
    seen: dict[str, dict[str, Any]] = {name: {} for name in SCENARIOS}
    try:
        node = run_node(server.url, keys)
        seen["node"] = {"ids": node["ids"], "stats": node["stats"]}
        seen["node-retried"] = {
            "ids": node["retried"],
            "stats": node["retriedStats"],
            "requests": node["requests"],
        }
        seen.update(browser_visits(request, server.url, keys))
    finally:
        server.stop()
    with duckdb.connect(str(data_dir / "events.duckdb"), read_only=True) as con:
        stored = {name: Landed.read(con, ids[name]) for name in SCENARIOS}
    for name in SCENARIOS:
        stored[name].seen = seen[name]
    return stored


def browser_visits(request: Any, heron_url: str, keys: dict[str, str]) -> dict[str, Any]:
    """Both page visits, or why they could not run (``{"skip": reason}``)."""
    try:
        chromium = request.getfixturevalue("browser")
    except pytest.skip.Exception as exc:
        reason = {"skip": str(exc)}
        return {"browser": reason, "browser-cross-origin": reason}
    visits: dict[str, Any] = {}
    static = {"/sdk/": SDK / "src"}
    site = Site(static=static, backend=heron_url)
    try:
        visits["browser"] = {**run_page(chromium, site, site, keys["browser"]), "site": site}
    finally:
        site.close()
    page_site, heron_site = Site(static=static), Site(backend=heron_url)
    try:
        seen = run_page(chromium, page_site, heron_site, keys["browser-cross-origin"])
        visits["browser-cross-origin"] = {**seen, "site": heron_site}
    finally:
        page_site.close()
        heron_site.close()
    return visits


def test_node_test_runner():
    node = shutil.which("node")
    assert node, "the JavaScript SDK tests need Node.js (node) on PATH"
    run = subprocess.run(
        [node, "--test"], cwd=SDK, capture_output=True, text=True, timeout=300, check=False
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    passed = int(re.search(r"^# pass (\d+)$", run.stdout, re.M).group(1))
    assert passed >= 30 and "\n# fail 0\n" in run.stdout


def test_node_client_lands_every_call_once(landed):
    stored = landed["node"]
    stored.assert_each_once()
    assert Counter(e["uuid"] for e in stored.events) == Counter(stored.seen["ids"])
    assert stored.seen["stats"] == {"sent": 7, "rejected": 0, "dropped": 0, "failed": 0}
    assert stored.person("anon-1") == stored.person("user-1") == stored.person("ada-alias")
    assert stored.persons[stored.person("user-1")] == {
        "email": "ada@example.com",
        "plan": "pro",
        "first_seen": "2026-01-01",
    }
    assert stored.named("$pageview")[0]["utm_source"] == "newsletter"
    assert {e["lib"] for e in stored.events} == {"heron-node"}
    purchased = stored.named("purchased")[0]["properties"]
    assert (purchased["$groups"], purchased["amount"]) == ({"company": "acme"}, 42)


def test_node_client_resends_a_lost_reply_once(landed):
    stored = landed["node-retried"]
    assert stored.seen["requests"] == 2, "the lost reply, then the resent batch"
    assert stored.seen["stats"]["sent"] == 3
    stored.assert_each_once()
    assert Counter(e["uuid"] for e in stored.events) == Counter(stored.seen["ids"])


@pytest.mark.parametrize("name", ["browser", "browser-cross-origin"])
def test_browser_visit_lands_once_with_page_context(landed, name):
    stored = landed[name]
    if "skip" in stored.seen:
        pytest.skip(stored.seen["skip"])
    seen = stored.seen
    assert seen["errors"] == [], "no errors in the page"
    assert seen["flushed"] == ["ok"], "the explicit flush went by fetch and was accepted"
    stored.assert_each_once()
    names = [e["event"] for e in stored.events]
    assert Counter(names) == Counter(
        {"$pageview": 2, "$autocapture": 3, "$identify": 1, "checkout_started": 1}
    )
    anonymous = seen["anonymous"]
    landing, docs = stored.named("$pageview")
    assert (landing["pathname"], landing["utm_source"], landing["referrer"]) == (
        "/pricing",
        "newsletter",
        REFERRER,
    )
    assert landing["properties"]["utm_campaign"] == "spring"
    assert (docs["pathname"], docs["distinct_id"]) == ("/docs", anonymous)
    clicks = [
        (p["$el_tag"], p["$el_text"], p["$el_selector"])
        for p in (e["properties"] for e in stored.named("$autocapture"))
    ]
    assert clicks == [
        ("a", "Docs", "a#to-docs"),
        ("button", "Buy now", "button#buy"),
        ("button", "Log in", "button#log-in"),
    ]
    identify = stored.named("$identify")[0]
    assert (identify["distinct_id"], identify["properties"]["$anon_distinct_id"]) == (
        "user-1",
        anonymous,
    )
    assert stored.named("checkout_started")[0]["distinct_id"] == "user-1"
    assert stored.person(anonymous) == stored.person("user-1")
    assert stored.persons[stored.person("user-1")] == {"email": "ada@example.com"}
    assert {e["session_id"] for e in stored.events} == {seen["session"]}
    assert {e["lib"] for e in stored.events} == {"heron-js"}
    assert {e["browser"] for e in stored.events} == {"HeadlessChrome"}, "user agent parsed"
    last = next(f for f in seen["site"].snapshot() if "checkout_started" in event_names(f))
    mode = last.headers.get("sec-fetch-mode")
    assert (mode, last.status) == ("no-cors", 200), "the page's last events left by beacon"
