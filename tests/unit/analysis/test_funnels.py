"""FunnelsQuery: hand-checked cases on every backend, result shapes and validation."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from heron.analysis.funnels_spec import FunnelsQuery
from heron.query.registry import SpecError, parse_spec
from heron.store.base import EventStore
from tests.unit.analysis.oracles.funnel_data import execute, load

T0 = datetime(2025, 3, 7, 12, 0)
RANGE = {"date_from": "2025-03-01", "date_to": "2025-03-31"}


def at(seconds: float, event: str, who: str = "ann", **properties: Any) -> dict[str, Any]:
    return {
        "event": event,
        "distinct_id": who,
        "timestamp": T0 + timedelta(seconds=seconds),
        "properties": properties,
    }


def funnel(*events: str, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "FunnelsQuery",
        "steps": [{"event": e} for e in events],
        "conversion_window": {"value": 10, "unit": "second"},
        **RANGE,
        **extra,
    }


def counts(store: EventStore, rows: list[dict[str, Any]], spec: dict[str, Any]) -> list[int]:
    project_id = load(store, rows)
    return [s["count"] for s in execute(store, project_id, spec)["steps"]]


CASES = [
    # A later step-1 event starts a fresh chain that gets further within its window.
    ([at(0, "A"), at(5, "B"), at(20, "A"), at(21, "B"), at(22, "C")], {}, [1, 1, 1]),
    # Equal timestamps count in step order, whatever order the events were sent in.
    ([at(0, "C"), at(0, "B"), at(0, "A")], {}, [1, 1, 1]),
    # The window is inclusive: exactly 10 s after the start still converts, 10.000001 not.
    ([at(0, "A"), at(10, "B"), at(10, "C")], {}, [1, 1, 1]),
    ([at(0, "A"), at(5, "B"), at(10.000001, "C")], {}, [1, 1, 0]),
    # strict_increase: equal timestamps do not convert.
    ([at(0, "A"), at(0, "B"), at(1, "C")], {"strict_increase": True}, [1, 0, 0]),
    # Strict order: another step event in between ends the funnel where it stands.
    ([at(0, "A"), at(1, "C"), at(2, "A"), at(3, "B"), at(4, "C")], {"order": "strict"}, [1, 0, 0]),
    ([at(0, "A"), at(1, "B"), at(2, "A"), at(4, "C")], {"order": "strict"}, [1, 1, 1]),
    # Unordered: any order within the window.
    ([at(0, "C"), at(1, "B"), at(2, "A")], {"order": "unordered"}, [1, 1, 1]),
]


@pytest.mark.parametrize(("rows", "extra", "expected"), CASES)
def test_window_funnel_semantics(
    store: EventStore, rows: list[dict[str, Any]], extra: dict[str, Any], expected: list[int]
) -> None:
    assert counts(store, rows, funnel("A", "B", "C", **extra)) == expected


def test_one_event_fills_one_step(store: EventStore) -> None:
    spec = funnel("A", "A", "B")
    assert counts(store, [at(0, "A"), at(1, "B")], spec) == [1, 0, 0]
    assert counts(store, [at(0, "A"), at(0, "A"), at(1, "B")], spec) == [1, 1, 1]


def test_step_filters_and_merged_identities(store: EventStore) -> None:
    rows = [
        at(0, "A", "anon", plan="pro"),
        at(1, "$identify", "ann", **{"$anon_distinct_id": "anon"}),
        at(2, "B", "ann"),
        at(3, "A", "bob", plan="free"),
        at(4, "B", "bob"),
    ]
    spec = funnel("A", "B")
    spec["steps"][0]["filters"] = [{"property": "plan", "operator": "eq", "value": "pro"}]
    assert counts(store, rows, spec) == [1, 1]


def test_rates_and_conversion_times(store: EventStore) -> None:
    rows = [at(0, "A"), at(2, "B"), at(0, "A", "bob"), at(6, "B", "bob"), at(7, "C", "bob")]
    rows += [at(0, "A", "cid")]
    project_id = load(store, rows)
    steps = execute(store, project_id, funnel("A", "B", "C"))["steps"]
    assert [(s["count"], s["conversion_rate"], s["conversion_from_previous"]) for s in steps] == [
        (3, 1.0, 1.0),
        (2, 2 / 3, 2 / 3),
        (1, 1 / 3, 0.5),
    ]
    assert steps[0]["median_seconds_to_convert"] is None
    assert steps[1]["median_seconds_to_convert"] == 4.0
    assert steps[1]["average_seconds_to_convert"] == 4.0
    assert steps[2]["median_seconds_to_convert"] == 1.0


def test_runs_of_one_step_keep_their_chain(store: EventStore) -> None:
    """Runs of one step (shortened before the fold): the latest start of a step-1 run, the
    earliest entry of a later step's run, and a run that starts outside the window."""
    rows = [at(0, "A"), at(1, "A"), at(3, "A"), at(4, "B"), at(5, "B"), at(6, "B")]
    rows += [at(9, "C"), at(30, "A"), at(41, "B"), at(42, "B"), at(50, "C")]
    project_id = load(store, rows)
    steps = execute(store, project_id, funnel("A", "B", "C"))["steps"]
    assert [s["count"] for s in steps] == [1, 1, 1]
    assert [s["median_seconds_to_convert"] for s in steps] == [None, 1.0, 5.0]
    late = [at(0, "A"), at(11, "B"), at(12, "B"), at(13, "A"), at(14, "B"), at(15, "C")]
    project_id = load(store, late)
    steps = execute(store, project_id, funnel("A", "B", "C"))["steps"]
    assert [s["median_seconds_to_convert"] for s in steps] == [None, 1.0, 1.0]


def test_exclusions_drop_persons_after_the_from_step(store: EventStore) -> None:
    rows = [at(0, "A"), at(1, "X"), at(2, "B"), at(3, "C")]
    rows += [at(0, "A", "bob"), at(2, "B", "bob"), at(3, "X", "bob"), at(4, "C", "bob")]
    rows += [at(0, "A", "cid"), at(1, "X", "cid")]
    spec = funnel("A", "B", "C", exclusions=[{"event": "X", "from_step": 1, "to_step": 2}])
    assert counts(store, rows, spec) == [3, 1, 1]


def test_breakdown_by_first_touch_with_other_and_none(store: EventStore) -> None:
    rows = [at(0, "A", "ann", plan="pro"), at(5, "A", "ann", plan="free"), at(6, "B", "ann")]
    rows += [at(0, "A", "bob", plan="pro")]
    rows += [at(0, "A", "cid", plan="free")]
    rows += [at(0, "A", "dan")]
    rows += [at(0, "A", "eve"), at(1, "A", "eve", plan="pro")]
    project_id = load(store, rows)
    result = execute(
        store, project_id, funnel("A", "B", breakdown={"property": "plan", "limit": 1})
    )
    assert [(e["breakdown_value"], [s["count"] for s in e["steps"]]) for e in result] == [
        ("pro", [2, 1]),
        ("$other", [1, 0]),
        ("$none", [2, 0]),
    ]


def test_person_listing(store: EventStore) -> None:
    rows = [at(0, "A", who) for who in ("ann", "bob", "cid")]
    rows += [at(1, "B", "ann"), at(1, "B", "bob")]
    project_id = load(store, rows)
    converted = execute(store, project_id, funnel("A", "B", persons={"step": 2, "limit": 1}))
    assert len(converted["persons"]) == 1 and converted["has_more"] is True
    rest = execute(store, project_id, funnel("A", "B", persons={"step": 2, "offset": 1}))
    assert len(rest["persons"]) == 1 and rest["has_more"] is False
    assert rest["persons"] != converted["persons"]
    dropped = execute(store, project_id, funnel("A", "B", persons={"step": 2, "status": "dropped"}))
    assert len(dropped["persons"]) == 1
    assert dropped["persons"][0] not in converted["persons"] + rest["persons"]


def test_trends_by_start_day(store: EventStore) -> None:
    rows = [at(0, "A"), at(1, "B"), at(86400, "A"), at(0, "A", "bob")]
    project_id = load(store, rows)
    spec = funnel("A", "B", funnel_viz="trends", date_from="2025-03-07", date_to="2025-03-09")
    result = execute(store, project_id, spec)
    assert result["labels"] == ["2025-03-07", "2025-03-08", "2025-03-09"]
    assert result["entered"] == [2, 1, 0]
    assert result["converted"] == [1, 0, 0]
    assert result["data"] == [0.5, 0.0, 0.0]


def test_time_to_convert_histogram(store: EventStore) -> None:
    rows = [at(0, "A"), at(2, "B"), at(0, "A", "bob"), at(8, "B", "bob"), at(0, "A", "cid")]
    project_id = load(store, rows)
    result = execute(store, project_id, funnel("A", "B", funnel_viz="time_to_convert", bins=3))
    assert result["bins"] == [[2.0, 1], [4.0, 0], [6.0, 1]]
    assert result["average_conversion_time"] == 5.0
    assert result["converted"] == 2


def test_empty_funnel(store: EventStore) -> None:
    project_id = load(store, [at(0, "Z")])
    steps = execute(store, project_id, funnel("A", "B"))["steps"]
    assert [s["count"] for s in steps] == [0, 0]
    assert steps[1]["conversion_rate"] == 0.0


@pytest.mark.parametrize(
    "bad",
    [
        {"steps": [{"event": "A"}]},
        {"steps": [{"event": "A"}] * 21},
        {"exclusions": [{"event": "X", "from_step": 1, "to_step": 4}]},
        {"exclusions": [{"event": "X", "from_step": 2, "to_step": 2}]},
        {"order": "unordered", "exclusions": [{"event": "X", "from_step": 1, "to_step": 2}]},
        {"order": "unordered", "funnel_viz": "time_to_convert"},
        {"order": "unordered", "steps": [{"event": "A"}] * 6},
        {"persons": {"step": 4}},
        {"persons": {"step": 1, "status": "dropped"}},
        {"conversion_window": {"value": 1, "unit": "month"}},
    ],
)
def test_invalid_specs_are_rejected(bad: dict[str, Any]) -> None:
    with pytest.raises(SpecError):
        parse_spec({**funnel("A", "B", "C"), **bad})


def test_spec_round_trips_through_json() -> None:
    spec = parse_spec(
        funnel(
            "A",
            "B",
            order="strict",
            strict_increase=True,
            exclusions=[{"event": "X", "from_step": 1, "to_step": 2}],
            breakdown={"property": "plan"},
        )
    )
    assert isinstance(spec, FunnelsQuery)
    assert parse_spec(spec.model_dump(mode="json")) == spec
