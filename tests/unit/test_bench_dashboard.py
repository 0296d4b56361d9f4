"""The dashboard suite's pure parts: the 12-widget dashboard, load arithmetic, docs."""

from __future__ import annotations

from bench import harness
from bench.dashboard_report import SECTION, merged_section
from bench.dashboard_spec import (
    WIDGETS,
    Load,
    WidgetFetch,
    dashboard_body,
    median_of,
    slowest_widgets,
    target_mark,
)
from heron.dashboards.filters import accepted, apply_filters
from heron.dashboards.spec import DashboardIn
from heron.dashboards.widgets import normalize_widgets


def test_the_dashboard_has_twelve_valid_widgets() -> None:
    body = DashboardIn.model_validate(dashboard_body())
    stored = normalize_widgets(body.widgets)
    assert len(stored) == WIDGETS
    assert len({w["id"] for w in stored}) == WIDGETS
    types = {w["type"] for w in stored}
    assert {"metric", "line", "bar", "pie", "funnel", "retention", "heatmap", "sankey"} <= types


def test_the_filters_apply_to_every_widget() -> None:
    body = DashboardIn.model_validate(dashboard_body())
    for stored in normalize_widgets(body.widgets):
        applied = apply_filters(stored["query"], body.filters)
        assert accepted(applied)
        if stored["query"]["kind"] != "SQLQuery":
            assert applied["date_from"] == "2025-01-01"
            assert applied["date_to"] == "2025-04-30"


def test_the_widgets_ask_for_the_demo_events() -> None:
    text = str(dashboard_body()["widgets"])
    for event in ("signup", "project_viewed", "funding", "pageview"):
        assert f"'{event}'" in text
    assert "'purchase'" not in text


def test_a_load_sums_and_maxes_its_widgets() -> None:
    load = Load(
        wall_ms=50.0,
        dashboard_ms=2.0,
        fetches=(WidgetFetch("a", 10.0, 12.0, False), WidgetFetch("b", 30.0, 31.0, True)),
    )
    assert load.sum_ms == 40.0
    assert load.max_ms == 30.0
    assert load.cached == 1
    assert load.as_json()["widgets"] == {"a": 10.0, "b": 30.0}


def test_medians_and_slowest_widgets() -> None:
    loads = [
        {"wall_ms": 3.0, "widgets": {"a": 1.0, "b": 5.0}},
        {"wall_ms": 1.0, "widgets": {"a": 3.0, "b": 7.0}},
        {"wall_ms": 2.0, "widgets": {"a": 2.0, "b": 6.0}},
    ]
    assert median_of(loads, "wall_ms") == 2.0
    assert median_of([], "wall_ms") is None
    assert slowest_widgets(loads, top=1) == [("b", 6.0)]


def test_target_marks() -> None:
    assert target_mark(999.0, 1000.0).endswith("✓")
    assert target_mark(1000.0, 1000.0).endswith("✗")
    assert target_mark(None, 150.0).endswith("–")


def test_sizes_keep_their_own_sub_sections() -> None:
    document = "# Benchmarks\n"
    first = harness.replace_section(document, SECTION, merged_section(document, "1M", "one"))
    both = harness.replace_section(first, SECTION, merged_section(first, "10M", "ten"))
    again = harness.replace_section(both, SECTION, merged_section(both, "1M", "uno"))
    assert "one" not in again
    assert "uno" in again and "ten" in again
    assert again.count(harness.section_markers(SECTION)[0]) == 1
