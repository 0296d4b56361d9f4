"""Heron's Python SDK (``sdk/python``, ``heron_sdk``) against a live ``heron serve``.

The sync and the asyncio client each send tracks, an identify, an alias, a group and
person updates into their own project; a third project takes three events through a
proxy that loses the first two replies (Heron stored the batch, the connection closes
without an answer), so the client resends a batch Heron already has, twice. Then
the server stops gracefully and the DuckDB file is read: every event stored exactly once,
identities merged, person properties set, groups attached.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import orjson
import pytest
from heron_sdk import AsyncClient, Client

from heron.config import Settings
from heron.events import person_id_for
from heron.meta.db import meta_session
from heron.meta.projects import create_project
from tests.e2e.browser import Site
from tests.integration.server import Server

pytestmark = pytest.mark.integration

LANDING = "https://shop.example/pricing?utm_source=newsletter&utm_campaign=spring"


@dataclass
class Landed:
    project_id: int
    events: list[dict[str, Any]]
    overrides: dict[str, str]
    persons: dict[str, dict[str, Any]]
    seen: dict[str, Any]

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection, project_id: int, seen: dict[str, Any]) -> Landed:
        def rows(sql: str) -> list[tuple]:
            return con.execute(sql + " where project_id = ?", [project_id]).fetchall()

        keys = ("uuid", "event", "distinct_id", "properties", "utm_source", "lib", "timestamp")
        events = [
            dict(zip(keys, row, strict=True))
            for row in rows(f"select uuid::varchar, {', '.join(keys[1:])} from events")
        ]
        for event in events:
            event["properties"] = orjson.loads(event["properties"])
        overrides = dict(
            rows("select old_person_id::varchar, person_id::varchar from person_overrides")
        )
        persons = {
            p: orjson.loads(v)
            for p, v in rows("select person_id::varchar, properties from persons")
        }
        return cls(project_id, events, overrides, persons, seen)

    def person(self, distinct_id: str) -> str:
        initial = str(person_id_for(self.project_id, distinct_id))
        return self.overrides.get(initial, initial)

    def first(self, event: str) -> dict[str, Any]:
        return next(e for e in self.events if e["event"] == event)

    def assert_stored_once(self, uuids: list[str | None]) -> None:
        counts = Counter(e["uuid"] for e in self.events)
        assert counts == Counter(uuids), "each captured event stored once, under its client uuid"


def journey(client: Client | AsyncClient) -> list[str | None]:
    """The same calls through either client; returns the uuids of what was queued."""
    return [
        client.capture("anon-1", "$pageview", {"$current_url": LANDING}),
        client.identify("user-1", "anon-1", set={"email": "ada@example.com"}),
        client.alias("user-1", "ada-alias"),
        client.group("user-1", "company", "acme", {"name": "Acme"}),
        client.set("user-1", {"plan": "pro"}),
        client.set_once("user-1", {"first_seen": "2026-01-01"}),
        client.set_once("user-1", {"first_seen": "2027-01-01"}),
        client.capture("user-1", "purchased", {"amount": 42}),
    ]


def send_sync(url: str, key: str) -> dict[str, Any]:
    with Client(key, url) as client:
        ids = journey(client)
        assert client.flush(timeout=30)
        stats = client.stats
    return {"ids": ids, "stats": stats}


def send_async(url: str, key: str) -> dict[str, Any]:
    async def main() -> dict[str, Any]:
        async with AsyncClient(key, url) as client:
            ids = journey(client)
            assert await client.flush(timeout=30)
        return {"ids": ids, "stats": client.stats}

    return asyncio.run(main())


def send_retried(url: str, key: str) -> dict[str, Any]:
    with Site(backend=url, lose=2) as proxy:
        with Client(key, proxy.url, backoff_base=0.05) as client:
            ids = [client.capture(f"retry-{n}", "retried") for n in range(3)]
            assert client.flush(timeout=30)
            stats = client.stats
        statuses = [f.status for f in proxy.snapshot()]
    return {"ids": ids, "stats": stats, "statuses": statuses}


SCENARIOS: dict[str, Callable[[str, str], dict[str, Any]]] = {
    "sync": send_sync,
    "async": send_async,
    "retried": send_retried,
}


@pytest.fixture(scope="module")
def landed(tmp_path_factory) -> dict[str, Landed]:
    data_dir = tmp_path_factory.mktemp("sdk-python") / "data"
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
        return {name: Landed.read(con, keys[name][0], seen[name]) for name in SCENARIOS}


@pytest.mark.parametrize("name", ["sync", "async"])
def test_every_call_lands_once_with_identities_merged(landed, name):
    stored = landed[name]
    assert stored.seen["stats"].sent == 8
    stored.assert_stored_once(stored.seen["ids"])
    assert Counter(e["event"] for e in stored.events) == Counter(
        ["$pageview", "$identify", "$create_alias", "$groupidentify", "$set", "purchased"]
        + ["$set_once"] * 2
    )
    assert stored.person("anon-1") == stored.person("user-1") == stored.person("ada-alias")
    assert stored.persons[stored.person("user-1")] == {
        "email": "ada@example.com",
        "plan": "pro",
        "first_seen": "2026-01-01",
    }
    pageview = stored.first("$pageview")
    assert pageview["utm_source"] == "newsletter"
    assert {e["lib"] for e in stored.events} == {"heron-python"}
    now = datetime.now(UTC).replace(tzinfo=None)
    assert abs(pageview["timestamp"] - now) < timedelta(minutes=5), "sent_at corrects the clock"
    purchased = stored.first("purchased")["properties"]
    assert purchased["$groups"] == {"company": "acme"}
    assert purchased["amount"] == 42
    group = stored.first("$groupidentify")["properties"]
    assert (group["$group_type"], group["$group_key"], group["$group_set"]) == (
        "company",
        "acme",
        {"name": "Acme"},
    )


def test_a_batch_resent_after_lost_replies_is_stored_once(landed):
    stored = landed["retried"]
    assert stored.seen["statuses"] == [None, None, 200], "two replies lost, then the third"
    assert stored.seen["stats"].sent == 3
    stored.assert_stored_once(stored.seen["ids"])
    assert sorted(e["distinct_id"] for e in stored.events) == ["retry-0", "retry-1", "retry-2"]
