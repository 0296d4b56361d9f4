"""The project schema for pickers, on every backend, scoped to one project."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from heron.dashboards import schema
from heron.query.context import QueryContext
from heron.query.dialects import dialect
from heron.query.runner import Runner
from heron.store.base import EventStore
from tests.support.events import raw_batch

NOW = datetime(2025, 3, 1, tzinfo=ZoneInfo("UTC"))


def runner(store: EventStore, project_id: int) -> Runner:
    ctx = QueryContext(project_id, ZoneInfo("UTC"), dialect(store.dialect), now=NOW)
    return Runner(store, ctx)


def test_names_keys_and_values(store: EventStore) -> None:
    rows = [
        {
            "event": "pageview",
            "distinct_id": f"u{i}",
            "timestamp": datetime(2025, 2, 1 + i % 20, 12),
            "properties": {"plan": "pro" if i % 3 else "free", "amount": i, "paid": i % 2 == 0},
        }
        for i in range(30)
    ] + [
        {
            "event": "signup",
            "distinct_id": "u1",
            "timestamp": datetime(2025, 2, 25),
            "properties": {},
        }
    ]
    store.append(raw_batch(rows, 21))
    store.append(raw_batch([{**rows[0], "event": "secret", "properties": {"other": 1}}], 22))
    mine = runner(store, 21)
    names = {e["name"]: e for e in schema.event_names(mine)}
    assert set(names) == {"pageview", "signup"} and names["pageview"]["count"] == 30
    assert names["signup"]["last_seen"].startswith("2025-02-25")
    keys = {(k["key"], k["source"]): k for k in schema.property_keys(mine)}
    assert keys[("plan", "event")] == {
        "key": "plan",
        "source": "event",
        "type": "string",
        "count": 30,
    }
    assert keys[("amount", "event")]["type"] == "number"
    assert keys[("paid", "event")]["type"] == "boolean"
    assert ("other", "event") not in keys
    values = schema.property_values(mine, "plan", "event", "pageview")
    assert values == [{"value": "pro", "count": 20}, {"value": "free", "count": 10}]
    assert schema.property_values(runner(store, 22), "plan", "event", None) == []


def test_value_types() -> None:
    assert [
        schema.value_type(v) for v in (True, 1, 2.5, "2025-01-01T10:00:00Z", "hello", None)
    ] == [
        "boolean",
        "number",
        "number",
        "datetime",
        "string",
        "string",
    ]
    assert schema.summarize([{"a": 1}, {"a": "x", "b": 2}, "not an object"], "person") == [
        {"key": "a", "source": "person", "type": "number", "count": 2},
        {"key": "b", "source": "person", "type": "number", "count": 1},
    ]
