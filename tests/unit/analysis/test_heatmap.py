"""HeatmapQuery: a hand-made example and the plain-Python oracle, on every backend."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heron.analysis import heatmap as heatmap  # registers HeatmapQuery
from heron.query.registry import SpecError, parse_spec
from heron.store.base import EventStore
from tests.support.events import raw_batch
from tests.unit.analysis.oracles.trends_data import (
    FILTERS,
    ORACLE_SETTINGS,
    Scenario,
    execute,
    load,
    scenarios,
)
from tests.unit.analysis.oracles.trends_oracle import date_period, matches, resolve

P = 17


def oracle(rows: list[dict[str, Any]], project_id: int, tz: str, spec: dict[str, Any]) -> Any:
    """Counts per (local ISO weekday, local hour), straight from the definition."""
    zone = ZoneInfo(tz)
    period = date_period(spec["date_from"], spec["date_to"], "day", zone)
    data = [[0] * 24 for _ in range(7)]
    persons: dict[tuple[int, int], set[str]] = {}
    for e in resolve(rows, project_id, zone):
        if not (matches(e, spec, {"event": spec.get("event")}) and period.contains(e)):
            continue
        cell = (e.local.isoweekday() - 1, e.local.hour)
        data[cell[0]][cell[1]] += 1
        persons.setdefault(cell, set()).add(e.person)
    if spec.get("math") == "persons":
        data = [[len(persons.get((d, h), ())) for h in range(24)] for d in range(7)]
    return data


def test_counts_by_local_weekday_and_hour(store: EventStore) -> None:
    rows = [
        {"event": "pageview", "distinct_id": "a", "timestamp": datetime(2025, 1, 6, 9, 15)},
        {"event": "pageview", "distinct_id": "a", "timestamp": datetime(2025, 1, 6, 9, 45)},
        {"event": "pageview", "distinct_id": "b", "timestamp": datetime(2025, 1, 6, 9, 50)},
        # Sunday 23:30 UTC is Monday 00:30 in Berlin
        {"event": "pageview", "distinct_id": "b", "timestamp": datetime(2025, 1, 5, 23, 30)},
        {"event": "signup", "distinct_id": "b", "timestamp": datetime(2025, 1, 7, 12)},
    ]
    store.append(raw_batch([{**r, "properties": {}} for r in rows], P))
    spec = {"kind": "HeatmapQuery", "event": "pageview", "date_from": "2025-01-01"}
    spec["date_to"] = "2025-01-10"
    utc = execute(store, P, "UTC", spec)
    assert utc["weekdays"][0] == "Mon" and len(utc["data"]) == 7 and len(utc["data"][0]) == 24
    assert utc["data"][0][9] == 3 and utc["data"][6][23] == 1 and utc["max"] == 3
    berlin = execute(store, P, "Europe/Berlin", {**spec, "math": "persons"})
    assert berlin["data"][0][10] == 2 and berlin["data"][0][0] == 1
    assert execute(store, P + 1, "UTC", spec)["max"] == 0


def test_rejects_a_breakdown() -> None:
    with pytest.raises(SpecError):
        parse_spec({"kind": "HeatmapQuery", "breakdown": {"property": "plan"}})


@ORACLE_SETTINGS
@given(
    scenario=scenarios(),
    filters=FILTERS,
    event=st.sampled_from([None, "pageview"]),
    math=st.sampled_from(["total", "persons"]),
)
def test_matches_the_oracle(
    store: EventStore,
    scenario: Scenario,
    filters: list[dict[str, Any]],
    event: str | None,
    math: str,
) -> None:
    project_id = load(store, scenario)
    spec = {
        "kind": "HeatmapQuery",
        "event": event,
        "math": math,
        "filters": filters,
        "date_from": scenario.local_date(-20),
        "date_to": scenario.local_date(5),
    }
    expected = oracle(scenario.batch_rows(project_id), project_id, scenario.tz, spec)
    assert execute(store, project_id, scenario.tz, spec)["data"] == expected
