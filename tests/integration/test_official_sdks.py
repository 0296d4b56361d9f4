"""The official SDKs of PostHog, Segment, RudderStack, Mixpanel and Amplitude, from PyPI and
unchanged, against a live ``heron serve``.

Each SDK runs the code blocks of its ``docs/migrate`` page as written (with the real URL
and key), so the docs show exactly what is tested. One server takes every SDK's traffic,
each SDK into its own project; then the server stops gracefully and the DuckDB file is
read: every event stored once, identities merged, person properties set. For the retry scenario a proxy in
front of Heron loses one reply per SDK (Heron stored the batch, the SDK sees a 503), so
each SDK resends a batch Heron already has.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import httpx
import orjson
import pytest

from heron.config import Settings
from heron.events import person_id_for
from heron.meta.db import meta_session
from heron.meta.projects import create_project
from tests.integration.server import Server

pytestmark = pytest.mark.integration

DOCS = Path(__file__).resolve().parents[2] / "docs" / "migrate"
V1_CLIENT = 'capture_mode="v1"'
"""Marks the PostHog page's block that makes a capture-v1 client (its own scenario)."""
LOST_REPLY = {"code": 503, "status": 0, "error": "unavailable", "message": "unavailable"}
CLIENTS = {
    "posthog": "posthog",
    "segment": "analytics",
    "rudderstack": "rudder_analytics",
    "mixpanel": "mp",
    "amplitude": "amplitude",
}


def docs_client(page: str, heron_url: str, write_key: str) -> tuple[Any, dict[str, Any]]:
    """The client of ``docs/migrate/<page>.md``: its first code block, with the real URL/key."""
    code = _blocks(page)[0]
    code = re.sub(r"^HERON_URL = .*$", f"HERON_URL = {heron_url!r}", code, flags=re.M)
    code = re.sub(r"^WRITE_KEY = .*$", f"WRITE_KEY = {write_key!r}", code, flags=re.M)
    namespace: dict[str, Any] = {}
    exec(compile(code, f"docs/migrate/{page}.md", "exec"), namespace)
    return namespace[CLIENTS[page]], namespace


def run_docs(page: str, heron_url: str, write_key: str) -> dict[str, Any]:
    """Every code block of the page, as written; then the client shuts down (flushing)."""
    client, namespace = docs_client(page, heron_url, write_key)
    codes: list[int] = []
    if page == "amplitude":
        client.configuration.callback = lambda event, code, message: codes.append(code)
    for code in _blocks(page)[1:]:
        if V1_CLIENT not in code:
            exec(compile(code, f"docs/migrate/{page}.md", "exec"), namespace)
    getattr(client, "shutdown", lambda: None)()
    return {"codes": codes}


def run_posthog_v1(heron_url: str, write_key: str) -> dict[str, Any]:
    """The PostHog page's blocks, with the client of its capture-v1 block."""
    default_client, namespace = docs_client("posthog", heron_url, write_key)
    default_client.shutdown()
    blocks = _blocks("posthog")
    ordered = [b for b in blocks[1:] if V1_CLIENT in b] + [
        b for b in blocks[1:] if V1_CLIENT not in b
    ]
    for code in ordered:
        exec(compile(code, "docs/migrate/posthog.md", "exec"), namespace)
    namespace[CLIENTS["posthog"]].shutdown()
    return {}


def _blocks(page: str) -> list[str]:
    blocks = re.findall(r"```python\n(.*?)```", (DOCS / f"{page}.md").read_text(), re.S)
    assert blocks, f"docs/migrate/{page}.md has no python code block"
    return blocks


@dataclass
class Stored:
    """One project's events, merges and persons, read from the stopped server's files."""

    project_id: int
    events: list[dict[str, Any]]
    overrides: dict[str, str]
    persons: dict[str, dict[str, Any]]
    seen: dict[str, Any] = field(default_factory=dict)
    """What the sending side observed (e.g. the codes an SDK's callbacks got)."""

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection, project_id: int) -> Stored:
        def rows(sql: str) -> list[tuple]:
            return con.execute(sql + " where project_id = ?", [project_id]).fetchall()

        events = rows(
            "select uuid::varchar, event, distinct_id, properties, utm_source, current_url, "
            "timestamp from events"
        )
        keys = ("uuid", "event", "distinct_id", "properties", "utm_source", "current_url", "ts")
        parsed = [dict(zip(keys, row, strict=True)) for row in sorted(events, key=lambda r: r[6])]
        for event in parsed:
            event["properties"] = orjson.loads(event["properties"])
        overrides = rows("select old_person_id::varchar, person_id::varchar from person_overrides")
        persons = rows("select person_id::varchar, properties from persons")
        return cls(project_id, parsed, dict(overrides), {p: orjson.loads(v) for p, v in persons})

    def names(self) -> Counter[str]:
        return Counter(e["event"] for e in self.events)

    def assert_each_once(self) -> None:
        counts = Counter(e["uuid"] for e in self.events)
        assert None not in counts, "every SDK event carries its own dedupe id"
        duplicated = {u: n for u, n in counts.items() if n > 1}
        assert not duplicated, f"events stored more than once: {duplicated}"

    def person(self, distinct_id: str) -> str:
        initial = str(person_id_for(self.project_id, distinct_id))
        return self.overrides.get(initial, initial)

    def person_properties(self, distinct_id: str) -> dict[str, Any]:
        return self.persons.get(self.person(distinct_id), {})

    def first(self, event: str) -> dict[str, Any]:
        return next(e for e in self.events if e["event"] == event)


class LossyProxy:
    """Forwards every request to Heron; after ``lose_next()`` the next reply is lost:
    Heron stores that request, the SDK gets a 503 in its vendor's shape and resends."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.requests: Counter[str] = Counter()
        self._lose = False
        self._lock = threading.Lock()
        relay = self.relay

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                relay(self)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def lose_next(self) -> None:
        with self._lock:
            self._lose = True

    def relay(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        skip = {"host", "content-length", "connection"}
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in skip}
        reply = httpx.post(self.target + handler.path, content=body, headers=headers, timeout=30)
        with self._lock:
            self.requests[handler.path.split("?")[0]] += 1
            lose, self._lose = self._lose, False
        status, payload = (
            (503, orjson.dumps(LOST_REPLY)) if lose else (reply.status_code, reply.content)
        )
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def send_three(page: str, url: str, key: str, proxy: LossyProxy) -> None:
    """Three events through one vendor's SDK, whose first upload loses its reply."""
    from amplitude import BaseEvent
    from mixpanel import BufferedConsumer, Mixpanel

    client = docs_client(page, url, key)[0]
    proxy.lose_next()
    ids = [f"{page}-{i}" for i in range(3)]
    if page == "posthog":
        for distinct_id in ids:
            client.capture("retried", distinct_id=distinct_id)
        client.flush()
    elif page in ("segment", "rudderstack"):
        for distinct_id in ids:
            client.track(user_id=distinct_id, event="retried")
        client.flush()
    elif page == "mixpanel":  # the buffered consumer is the one whose flush can be retried
        client = Mixpanel(key, consumer=BufferedConsumer(events_url=f"{url}/track"))
        for distinct_id in ids:
            client.track(distinct_id, "retried")
        with pytest.raises(Exception, match="unavailable"):
            client._consumer.flush()
        client._consumer.flush()  # the documented retry: flush the same buffer again
    else:
        for distinct_id in ids:
            client.track(BaseEvent(event_type="retried", user_id=distinct_id))
        deadline = time.monotonic() + 30
        while proxy.requests["/2/httpapi"] < 2 and time.monotonic() < deadline:
            client.flush()
            time.sleep(0.2)
        client.shutdown()


def send_resent_batches(url: str, key: str) -> dict[str, Any]:
    proxy = LossyProxy(url)
    requests: dict[str, int] = {}
    try:
        for page in CLIENTS:
            before = proxy.requests.total()
            send_three(page, proxy.url, key, proxy)
            requests[page] = proxy.requests.total() - before
    finally:
        proxy.close()
    return {"requests": requests}


SCENARIOS: dict[str, Callable[[str, str], dict[str, Any]]] = {
    **{page: partial(run_docs, page) for page in CLIENTS},
    "posthog-v1": run_posthog_v1,
    "retries": send_resent_batches,
}


@pytest.fixture(scope="module")
def landed(tmp_path_factory) -> dict[str, Stored]:
    """Every scenario run against one ``heron serve``, each in its own project."""
    data_dir = tmp_path_factory.mktemp("official-sdks") / "data"
    with meta_session(Settings(data_dir=data_dir)) as session:
        projects = {name: create_project(session, name) for name in SCENARIOS}
        session.flush()
        keys = {name: (p.id, p.write_key) for name, p in projects.items()}
    server = Server(data_dir).start()
    seen: dict[str, dict[str, Any]] = {}
    try:
        for name, scenario in SCENARIOS.items():
            seen[name] = scenario(server.url, keys[name][1])
    finally:
        server.stop()
    with duckdb.connect(str(data_dir / "events.duckdb"), read_only=True) as con:
        stored = {name: Stored.read(con, keys[name][0]) for name in SCENARIOS}
    for name, observed in seen.items():
        stored[name].seen = observed
    return stored


@pytest.mark.parametrize("scenario", ["posthog", "posthog-v1"])
def test_posthog(landed, scenario):
    stored = landed[scenario]
    stored.assert_each_once()
    assert stored.names() == Counter(
        [
            "viewed_pricing",
            "$identify",
            "$create_alias",
            "$set",
            "$set_once",
            "$groupidentify",
            "purchased",
        ]
    )
    assert stored.person("anon-1") == stored.person("user-1") == stored.person("anon-2")
    assert stored.person_properties("anon-1") == {
        "email": "ada@example.com",
        "plan": "pro",
        "first_seen": "2026-01-01",
    }
    assert stored.first("viewed_pricing")["utm_source"] == "newsletter"
    assert stored.first("viewed_pricing")["properties"]["$lib"] == "posthog-python"
    assert stored.first("purchased")["properties"]["$groups"] == {"company": "acme"}
    group = stored.first("$groupidentify")["properties"]
    assert (group["$group_type"], group["$group_key"], group["$group_set"]) == (
        "company",
        "acme",
        {"name": "Acme"},
    )


@pytest.mark.parametrize("page", ["segment", "rudderstack"])
def test_segment_and_rudderstack(landed, page):
    stored = landed[page]
    stored.assert_each_once()
    assert stored.names() == Counter(
        [
            "Viewed Pricing",
            "$pageview",
            "$identify",
            "$create_alias",
            "$groupidentify",
            "$screen",
            "Purchased",
        ]
    )
    assert stored.person("anon-1") == stored.person("user-1") == stored.person("anon-2")
    assert stored.person_properties("user-1") == {"email": "ada@example.com", "plan": "pro"}
    viewed = stored.first("Viewed Pricing")
    assert viewed["utm_source"] == "newsletter"
    assert viewed["properties"]["$lib"].startswith("analytics-python")
    pageview = stored.first("$pageview")
    assert (pageview["current_url"], pageview["properties"]["name"]) == (
        "https://shop.example/pricing",
        "Pricing",
    )
    assert stored.first("$screen")["properties"]["$screen_name"] == "Home"
    group = stored.first("$groupidentify")["properties"]
    assert (group["$group_type"], group["$group_key"]) == ("company", "acme")


def test_mixpanel(landed):
    stored = landed["mixpanel"]
    stored.assert_each_once()
    assert stored.names() == Counter(
        {"Viewed Pricing": 1, "$identify": 2, "Signed Up": 1, "$set": 4}
        | {"$groupidentify": 1, "Historic Purchase": 1}
    )
    assert stored.person("anon-1") == stored.person("user-1") == stored.person("anon-2")
    assert stored.person_properties("user-1") == {
        "email": "ada@example.com",
        "plan": "pro",
        "first_seen": "2026-01-01",
        "trial": None,
    }
    viewed = stored.first("Viewed Pricing")
    assert viewed["utm_source"] == "newsletter"
    assert viewed["properties"]["$lib"] == "python"
    assert "token" not in viewed["properties"]
    assert stored.events[0]["event"] == "Historic Purchase", "imported with its own time"
    operations = [e["properties"].get("$mixpanel_operations") for e in stored.events]
    assert {"$add": {"logins": 1}} in operations


def test_amplitude(landed):
    stored = landed["amplitude"]
    assert stored.seen["codes"] == [200] * 5, "the SDK saw every event accepted"
    stored.assert_each_once()
    derived = [e for e in stored.events if e["properties"].get("$heron_derived")]
    assert len(derived) == 1, "one derived link: device-2 and user-1 on one event"
    assert stored.names() == Counter(
        {"Viewed Pricing": 1, "$identify": 3, "$groupidentify": 1, "Purchased": 1}
    )
    assert stored.person("device-1") == stored.person("user-1") == stored.person("device-2")
    assert stored.person_properties("user-1") == {
        "email": "ada@example.com",
        "first_seen": "2026-01-01",
        "company": "acme",
    }
    group = stored.first("$groupidentify")["properties"]
    assert (group["$group_type"], group["$group_key"], group["$group_set"]) == (
        "company",
        "acme",
        {"name": "Acme"},
    )
    assert stored.first("Purchased")["properties"]["$lib"].startswith("amplitude-python")


def test_a_resent_batch_is_stored_once(landed):
    stored = landed["retries"]
    for page, requests in stored.seen["requests"].items():
        assert requests >= 2, f"{page}'s SDK resent the batch whose reply was lost"
    stored.assert_each_once()
    retried = Counter(e["distinct_id"] for e in stored.events)
    assert retried == Counter(f"{page}-{i}" for page in CLIENTS for i in range(3))
