"""StickinessQuery: hand-made examples and the plain-Python oracle, on every backend."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heron.query.registry import SpecError, parse_spec
from heron.store.base import EventStore
from tests.support.events import raw_batch
from tests.unit.analysis.oracles import activity_oracles
from tests.unit.analysis.oracles.trends_data import (
    FILTERS,
    ORACLE_SETTINGS,
    Scenario,
    execute,
    load,
    scenarios,
)

P = 11


def event(name: str, who: str, ts: datetime, **properties: Any) -> dict[str, Any]:
    return {"event": name, "distinct_id": who, "timestamp": ts, "properties": properties}


def test_persons_by_number_of_active_days_after_merges(store: EventStore) -> None:
    rows = [
        event("pageview", "anon", datetime(2025, 1, 1, 9)),
        event("pageview", "ann", datetime(2025, 1, 2, 9)),
        event("pageview", "ann", datetime(2025, 1, 2, 10)),
        event("$identify", "ann", datetime(2025, 1, 2, 11), **{"$anon_distinct_id": "anon"}),
        event("pageview", "bob", datetime(2025, 1, 3, 9)),
        event("pageview", "cid", datetime(2025, 1, 1, 9)),
        event("pageview", "cid", datetime(2025, 1, 2, 9)),
        event("pageview", "cid", datetime(2025, 1, 4, 9)),
        event("pageview", "dan", datetime(2024, 12, 31, 9)),
    ]
    store.append(raw_batch(rows, P))
    spec = {
        "kind": "StickinessQuery",
        "series": [{"event": "pageview"}, {"name": "Identified", "event": "$identify"}],
        "date_from": "2025-01-01",
        "date_to": "2025-01-04",
    }
    assert execute(store, P, "UTC", spec) == [
        {"label": "pageview", "days": [1, 2, 3, 4], "data": [1, 1, 1, 0], "count": 3},
        {"label": "Identified", "days": [1, 2, 3, 4], "data": [1, 0, 0, 0], "count": 1},
    ]


def test_weeks_in_the_project_timezone(store: EventStore) -> None:
    rows = [
        event("pageview", "a", datetime(2025, 3, 2, 23, 30)),  # Monday 00:30 in Berlin
        event("pageview", "a", datetime(2025, 3, 10, 12)),
        event("pageview", "b", datetime(2025, 3, 9, 12)),
    ]
    store.append(raw_batch(rows, P))
    spec = {
        "kind": "StickinessQuery",
        "series": [{"event": "pageview"}],
        "interval": "week",
        "date_from": "2025-03-03",
        "date_to": "2025-03-16",
    }
    [result] = execute(store, P, "Europe/Berlin", spec)
    assert (result["days"], result["data"]) == ([1, 2], [1, 1])


def test_breakdown_is_rejected() -> None:
    with pytest.raises(SpecError, match="breakdown"):
        parse_spec({"kind": "StickinessQuery", "series": [{}], "breakdown": {"property": "x"}})


@st.composite
def cases(draw: st.DrawFn) -> tuple[Scenario, dict[str, Any]]:
    scenario = draw(scenarios())
    start, length = draw(st.integers(-9, 4)), draw(st.integers(0, 13))
    count = draw(st.integers(1, 2))
    series = [
        {
            "event": draw(st.sampled_from(["pageview", "signup", None])),
            "filters": draw(FILTERS),
            "name": f"s{i}",
        }
        for i in range(count)
    ]
    spec = {
        "kind": "StickinessQuery",
        "series": series,
        "interval": draw(st.sampled_from(["day", "week"])),
        "date_from": scenario.local_date(start),
        "date_to": scenario.local_date(start + length),
        "filters": draw(FILTERS),
    }
    return scenario, spec


@pytest.mark.slow
@ORACLE_SETTINGS
@given(case=cases())
def test_stickiness_matches_the_oracle(
    store: EventStore, case: tuple[Scenario, dict[str, Any]]
) -> None:
    scenario, spec = case
    project_id = load(store, scenario)
    rows = scenario.batch_rows(project_id)
    expected = activity_oracles.stickiness(rows, project_id, scenario.tz, spec)
    assert execute(store, project_id, scenario.tz, spec) == expected
