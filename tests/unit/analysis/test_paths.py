"""PathsQuery: hand-checked cases, validation, and the plain-Python oracle (every backend)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heron.analysis import paths_steps
from heron.query.context import QueryContext
from heron.query.dialects import dialect
from heron.query.registry import KINDS, SpecError, parse_spec
from heron.query.runner import Runner
from heron.store.base import EventStore
from tests.support.events import raw_batch
from tests.unit.analysis.oracles import paths_oracle
from tests.unit.analysis.oracles.funnel_data import FUNNEL_SETTINGS, PROJECTS
from tests.unit.analysis.oracles.trends_oracle import resolve

BASE = datetime(2025, 1, 6, 12)
RANGE = {"date_from": "2025-01-01", "date_to": "2025-01-31"}


def run_paths(store: EventStore, project_id: int, spec: dict[str, Any], tz: str = "UTC") -> Any:
    parsed = parse_spec({"kind": "PathsQuery", **RANGE, **spec})
    ctx = QueryContext(
        project_id, ZoneInfo(tz), dialect(store.dialect), now=datetime(2026, 1, 1, tzinfo=UTC)
    )
    return KINDS["PathsQuery"].run(parsed, Runner(store, ctx))


def load(store: EventStore, rows: list[dict[str, Any]]) -> int:
    project_id = next(PROJECTS)
    store.append(raw_batch([{**r, "project_id": project_id} for r in rows]))
    return project_id


def journey(who: str, *steps: str | tuple[str, str]) -> list[dict[str, Any]]:
    rows = []
    for minute, step in enumerate(steps):
        event, path = (step, None) if isinstance(step, str) else step
        properties = {"$pathname": path} if path else {}
        rows.append(
            {
                "event": event,
                "distinct_id": who,
                "timestamp": BASE + timedelta(minutes=minute),
                "properties": properties,
            }
        )
    return rows


def links(result: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(link["source"], link["target"], link["value"]) for link in result["links"]]


def test_start_event_collapses_repeats_and_counts_persons(store: EventStore) -> None:
    rows = journey("ann", "home", "signup", "signup", "activate", "purchase")
    rows += journey("bob", "signup", "$autocapture", "activate", "home")
    rows += journey("cid", "home", "activate")
    project_id = load(store, rows)
    result = run_paths(store, project_id, {"start_event": "signup", "step_limit": 3})
    assert links(result) == [
        ("1_signup", "2_activate", 2),
        ("2_activate", "3_home", 1),
        ("2_activate", "3_purchase", 1),
    ]
    assert [n["name"] for n in result["nodes"]] == [
        "1_signup",
        "2_activate",
        "3_home",
        "3_purchase",
    ]


def test_end_event_lines_paths_up_on_the_end(store: EventStore) -> None:
    rows = journey("ann", "home", "pricing", "signup", "signup")
    rows += journey("bob", "signup", "pricing", "signup")
    project_id = load(store, rows)
    result = run_paths(store, project_id, {"end_event": "signup", "step_limit": 3})
    assert links(result) == [
        ("2_pricing", "3_signup", 2),
        ("1_home", "2_pricing", 1),
        ("1_signup", "2_pricing", 1),
    ]


def test_pathnames_and_edge_limits(store: EventStore) -> None:
    rows = journey("ann", ("$pageview", "/a"), ("$pageview", "/b"), "signup")
    rows += journey("bob", ("$pageview", "/a"), ("pageview", "/b"), "signup")
    rows += journey("cid", ("$pageview", "/a"), "$pageview", "signup")
    project_id = load(store, rows)
    by_path = run_paths(store, project_id, {"path_type": "pathname", "min_edge_weight": 2})
    assert links(by_path) == [("1_/a", "2_/b", 2), ("2_/b", "3_signup", 2)]
    by_event = run_paths(store, project_id, {"edge_limit": 1})
    assert links(by_event) == [("1_$pageview", "2_signup", 2)]


def test_person_filters_read_the_merged_person(store: EventStore) -> None:
    rows = journey("anon", "home", "signup")
    rows.append(
        {
            "event": "$identify",
            "distinct_id": "carol",
            "timestamp": BASE + timedelta(minutes=5),
            "properties": {"$anon_distinct_id": "anon", "$set": {"tier": "gold"}},
        }
    )
    rows.append({**journey("carol", "activate")[0], "timestamp": BASE + timedelta(minutes=6)})
    rows += journey("dave", "signup", "activate")
    project_id = load(store, rows)
    gold = {"property": "tier", "value": "gold", "type": "person"}
    spec = {"start_event": "signup", "filters": [gold]}
    assert links(run_paths(store, project_id, spec)) == [("1_signup", "2_activate", 1)]
    assert links(run_paths(store, project_id, {"start_event": "signup"})) == [
        ("1_signup", "2_activate", 2)
    ]


def test_wide_sort_keys_give_the_same_paths(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = journey("ann", "home", "signup", "signup", "activate", "purchase")
    rows += journey("bob", "signup", "activate", "home", "activate")
    project_id = load(store, rows)
    specs = [{"start_event": "signup"}, {"end_event": "activate", "step_limit": 3}, {}]
    narrow = [run_paths(store, project_id, spec) for spec in specs]
    monkeypatch.setattr(paths_steps, "NARROW_KEYS", 1)
    assert [run_paths(store, project_id, spec) for spec in specs] == narrow


@pytest.mark.parametrize(
    "bad",
    [
        {"start_event": "a", "end_event": "b"},
        {"step_limit": 1},
        {"step_limit": 11},
        {"breakdown": {"property": "x"}},
        {"path_type": "url"},
    ],
)
def test_invalid_specs_are_rejected(bad: dict[str, Any]) -> None:
    with pytest.raises(SpecError):
        parse_spec({"kind": "PathsQuery", **bad})


EVENTS = ["$pageview", "pageview", "signup", "purchase", "$autocapture"]


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    rows = []
    for _ in range(draw(st.integers(0, 30))):
        who = draw(st.sampled_from(["u1", "u2", "u3", "a1", "a2"]))
        ts = BASE + timedelta(
            minutes=draw(st.integers(-3000, 3000)) // draw(st.sampled_from([1, 60]))
        )
        if draw(st.integers(0, 8)) == 0:
            rows.append(
                {
                    "event": "$identify",
                    "distinct_id": draw(st.sampled_from(["u1", "u2"])),
                    "timestamp": ts,
                    "properties": {"$anon_distinct_id": draw(st.sampled_from(["a1", "a2"]))},
                }
            )
            continue
        path = draw(st.sampled_from(["/a", "/b", None]))
        rows.append(
            {
                "event": draw(st.sampled_from(EVENTS)),
                "distinct_id": who,
                "timestamp": ts,
                "properties": {} if path is None else {"$pathname": path},
            }
        )
    spec: dict[str, Any] = {
        "step_limit": draw(st.integers(2, 5)),
        "path_type": draw(st.sampled_from(["event", "pathname"])),
        "min_edge_weight": draw(st.integers(1, 2)),
        "edge_limit": draw(st.integers(1, 8)),
        "date_from": draw(st.sampled_from(["2025-01-04", "2025-01-06"])),
        "date_to": draw(st.sampled_from(["2025-01-06", "2025-01-10"])),
    }
    anchor = draw(st.sampled_from([None, "start", "end"]))
    if anchor is not None:
        spec[f"{anchor}_event"] = draw(st.sampled_from(["signup", "purchase", "/a", "$pageview"]))
    if draw(st.booleans()):
        spec["event_filter"] = draw(
            st.lists(st.sampled_from(EVENTS), min_size=1, max_size=3, unique=True)
        )
    if draw(st.booleans()):
        spec["filters"] = [
            {
                "property": "$pathname",
                "value": draw(st.sampled_from(["/a", "/b"])),
                "operator": draw(st.sampled_from(["eq", "neq"])),
            }
        ]
    tz = draw(st.sampled_from(["UTC", "America/New_York"]))
    return rows, spec, tz


@pytest.mark.slow
@FUNNEL_SETTINGS
@given(case=cases())
def test_paths_match_the_oracle(
    store: EventStore, case: tuple[list[dict[str, Any]], dict[str, Any], str]
) -> None:
    rows, spec, tz = case
    project_id = next(PROJECTS)
    batch = [{**r, "project_id": project_id} for r in rows]
    if batch:
        store.append(raw_batch(batch))
    got = run_paths(store, project_id, spec, tz)
    expected = paths_oracle.paths(resolve(batch, project_id, ZoneInfo(tz)), {**RANGE, **spec})
    assert got == expected
