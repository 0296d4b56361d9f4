"""LifecycleQuery: hand-made examples and the plain-Python oracle, on every backend, with
masks of active days and (the mask limit shrunk to nothing) with window functions."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heron.analysis import active_masks
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

P = 13


def event(name: str, who: str, ts: datetime, **properties: Any) -> dict[str, Any]:
    return {"event": name, "distinct_id": who, "timestamp": ts, "properties": properties}


def day(d: int, hour: int = 12) -> datetime:
    return datetime(2025, 1, d, hour)


def test_statuses_per_day(store: EventStore) -> None:
    rows = [
        # ann: new on the 2nd, returning on the 3rd, dormant on the 4th, resurrecting on the 5th
        *(event("pageview", "ann", day(d)) for d in (2, 3, 5)),
        # bob: first seen long before the range, back on the 3rd
        event("pageview", "bob", datetime(2024, 12, 1, 12)),
        event("pageview", "bob", day(3)),
        # cid: active the day before the range, so dormant on its first day
        event("pageview", "cid", day(1)),
        # an anonymous visit on the 1st merged into dee, who shows up on the 4th
        event("pageview", "visitor", day(1, 8)),
        event("pageview", "dee", day(4)),
        event("$identify", "dee", day(4, 13), **{"$anon_distinct_id": "visitor"}),
        # other events do not count
        event("signup", "eve", day(3)),
    ]
    store.append(raw_batch(rows, P))
    spec = {
        "kind": "LifecycleQuery",
        "event": "pageview",
        "date_from": "2025-01-02",
        "date_to": "2025-01-05",
    }
    assert execute(store, P, "UTC", spec) == {
        "labels": ["2025-01-02", "2025-01-03", "2025-01-04", "2025-01-05"],
        "new": [1, 0, 0, 0],
        "returning": [0, 1, 0, 0],
        "resurrecting": [0, 1, 1, 1],
        "dormant": [-2, 0, -2, -1],
    }


def test_months_in_the_project_timezone(store: EventStore) -> None:
    rows = [
        event("pageview", "a", datetime(2025, 1, 31, 23, 30)),  # 1 February in Berlin
        event("pageview", "a", datetime(2025, 3, 3, 12)),
        event("pageview", "b", datetime(2025, 2, 10, 12)),
        event("pageview", "b", datetime(2025, 3, 10, 12)),
    ]
    store.append(raw_batch(rows, P))
    spec = {
        "kind": "LifecycleQuery",
        "interval": "month",
        "date_from": "2025-02-01",
        "date_to": "2025-04-30",
    }
    assert execute(store, P, "Europe/Berlin", spec) == {
        "labels": ["2025-02-01", "2025-03-01", "2025-04-01"],
        "new": [2, 0, 0],
        "returning": [0, 2, 0],
        "resurrecting": [0, 0, 0],
        "dormant": [0, 0, -2],
    }


def test_days_across_mask_words(store: EventStore) -> None:
    rows = [
        # ann: new on 4 March (the last day of the first 64-day word), returning on the 5th
        event("pageview", "ann", datetime(2025, 3, 4, 12)),
        event("pageview", "ann", datetime(2025, 3, 5, 12)),
        # bob: seen long before the range, back on 5 March
        event("pageview", "bob", datetime(2024, 6, 1, 12)),
        event("pageview", "bob", datetime(2025, 3, 5, 12)),
        # cid: new on 6 March
        event("pageview", "cid", datetime(2025, 3, 6, 12)),
    ]
    store.append(raw_batch(rows, P))
    spec = {
        "kind": "LifecycleQuery",
        "event": "pageview",
        "date_from": "2025-01-01",
        "date_to": "2025-03-10",
    }
    expected = {
        "new": {"2025-03-04": 1, "2025-03-06": 1},
        "returning": {"2025-03-05": 1},
        "resurrecting": {"2025-03-05": 1},
        "dormant": {"2025-03-06": -2, "2025-03-07": -1},
    }
    result = on_both_methods(store, spec)
    for status, days in expected.items():
        assert {
            label: n for label, n in zip(result["labels"], result[status], strict=True) if n
        } == days


def test_person_filters_read_the_merged_person(store: EventStore) -> None:
    rows = [
        # a visit on the 1st merged into dee, a gold person active again on the 3rd
        event("pageview", "visitor", day(1)),
        event("$identify", "dee", day(3, 8), **{"$anon_distinct_id": "visitor"}),
        event("$identify", "dee", day(3, 9), **{"$set": {"tier": "gold"}}),
        event("pageview", "dee", day(3)),
        # eve is not gold
        event("pageview", "eve", day(2)),
        event("pageview", "eve", day(3)),
    ]
    store.append(raw_batch(rows, P))
    spec = {
        "kind": "LifecycleQuery",
        "event": "pageview",
        "date_from": "2025-01-02",
        "date_to": "2025-01-04",
        "filters": [{"property": "tier", "value": "gold", "type": "person"}],
    }
    assert on_both_methods(store, spec) == {
        "labels": ["2025-01-02", "2025-01-03", "2025-01-04"],
        "new": [0, 0, 0],
        "returning": [0, 0, 0],
        "resurrecting": [0, 1, 0],
        "dormant": [-1, 0, -1],
    }


def on_both_methods(store: EventStore, spec: dict[str, Any]) -> Any:
    """The spec's result (UTC) from masks and from window functions, which must agree."""
    results = []
    for words in (None, 0):
        with mask_limit(words):
            results.append(execute(store, P, "UTC", spec))
    assert results[0] == results[1]
    return results[0]


def mask_limit(words: int | None) -> Any:
    """Masks of at most ``words`` words (``None``: the module's own limit; 0: never masks)."""
    return patch.object(
        active_masks, "MAX_WORDS", active_masks.MAX_WORDS if words is None else words
    )


@pytest.mark.parametrize(
    "change", [{"breakdown": {"property": "x"}}, {"interval": "hour"}, {"event": ""}]
)
def test_invalid_specs_are_rejected(change: dict[str, Any]) -> None:
    with pytest.raises(SpecError):
        parse_spec({"kind": "LifecycleQuery", **change})


@st.composite
def cases(draw: st.DrawFn) -> tuple[Scenario, dict[str, Any]]:
    scenario = draw(scenarios())
    start, length = draw(st.integers(-9, 4)), draw(st.integers(0, 13))
    spec = {
        "kind": "LifecycleQuery",
        "event": draw(st.sampled_from(["pageview", "signup", None])),
        "interval": draw(st.sampled_from(["day", "day", "week", "month"])),
        "date_from": scenario.local_date(start),
        "date_to": scenario.local_date(start + length),
        "filters": draw(FILTERS),
    }
    return scenario, spec


@pytest.mark.slow
@ORACLE_SETTINGS
@given(case=cases())
@pytest.mark.parametrize("words", [None, 0])
def test_lifecycle_matches_the_oracle(
    store: EventStore, words: int | None, case: tuple[Scenario, dict[str, Any]]
) -> None:
    scenario, spec = case
    project_id = load(store, scenario)
    rows = scenario.batch_rows(project_id)
    expected = activity_oracles.lifecycle(rows, project_id, scenario.tz, spec)
    with mask_limit(words):
        assert execute(store, project_id, scenario.tz, spec) == expected
