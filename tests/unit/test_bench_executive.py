"""The executive suite's pure parts: widget specs, answer sources, tables, peer SQL."""

from __future__ import annotations

from datetime import datetime

from bench import harness
from bench.executive import executive_specs, source_of
from bench.executive_peer import daily_dau, statements
from bench.executive_report import render


def test_every_widget_runs_under_the_templates_thirty_days() -> None:
    specs = executive_specs()
    assert len(specs) >= 10
    assert all(spec["date_from"] == "-30d" for _, spec in specs)


def test_the_source_of_an_answer() -> None:
    assert source_of({"cached": True, "results": {"source": "snapshot"}}) == "cached"
    assert source_of({"cached": False, "results": {"source": "snapshot"}}) == "snapshot"
    assert source_of({"cached": False, "results": {"labels": []}}) == "live"
    assert source_of({"cached": False, "results": [{"source": "live"}]}) == "live"


def load(ms: float, live: int, snapshot: int, cached: int) -> dict:
    sources = {"live": live, "snapshot": snapshot, "cached": cached}
    widgets = {"dau": ms / 2}
    return {"wall_ms": ms, "sum_ms": ms, "max_ms": ms / 2, "widgets": widgets, "sources": sources}


def test_the_tables_render_with_targets_and_ratios() -> None:
    run = {
        "events": 1_000_000,
        "runs": 2,
        "load_before": "0.1, 0.1, 0.1",
        "load_after": "0.2, 0.2, 0.2",
        "store": "reused",
        "widgets": ["dau", "wau"],
        "refresh_seconds": 1.5,
        "refresh_again_seconds": 0.05,
        "loads": {
            "first": [load(600, 2, 0, 0)],
            "cold": [load(400, 2, 0, 0), load(420, 2, 0, 0)],
            "snapshots": [load(30, 0, 2, 0), load(40, 0, 2, 0)],
            "cached": [load(5, 0, 0, 2), load(6, 0, 0, 2)],
        },
        "peer": {"statements": {"DAU": 100.0, "WAU": 100.0}, "dau_agrees": True},
    }
    tables = render(run, "python -m bench executive --size 1m")
    text = "\n".join(harness.to_markdown(t) for t in tables)
    assert "< 500 ms ✗" in text  # the first load
    assert "< 500 ms ✓" in text
    assert "< 50 ms ✓" in text
    assert "2.05×" in text  # cold 410 ms ÷ peer 200 ms
    assert "are equal" in text
    assert "one after the other" in text
    assert "6 at a time" in harness.to_markdown(render({**run, "concurrency": 6}, "c")[1])


def test_the_peer_statements_are_scoped_to_the_project_and_range() -> None:
    sql = statements(
        7,
        "Europe/Berlin",
        datetime(2025, 3, 31, 22),
        datetime(2025, 5, 1, 22),
        "2025-04-01",
        "2025-05-01",
    )
    assert set(sql) == {"DAU, signups, GMV, fees", "WAU, MAU", "D1, D7 retention"}
    assert all("e.project_id = 7" in s for s in sql.values())
    assert daily_dau([{"day": "2025-04-01", "dau": 3}]) == {"2025-04-01": 3.0}
