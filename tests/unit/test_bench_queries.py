"""The query benchmark's pure helpers: sizes, views, comparisons, the pandas peer's
answers on tiny frames, and the report (no timing is asserted anywhere)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import pytest

from bench import query_peers as peers
from bench import query_specs as q
from bench.queries import latency_cell, marks_cell, render, target_cell


def test_sizes_parse_and_label() -> None:
    assert q.parse_sizes("1m,10m") == [1_000_000, 10_000_000]
    assert q.parse_sizes(" 100k , 100M ") == [100_000, 100_000_000]
    assert q.parse_sizes("2500") == [2500]
    for bad in ("", "x", "0m", "1.5m"):
        with pytest.raises(ValueError):
            q.parse_sizes(bad)
    assert [q.size_label(n) for n in (1_000_000, 10_000_000, 100_000, 2500)] == [
        "1M",
        "10M",
        "100k",
        "2500",
    ]


def test_insights_name_their_modules_and_peers() -> None:
    modules = {i.key: i.module for i in q.INSIGHTS}
    assert modules["trend"] == "heron.analysis.trends"
    assert modules["retention"] == "heron.analysis.retention"
    assert modules["sql"] == "heron.query.sql"
    assert {i.peer for i in q.INSIGHTS} == {None, *peers.QUESTIONS}
    assert len({i.key for i in q.INSIGHTS}) == len(q.INSIGHTS)


def test_trend_views_zero_fill_every_day() -> None:
    labels = q.day_labels(date(2025, 3, 29), date(2025, 3, 31))
    assert labels == ["2025-03-29", "2025-03-30", "2025-03-31"]
    assert q.trend_view({"2025-03-30": (5, 2)}, labels) == (
        ("2025-03-29", 0, 0),
        ("2025-03-30", 5, 2),
        ("2025-03-31", 0, 0),
    )
    heron = [
        {"labels": labels, "data": [1, 0, 3]},
        {"labels": labels, "data": [1, 0, 2]},
    ]
    assert q.heron_trend(heron) == (
        ("2025-03-29", 1, 1),
        ("2025-03-30", 0, 0),
        ("2025-03-31", 3, 2),
    )
    assert len(q.day_labels()) == 120


def test_retention_omits_weeks_that_have_not_begun() -> None:
    now = datetime(2025, 5, 1, 12, tzinfo=UTC)  # a Thursday
    assert q.retention_periods(date(2025, 4, 28), now) == 1
    assert q.retention_periods(date(2025, 4, 21), now) == 2
    assert q.retention_periods(date(2025, 1, 6), now) == 1 + q.RETENTION_PERIODS
    view = q.retention_view(
        {date(2025, 4, 28): 3, date(2025, 4, 21): 4},
        {(date(2025, 4, 21), 1): 2, (date(2025, 4, 28), 1): 9},
        now,
    )
    assert view == (("2025-04-21", (4, 2)), ("2025-04-28", (3,)))
    heron = {"cohorts": [{"cohort_start": "2025-04-21", "size": 4, "values": [4, 2]}]}
    assert q.heron_retention(heron) == (("2025-04-21", (4, 2)),)


def test_canonical_results_and_their_first_difference() -> None:
    a = {"steps": [{"count": 3, "rate": 1 / 3}], "when": date(2025, 1, 1)}
    b = {"when": "2025-01-01", "steps": [{"rate": 0.3333333333, "count": 3.0}]}
    assert q.canonical(a) == q.canonical(b)
    assert q.first_difference(q.canonical(a), q.canonical(b)) is None
    sql_a = {"columns": ["e", "n"], "types": ["int64"], "rows": [["x", 1], ["y", 1]]}
    sql_b = {"columns": ["e", "n"], "types": ["uint64"], "rows": [["y", 1], ["x", 1]]}
    assert q.canonical(sql_a) == q.canonical(sql_b)
    assert q.first_difference([1, 2], [1, 3]) == "[1]: 2 vs 3"
    assert q.first_difference([1], [1, 2]) == "result: 1 vs 2 items"
    assert q.first_difference({"a": 1}, {"a": 1, "b": 2}) == ".b: None vs 2"


def test_checks_compare_heron_backends_and_peers() -> None:
    trend = next(i for i in q.INSIGHTS if i.key == "trend")
    labels = q.day_labels()
    heron = [{"labels": labels, "data": [1] * 120}, {"labels": labels, "data": [1] * 120}]
    same = q.trend_view({day: (1, 1) for day in labels})
    other = q.trend_view({labels[0]: (2, 1)})
    marks = q.checks(trend, {"duckdb": heron, "chdb": heron, "native": same, "pandas": other})
    assert {k: m["same"] for k, m in marks.items()} == {
        "chdb": True,
        "native": True,
        "pandas": False,
    }
    assert marks["pandas"]["difference"].startswith("[0][1]")
    assert marks_cell(marks) == "chdb ✓ · native ✓ · pandas ✗"
    retention = next(i for i in q.INSIGHTS if i.key == "retention")
    view = (("2025-01-06", (3, 1)),)
    without_heron = q.checks(retention, {"native": view, "pandas": view, "postgres": ()})
    assert marks_cell(without_heron) == "vs native: pandas ✓ · postgres ✗"
    unreadable = q.checks(trend, {"duckdb": {"unexpected": 1}, "native": same})
    assert not unreadable["native"]["same"]


def test_timed_keeps_the_first_result_and_catches_errors() -> None:
    calls: list[int] = []

    def work() -> int:
        calls.append(1)
        return len(calls)

    timing, result = q.timed(work, warmups=1, runs=3)
    assert result == 1 and len(calls) == 4 and len(timing["seconds"]) == 3
    assert timing["error"] is None and q.median_ms(timing) is not None

    def fail() -> None:
        raise RuntimeError("no such table")

    timing, result = q.timed(fail, warmups=1, runs=3)
    assert result is None and timing == {"seconds": [], "error": "RuntimeError: no such table"}
    assert q.median_ms(timing) is None


def _rows(*rows: tuple[int, str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person": [p for p, _, _ in rows],
            "event": pd.Categorical([e for _, e, _ in rows]),
            "ts": pd.to_datetime([t for _, _, t in rows], format="ISO8601"),
        }
    )


def _funnel(frame: pd.DataFrame, days: int = 14) -> tuple[int, ...]:
    steps = [frame.loc[frame["event"] == e, ["person", "ts"]] for e in ("a", "b", "c")]
    return peers.funnel_counts(steps, pd.Timedelta(days=days))


def test_pandas_funnel_follows_window_funnel_semantics() -> None:
    frame = _rows(
        # 1: ties count, in step order
        (1, "a", "2025-01-01 10:00"),
        (1, "b", "2025-01-01 10:00"),
        (1, "c", "2025-01-01 10:00"),
        # 2: the window is inclusive, measured from the chain's start
        (2, "a", "2025-01-01 00:00"),
        (2, "b", "2025-01-10 00:00"),
        (2, "c", "2025-01-15 00:00"),
        # 3: c is too late for the first chain, a later start reaches it
        (3, "a", "2025-01-01 00:00"),
        (3, "b", "2025-01-02 00:00"),
        (3, "a", "2025-01-20 00:00"),
        (3, "c", "2025-01-21 00:00"),
        (3, "b", "2025-01-20 12:00"),
        # 4: steps out of order never convert
        (4, "c", "2025-01-01 00:00"),
        (4, "b", "2025-01-02 00:00"),
        (4, "a", "2025-01-03 00:00"),
        # 5: one microsecond past the window
        (5, "a", "2025-01-01 00:00:00"),
        (5, "b", "2025-01-15 00:00:00.000001"),
    )
    assert _funnel(frame) == (5, 3, 3)
    assert _funnel(frame, days=1) == (5, 2, 2)


def test_pandas_retention_counts_cohorts_by_local_week() -> None:
    target = _rows(
        (1, "signup", "2025-01-06 08:00"),
        (1, "signup", "2025-02-03 08:00"),  # only the first counts
        (2, "signup", "2025-01-12 23:30"),  # Monday 13th in Berlin: the next cohort
        (3, "signup", "2025-01-01 09:00"),  # before the first cohort: not counted
    )[["person", "ts"]]
    returning = _rows(
        (1, "pageview", "2025-01-14 08:00"),
        (1, "pageview", "2025-01-15 08:00"),
        (1, "pageview", "2025-01-27 08:00"),
        (2, "pageview", "2025-01-20 08:00"),
        (3, "pageview", "2025-01-14 08:00"),
    )[["person", "ts"]]
    view = peers.retention_matrix(target, returning)
    assert view == (
        ("2025-01-06", (1, 1, 0, 1, 0, 0, 0, 0, 0)),
        ("2025-01-13", (1, 1, 0, 0, 0, 0, 0, 0, 0)),
    )


def test_local_days_follow_the_project_timezone() -> None:
    ts = pd.Series(pd.to_datetime(["2025-03-29 23:30", "2025-03-30 22:30", "2025-01-05 23:30"]))
    assert [d.isoformat()[:10] for d in peers.local_days(ts)] == [
        "2025-03-30",
        "2025-03-31",
        "2025-01-06",
    ]
    assert peers.local_weeks(ts).dt.dayofweek.tolist() == [0, 0, 0]
    lo, hi = peers.utc_bounds()
    assert (lo, hi) == (datetime(2024, 12, 31, 23), datetime(2025, 4, 30, 22))


def _size(**timings: dict[str, Any]) -> dict[str, Any]:
    keys = [i.key for i in q.INSIGHTS]
    return {
        "events": 10_000_000,
        "rows": 9_999_000,
        "loads": {"duckdb": {"rows": 9_999_000, "reused": True}, "chdb": {"error": "exit 1"}},
        "timings": {k: timings.get(k, {}) for k in keys},
        "checks": {k: {} for k in keys},
        "rss_heron": 2**30,
        "rss_end": 2**31,
        "notes": [],
    }


def test_report_cells_and_tables() -> None:
    assert latency_cell(None, 5) == "–"
    assert latency_cell({"seconds": [], "error": None, "skipped": "n/a"}, 5) == "n/a"
    assert latency_cell({"seconds": [], "error": "boom"}, 5) == "error"
    assert latency_cell({"seconds": [0.25], "error": None}, 5) == "250 ms (1 run)"
    assert target_cell({"duckdb": 120.0, "chdb": 450.0}, 300.0) == "duckdb ✓ chdb ✗"
    assert target_cell({"duckdb": None}, 300.0) == "–"
    assert target_cell({"duckdb": 120.0}, None) == "–"
    fast = {"seconds": [0.1, 0.2, 0.3], "error": None}
    slow = {"seconds": [0.4, 0.4, 0.4], "error": None}
    size = _size(funnel={"duckdb": slow, "chdb": fast, "native": fast, "pandas": slow})
    run = {"config": {"runs": 3}, "load_before": "1", "load_after": "2", "sizes": [size]}
    summary, table = render(run, "python -m bench queries")
    assert summary.rows[-2][1] == "`python -m bench queries`"
    funnel = next(r for r in table.rows if str(r[0]).startswith("funnel"))
    assert funnel[1:9] == ["400 ms", "200 ms", "200 ms", "400 ms", "–", "2.00×", "1.00×", "–"]
    assert funnel[9:] == ["duckdb ✗ chdb ✓", "duckdb ✗ chdb ✓"]
    assert any("slowest Heron insight: funnel" in note for note in table.notes)
    assert any(note == "chdb store: exit 1" for note in table.notes)
    assert table.columns[9] == "≤ 300 ms"
    _, small = render({**run, "sizes": [{**size, "events": 1_000_000}]}, "x")
    assert small.columns[9] == "latency target" and small.rows[0][9] == "–"
    failed = {"events": 1_000_000, "rows": 1, "loads": {}, "error": "worker exited with 1"}
    _, broken = render({**run, "sizes": [failed]}, "x")
    assert broken.rows == [] and "worker exited with 1" in broken.notes[0]
