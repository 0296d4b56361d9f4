"""Group-counted analyses: spec validation, odd group type names, and project isolation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

import heron.query.sql  # noqa: F401  (registers SQLQuery)
from heron.query.registry import SpecError, parse_spec
from heron.store.base import EventStore
from tests.support.events import raw_batch
from tests.unit.analysis.oracles.trends_data import execute

ODD = "a/b~c'\" -- ${}"
"""A group type name with JSON-pointer, SQL and JSON metacharacters."""


def _trend(**extra: Any) -> dict[str, Any]:
    return {
        "kind": "TrendsQuery",
        "series": [{"event": "buy", "math": "dau"}],
        "interval": "month",
        "date_from": "2025-01-01",
        "date_to": "2025-01-31",
        **extra,
    }


@pytest.mark.parametrize(
    "bad",
    [
        {"aggregation_group_type": ""},
        {"aggregation_group_type": "x" * 101},
        {"filters": [{"property": "tier", "type": "group"}]},
        {"filters": [{"property": "tier", "group_type": "company"}]},
        {"breakdown": {"property": "tier", "type": "group"}},
    ],
)
def test_invalid_group_specs_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(SpecError):
        parse_spec(_trend(**bad))


def _events(project_id: int, group_type: str, tier: str) -> list[dict[str, Any]]:
    ts = datetime(2025, 1, 10)
    buys = [
        {"event": "buy", "distinct_id": f"u{i}", "timestamp": ts, "properties": {"$groups": g}}
        for i, g in enumerate([{group_type: "k1"}, {group_type: "k1"}, {group_type: 2}, {}])
    ]
    identify = {
        "event": "$groupidentify",
        "distinct_id": "u0",
        "timestamp": ts,
        "properties": {"$group_type": group_type, "$group_key": "k1", "$group_set": {"t": tier}},
    }
    return [{**row, "project_id": project_id} for row in [*buys, identify]]


def _counts(store: EventStore, project_id: int, spec: dict[str, Any]) -> dict[Any, float]:
    return {e["breakdown_value"]: sum(e["data"]) for e in execute(store, project_id, "UTC", spec)}


def test_odd_group_type_names_count_and_filter(store: EventStore) -> None:
    store.append(raw_batch([*_events(1, ODD, "gold"), *_events(2, ODD, "gold")]))
    assert _counts(store, 1, _trend(aggregation_group_type=ODD)) == {None: 2}
    gold = {"property": "t", "type": "group", "group_type": ODD, "value": "gold"}
    assert _counts(store, 1, _trend(filters=[gold])) == {None: 2}, "u0 and u1 (both k1)"
    breakdown = {"property": "t", "type": "group", "group_type": ODD}
    by_tier = _trend(aggregation_group_type=ODD, breakdown=breakdown)
    assert _counts(store, 1, by_tier) == {"gold": 1, "$none": 1}


def test_group_properties_and_counts_stay_in_their_project(store: EventStore) -> None:
    store.append(raw_batch([*_events(1, "company", "gold"), *_events(2, "company", "theirs")]))
    store.append(raw_batch(_events(2, "company", "theirs")[:1]))
    breakdown = {"property": "t", "type": "group", "group_type": "company"}
    spec = _trend(aggregation_group_type="company", breakdown=breakdown)
    assert _counts(store, 1, spec) == {"gold": 1, "$none": 1}
    assert _counts(store, 2, spec) == {"theirs": 1, "$none": 1}
    sql = {"kind": "SQLQuery", "sql": "select group_key, properties from groups"}
    assert execute(store, 1, "UTC", sql)["rows"] == [["k1", '{"t":"gold"}']]


def test_a_group_funnel_converts_across_persons_and_lists_group_keys(store: EventStore) -> None:
    ts = datetime(2025, 1, 10)
    rows = [
        ("u1", "signup", {"company": "acme"}, 0),
        ("u2", "buy", {"company": "acme"}, 1),
        ("u3", "signup", {"company": 9}, 0),
        ("u3", "buy", {}, 1),
        ("u4", "signup", {"company": "acme"}, 2),
    ]
    store.append(
        raw_batch(
            {
                "event": event,
                "distinct_id": who,
                "timestamp": ts.replace(hour=hour),
                "properties": {"$groups": groups},
            }
            for who, event, groups, hour in rows
        )
    )
    spec = {
        "kind": "FunnelsQuery",
        "steps": [{"event": "signup"}, {"event": "buy"}],
        "date_from": "2025-01-01",
        "date_to": "2025-01-31",
        "aggregation_group_type": "company",
    }
    steps = execute(store, 1, "UTC", spec)["steps"]
    assert [s["count"] for s in steps] == [2, 1], "acme converts through two of its people"
    listing = execute(store, 1, "UTC", {**spec, "persons": {"step": 2, "status": "dropped"}})
    assert listing == {"persons": ["9"], "has_more": False}
    by_person = {k: v for k, v in spec.items() if k != "aggregation_group_type"}
    assert [s["count"] for s in execute(store, 1, "UTC", by_person)["steps"]] == [3, 1]
