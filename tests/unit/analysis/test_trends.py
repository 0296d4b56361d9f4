"""TrendsQuery on hand-made data with hand-computed answers, on every backend."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from heron.query.registry import SpecError, parse_spec
from heron.store.base import EventStore
from tests.support.events import raw_batch
from tests.unit.analysis.oracles.trends_data import execute

P = 7


def event(name: str, who: str, ts: datetime, **properties: Any) -> dict[str, Any]:
    return {"event": name, "distinct_id": who, "timestamp": ts, "properties": properties}


def trends(store: EventStore, tz: str = "UTC", **spec: Any) -> list[dict[str, Any]]:
    return execute(store, P, tz, {"kind": "TrendsQuery", **spec})


def by_value(entries: list[dict[str, Any]]) -> dict[Any, list[Any]]:
    return {e["breakdown_value"]: e["data"] for e in entries}


def test_hours_across_the_spring_dst_change_skip_the_missing_hour(store: EventStore) -> None:
    rows = [
        event("pageview", "a", datetime(2025, 3, 9, 6, 30)),  # 01:30 EST
        event("pageview", "a", datetime(2025, 3, 9, 7, 30)),  # 03:30 EDT
        event("pageview", "b", datetime(2025, 3, 9, 7, 59)),  # 03:59 EDT
    ]
    store.append(raw_batch(rows, P))
    [entry] = trends(
        store,
        "America/New_York",
        series=[{"event": "pageview"}],
        interval="hour",
        date_from="2025-03-09",
        date_to="2025-03-09",
    )
    labels = entry["labels"]
    assert len(labels) == 23
    assert labels[:4] == [
        "2025-03-09T00:00:00-05:00",
        "2025-03-09T01:00:00-05:00",
        "2025-03-09T03:00:00-04:00",
        "2025-03-09T04:00:00-04:00",
    ]
    assert labels[-1] == "2025-03-09T23:00:00-04:00"
    assert entry["data"][:4] == [0, 1, 2, 0]
    assert entry["count"] == 3


def test_hours_across_the_autumn_dst_change_keep_both_one_oclocks(store: EventStore) -> None:
    rows = [
        event("pageview", "a", datetime(2025, 11, 2, 5, 10)),  # 01:10 EDT
        event("pageview", "a", datetime(2025, 11, 2, 6, 10)),  # 01:10 EST
        event("pageview", "a", datetime(2025, 11, 2, 6, 20)),  # 01:20 EST
    ]
    store.append(raw_batch(rows, P))
    [entry] = trends(
        store,
        "America/New_York",
        series=[{"event": "pageview", "math": "dau"}],
        interval="hour",
        date_from="2025-11-02",
        date_to="2025-11-02",
    )
    assert len(entry["labels"]) == 25
    assert entry["labels"][1:3] == ["2025-11-02T01:00:00-04:00", "2025-11-02T01:00:00-05:00"]
    assert entry["data"][:4] == [0, 1, 1, 0]


def test_days_follow_the_local_calendar(store: EventStore) -> None:
    rows = [
        event("signup", "a", datetime(2025, 3, 30, 22, 30)),  # 00:30 on the 31st in Berlin
        event("signup", "b", datetime(2025, 3, 29, 23, 30)),  # 00:30 on the 30th (CET)
    ]
    store.append(raw_batch(rows, P))
    [entry] = trends(
        store,
        "Europe/Berlin",
        series=[{"event": "signup"}],
        date_from="2025-03-29",
        date_to="2025-03-31",
    )
    assert entry["labels"] == ["2025-03-29", "2025-03-30", "2025-03-31"]
    assert entry["data"] == [0, 1, 1]


def test_an_empty_range_is_zero_filled(store: EventStore) -> None:
    store.append(raw_batch([event("pageview", "a", datetime(2025, 1, 1, 12))], P))
    entries = trends(
        store,
        series=[{"event": "pageview"}, {"event": "pageview", "math": "avg", "math_property": "x"}],
        interval="week",
        date_from="2025-02-01",
        date_to="2025-02-28",
    )
    assert [e["labels"] for e in entries] == [
        ["2025-01-27", "2025-02-03", "2025-02-10", "2025-02-17", "2025-02-24"]
    ] * 2
    assert [e["data"] for e in entries] == [[0] * 5, [0.0] * 5]
    assert [e["count"] for e in entries] == [0, 0]


def test_formula_over_two_series_with_division_by_zero(store: EventStore) -> None:
    rows = [
        event("pageview", "a", datetime(2025, 1, 1, 10)),
        event("pageview", "b", datetime(2025, 1, 1, 11)),
        event("pageview", "b", datetime(2025, 1, 2, 11)),
        event("signup", "a", datetime(2025, 1, 1, 12)),
    ]
    store.append(raw_batch(rows, P))
    entries = trends(
        store,
        series=[{"event": "signup"}, {"event": "pageview"}],
        formula="A / B * 100",
        date_from="2025-01-01",
        date_to="2025-01-03",
    )
    assert [e["label"] for e in entries] == ["signup", "pageview", "Formula (A / B * 100)"]
    assert entries[2]["data"] == [50.0, 0.0, 0.0]
    assert entries[2]["count"] == 50.0


def test_breakdown_keeps_the_top_values_then_other_then_none(store: EventStore) -> None:
    day = datetime(2025, 1, 1, 12)
    plans = ["pro"] * 4 + ["team"] * 3 + ["free"] * 2 + ["solo"] + [None] * 2
    rows = [
        event("pageview", f"user{i}", day, **({"plan": plan} if plan else {}))
        for i, plan in enumerate(plans)
    ]
    store.append(raw_batch(rows, P))
    entries = trends(
        store,
        series=[{"event": "pageview"}],
        breakdown={"property": "plan", "limit": 2},
        date_from="2025-01-01",
        date_to="2025-01-01",
    )
    assert [(e["breakdown_value"], e["count"]) for e in entries] == [
        ("pro", 4),
        ("team", 3),
        ("$other", 3),
        ("$none", 2),
    ]


def test_breakdown_by_person_property_after_a_merge(store: EventStore) -> None:
    rows = [
        event("pageview", "anon", datetime(2025, 1, 1, 9)),
        event("pageview", "carol", datetime(2025, 1, 1, 10)),
        event(
            "$identify",
            "carol",
            datetime(2025, 1, 1, 11),
            **{"$anon_distinct_id": "anon", "$set": {"tier": "gold"}},
        ),
        event("pageview", "dave", datetime(2025, 1, 1, 12)),
    ]
    store.append(raw_batch(rows, P))
    entries = trends(
        store,
        series=[{"event": "pageview", "math": "dau"}],
        breakdown={"property": "tier", "type": "person"},
        date_from="2025-01-01",
        date_to="2025-01-01",
    )
    assert by_value(entries) == {"gold": [1], "$none": [1]}


def test_compare_adds_the_previous_period_with_its_own_labels(store: EventStore) -> None:
    rows = [
        event("pageview", "a", datetime(2025, 1, 28, 12)),
        event("pageview", "a", datetime(2025, 2, 2, 12)),
        event("pageview", "b", datetime(2025, 2, 2, 13)),
    ]
    store.append(raw_batch(rows, P))
    entries = trends(
        store,
        series=[{"event": "pageview"}],
        compare=True,
        date_from="2025-02-01",
        date_to="2025-02-03",
    )
    assert [(e["compare"], e["labels"], e["data"]) for e in entries] == [
        ("current", ["2025-02-01", "2025-02-02", "2025-02-03"], [0, 2, 0]),
        ("previous", ["2025-01-29", "2025-01-30", "2025-01-31"], [0, 0, 0]),
    ]
    entries = trends(
        store,
        series=[{"event": "pageview"}],
        compare=True,
        date_from="2025-01-29",
        date_to="2025-02-04",
        interval="week",
    )
    assert [(e["compare"], e["labels"], e["data"]) for e in entries] == [
        ("current", ["2025-01-27", "2025-02-03"], [2, 0]),
        ("previous", ["2025-01-13", "2025-01-20"], [0, 0]),
    ]


def test_weekly_and_monthly_active_reach_back_before_the_range(store: EventStore) -> None:
    rows = [
        event("pageview", "a", datetime(2025, 1, 1, 12)),
        event("pageview", "b", datetime(2025, 1, 5, 12)),
        event("pageview", "c", datetime(2025, 1, 9, 12)),
    ]
    store.append(raw_batch(rows, P))
    entries = trends(
        store,
        series=[
            {"event": "pageview", "math": "weekly_active"},
            {"event": "pageview", "math": "monthly_active"},
            {"event": "pageview", "math": "dau"},
        ],
        date_from="2025-01-06",
        date_to="2025-01-09",
    )
    assert [e["data"] for e in entries] == [[2, 2, 1, 2], [2, 2, 2, 3], [0, 0, 0, 1]]


def test_weekly_active_on_week_intervals_counts_each_week(store: EventStore) -> None:
    rows = [
        event("pageview", w, datetime(2025, 1, d, 12))
        for w, d in [("a", 6), ("a", 8), ("b", 12), ("c", 13)]
    ]
    store.append(raw_batch(rows, P))
    [entry] = trends(
        store,
        series=[{"event": "pageview", "math": "weekly_active"}],
        interval="week",
        date_from="2025-01-06",
        date_to="2025-01-19",
    )
    assert entry["data"] == [2, 1]


def test_property_aggregates(store: EventStore) -> None:
    values = [1, 2, 3, 4, "10", "n/a"]
    rows = [event("purchase", "a", datetime(2025, 1, 1, 12), amount=v) for v in values]
    store.append(raw_batch(rows, P))
    maths = ["sum", "avg", "min", "max", "median", "p90"]
    entries = trends(
        store,
        series=[{"event": "purchase", "math": m, "math_property": "amount"} for m in maths],
        date_from="2025-01-01",
        date_to="2025-01-01",
    )
    assert [e["data"][0] for e in entries] == pytest.approx([20.0, 4.0, 1.0, 10.0, 3.0, 7.6])


def test_unique_sessions_count_each_session_once_per_interval(store: EventStore) -> None:
    rows = [
        {**event("pageview", "a", datetime(2025, 1, 1, 9)), "session_id": "s1"},
        {**event("signup", "a", datetime(2025, 1, 1, 9, 5)), "session_id": "s1"},
        {**event("pageview", "b", datetime(2025, 1, 1, 23, 50)), "session_id": "s2"},
        {**event("pageview", "b", datetime(2025, 1, 2, 0, 10)), "session_id": "s2"},
        {**event("pageview", "c", datetime(2025, 1, 2, 12)), "session_id": ""},
        event("pageview", "c", datetime(2025, 1, 2, 13)),
    ]
    store.append(raw_batch(rows, P))
    total, sessions = trends(
        store,
        series=[{"event": None, "math": "total"}, {"event": None, "math": "unique_session"}],
        date_from="2025-01-01",
        date_to="2025-01-03",
    )
    assert total["data"] == [3, 3, 0]
    # s2 crosses midnight: it counts on both days; events without a session count on neither.
    assert sessions["data"] == [2, 1, 0]


def test_series_filters_and_all_events(store: EventStore) -> None:
    rows = [
        event("pageview", "a", datetime(2025, 1, 1, 12), plan="pro"),
        event("pageview", "a", datetime(2025, 1, 1, 13)),
        event("signup", "a", datetime(2025, 1, 1, 14), plan="pro"),
    ]
    store.append(raw_batch(rows, P))
    entries = trends(
        store,
        series=[{"filters": [{"property": "plan", "value": "pro"}]}, {"name": "Everything"}],
        date_from="2025-01-01",
        date_to="2025-01-01",
    )
    assert [(e["label"], e["data"]) for e in entries] == [("All events", [2]), ("Everything", [3])]


def test_another_projects_data_changes_nothing(store: EventStore) -> None:
    spec = {
        "series": [
            {"event": "pageview", "math": "dau"},
            {"event": "pageview", "math": "weekly_active"},
        ],
        "breakdown": {"property": "plan"},
        "date_from": "2025-01-01",
        "date_to": "2025-01-07",
    }
    store.append(raw_batch([event("pageview", "a", datetime(2025, 1, 2, 12), plan="pro")], P))
    before = trends(store, **spec)
    other = [
        event("pageview", "a", datetime(2025, 1, 2, 13), plan="team"),
        event("$identify", "b", datetime(2025, 1, 2, 14), **{"$anon_distinct_id": "a"}),
    ]
    store.append(raw_batch(other, P + 1))
    assert trends(store, **spec) == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"formula": "A / C"}, "series C"),
        ({"formula": "A %"}, "unexpected '%'"),
        ({"series": [{"event": "x", "math": "sum"}]}, "needs a math_property"),
        ({"series": [{"event": "x", "math": "weekly_active"}], "interval": "hour"}, "interval"),
        ({"series": []}, "at least 1"),
        ({"interval": "minute"}, "interval"),
        ({"series": [{"event": "x", "math": "mode"}]}, "math"),
    ],
)
def test_invalid_specs_are_rejected(change: dict[str, Any], message: str) -> None:
    spec = {"kind": "TrendsQuery", "series": [{"event": "x"}, {"event": "y"}], **change}
    with pytest.raises(SpecError, match=message):
        parse_spec(spec)


def test_spec_round_trips_through_json() -> None:
    spec = parse_spec(
        {
            "kind": "TrendsQuery",
            "series": [
                {"event": "pageview", "math": "p95", "math_property": "ms", "name": "Latency"}
            ],
            "interval": "week",
            "formula": "A * 2",
            "compare": True,
            "breakdown": {"property": "$browser", "limit": 3},
            "date_from": "-30d",
        }
    )
    assert parse_spec(spec.model_dump(mode="json")) == spec
