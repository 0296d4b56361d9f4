"""TrendsQuery against the plain-Python oracle, on randomized data, on every backend."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heron.store.base import EventStore
from tests.unit.analysis.oracles import trends_oracle
from tests.unit.analysis.oracles.trends_data import (
    FILTERS,
    ORACLE_SETTINGS,
    Scenario,
    execute,
    load,
    scenarios,
)

COUNT_MATHS = ["total", "dau", "unique_session"]
ACTIVE_MATHS = ["weekly_active", "monthly_active"]
PROPERTY_MATHS = ["sum", "avg", "min", "max", "median", "p90", "p95", "p99"]
FORMULAS = {
    1: ["A*2", "A/A", "-A+3", "(A+1)/2"],
    2: ["A/B*100", "A+B", "A-B/2", "(A+1)*B"],
    3: ["A/B*100", "A+B-C", "(A+B)/(C+1)"],
}


def _series(draw: st.DrawFn, interval: str) -> dict[str, Any]:
    maths = COUNT_MATHS + PROPERTY_MATHS + ([] if interval == "hour" else ACTIVE_MATHS)
    series: dict[str, Any] = {
        "event": draw(st.sampled_from(["pageview", "signup", None])),
        "math": draw(st.sampled_from(maths)),
        "filters": draw(FILTERS),
    }
    if series["math"] in PROPERTY_MATHS:
        series["math_property"] = "amount"
    return series


@st.composite
def cases(draw: st.DrawFn) -> tuple[Scenario, dict[str, Any]]:
    scenario = draw(scenarios())
    interval = draw(st.sampled_from(["day", "day", "week", "month", "hour"]))
    start = draw(st.integers(-9, 4))
    length = draw(st.integers(0, 1 if interval == "hour" else 9))
    series = [{**_series(draw, interval), "name": f"s{i}"} for i in range(draw(st.integers(1, 3)))]
    spec: dict[str, Any] = {
        "kind": "TrendsQuery",
        "series": series,
        "interval": interval,
        "date_from": scenario.local_date(start),
        "date_to": scenario.local_date(start + length),
        "compare": draw(st.booleans()),
        "filters": draw(FILTERS),
    }
    if draw(st.booleans()):
        spec["breakdown"] = {"property": "plan", "limit": draw(st.integers(1, 3))}
    if draw(st.booleans()):
        spec["formula"] = draw(st.sampled_from(FORMULAS[len(series)]))
    return scenario, spec


def assert_same_entries(actual: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    """Same entries (any order); numbers equal up to float rounding."""

    def keyed(entries: list[dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
        out = {(e["label"], e["breakdown_value"], e.get("compare")): e for e in entries}
        assert len(out) == len(entries), "duplicate entries"
        return out

    got, want = keyed(actual), keyed(expected)
    assert sorted(got, key=repr) == sorted(want, key=repr)
    for key, entry in want.items():
        assert got[key]["labels"] == entry["labels"], key
        pairs = [
            *zip(got[key]["data"], entry["data"], strict=True),
            (got[key]["count"], entry["count"]),
        ]
        for a, b in pairs:
            assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), (
                key,
                got[key]["data"],
                entry["data"],
            )


@pytest.mark.slow
@ORACLE_SETTINGS
@given(case=cases())
def test_trends_match_the_oracle(store: EventStore, case: tuple[Scenario, dict[str, Any]]) -> None:
    scenario, spec = case
    project_id = load(store, scenario)
    expected = trends_oracle.trends(scenario.batch_rows(project_id), project_id, scenario.tz, spec)
    assert_same_entries(execute(store, project_id, scenario.tz, spec), expected)
