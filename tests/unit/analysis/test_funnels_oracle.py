"""FunnelsQuery against the plain-Python oracle, on randomized data.

Covers what ClickHouse has no function for: the reported chain and its conversion times,
exclusions, first-touch breakdowns, trends units, time-to-convert histograms, unordered
funnels and person listings; levels are checked again on the way.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heron.store.base import EventStore
from tests.unit.analysis.oracles import funnel_oracle as oracle
from tests.unit.analysis.oracles.funnel_data import (
    EVENTS,
    FUNNEL_SETTINGS,
    Case,
    event_rows,
    execute,
    funnel_steps,
    load,
    person_names,
    unit_levels,
    windows,
)
from tests.unit.analysis.oracles.trends_oracle import resolve

pytestmark = pytest.mark.slow


@st.composite
def cases(draw: st.DrawFn) -> Case:
    scale, window = draw(windows())
    order = draw(st.sampled_from(["ordered", "ordered", "strict", "unordered"]))
    steps = draw(funnel_steps(max_steps=3 if order == "unordered" else 4))
    vizzes = ["steps", "steps", "trends"] + ([] if order == "unordered" else ["time_to_convert"])
    spec: dict[str, Any] = {
        "kind": "FunnelsQuery",
        "steps": steps,
        "conversion_window": window,
        "order": order,
        "funnel_viz": draw(st.sampled_from(vizzes)),
        "date_from": draw(st.sampled_from(["2025-03-01", "2025-03-08", "2025-03-10"])),
        "date_to": draw(st.sampled_from(["2025-03-12", "2025-03-31"])),
        "bins": draw(st.integers(1, 4)),
    }
    if order != "unordered":
        spec["strict_increase"] = draw(st.integers(0, 3)) == 0
        if draw(st.booleans()):
            a = draw(st.integers(1, len(steps) - 1))
            b = draw(st.integers(a + 1, len(steps)))
            spec["exclusions"] = [
                {"event": draw(st.sampled_from(EVENTS)), "from_step": a, "to_step": b}
            ]
    if draw(st.booleans()):
        spec["breakdown"] = {"property": "plan", "limit": draw(st.integers(1, 2))}
    tz = draw(st.sampled_from(["UTC", "America/New_York", "Europe/Berlin"]))
    return Case(draw(event_rows(scale, max_rows=14)), spec, tz)


def origin(spec: dict[str, Any], tz: str) -> int:
    local = datetime.combine(date.fromisoformat(spec["date_from"]), datetime.min.time())
    return oracle.micros(local.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC).replace(tzinfo=None))


def close(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)
    return a == b


@FUNNEL_SETTINGS
@given(case=cases())
def test_funnels_match_the_oracle(store: EventStore, case: Case) -> None:
    spec, tz = case.spec, ZoneInfo(case.tz)
    project_id = load(store, case.rows)
    rows = [{**r, "project_id": project_id} for r in case.rows]
    resolved = resolve(rows, project_id, UTC)
    owner = {r["distinct_id"]: e.person for r, e in zip(rows, resolved, strict=True)}
    names = {p: owner[d] for p, d in person_names(store, project_id).items()}
    units = oracle.units(resolved, spec, tz)

    table = unit_levels(store, project_id, spec, case.tz).to_pylist()
    start = origin(spec, case.tz)
    got = {}
    for row in table:
        key = (names[str(row["p"])], row["bucket"].date() if "bucket" in row else None)
        times = tuple(t + start for t in row["times"] or []) if spec["order"] != "unordered" else ()
        got[key] = (row["level"], times if spec["funnel_viz"] == "steps" else ())
    want = {
        (u.person, u.bucket): (u.level, u.times if spec["funnel_viz"] == "steps" else ())
        for u in units
    }
    assert got == want

    result = execute(store, project_id, spec, case.tz)
    if spec["funnel_viz"] == "steps":
        expected = oracle.steps_result(units, spec)
    elif spec["funnel_viz"] == "trends":
        expected = oracle.trends_result(units, spec, oracle.day_keys(spec))
        entries = result if isinstance(result, list) else [result]
        for entry in entries:
            assert entry["labels"] == [d.isoformat() for d in oracle.day_keys(spec)]
            del entry["labels"], entry["data"]
    else:
        expected = oracle.time_to_convert_result(units, spec)
    assert close(result, expected), (result, expected)


@FUNNEL_SETTINGS
@given(case=cases(), step=st.integers(1, 4), dropped=st.booleans())
def test_person_listing_matches_the_oracle(
    store: EventStore, case: Case, step: int, dropped: bool
) -> None:
    spec = {**case.spec, "funnel_viz": "steps"}
    step = min(step, len(spec["steps"]))
    if dropped and step == 1:
        step = 2
    project_id = load(store, case.rows)
    rows = [{**r, "project_id": project_id} for r in case.rows]
    resolved = resolve(rows, project_id, UTC)
    owner = {r["distinct_id"]: e.person for r, e in zip(rows, resolved, strict=True)}
    names = {p: owner[d] for p, d in person_names(store, project_id).items()}
    status = "dropped" if dropped else "converted"
    listing = execute(
        store,
        project_id,
        {**spec, "persons": {"step": step, "status": status, "limit": 2}},
        case.tz,
    )
    units = oracle.units(resolved, spec, ZoneInfo(case.tz))
    wanted = {u.person for u in units if (u.level == step - 1 if dropped else u.level >= step)}
    assert {names[p] for p in listing["persons"]} <= wanted
    assert len(listing["persons"]) == min(2, len(wanted))
    assert listing["has_more"] == (len(wanted) > 2)
    assert listing["persons"] == sorted(listing["persons"])
