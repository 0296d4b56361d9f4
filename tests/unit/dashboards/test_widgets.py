"""Widget normalisation, the widget library and the templates."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from heron.dashboards.spec import DashboardIn, Widget
from heron.dashboards.templates import TEMPLATES
from heron.dashboards.widget_types import WIDGET_TYPES
from heron.dashboards.widgets import WidgetError, normalize_widgets
from heron.query.registry import parse_spec

TRENDS = {"kind": "TrendsQuery", "series": [{"event": "pageview"}]}


def widget(**fields: Any) -> Widget:
    base: dict[str, Any] = {
        "type": "line",
        "query": TRENDS,
        "position": {"x": 0, "y": 0, "w": 6, "h": 4},
    }
    return Widget.model_validate({**base, **fields})


def test_ids_are_assigned_kept_and_made_unique() -> None:
    ids = (f"n{i}" for i in itertools.count())
    stored = normalize_widgets(
        [widget(id="mine"), widget(), widget(id="mine", position={"x": 6, "y": 0, "w": 6, "h": 4})],
        new_id=lambda: next(ids),
    )
    assert [w["id"] for w in stored] == ["mine", "n0", "n1"]
    assert stored[1]["position"]["y"] == 4  # moved below the first, which it overlapped
    assert stored[0]["click"] == {"action": "filter"} and stored[0]["options"]["live"] is False


@pytest.mark.parametrize(
    ("math", "options", "aggregate"),
    [
        (None, {}, "sum"),
        ("total", {}, "sum"),
        ("dau", {}, "average"),
        ("weekly_active", {}, "last"),
        ("monthly_active", {}, "last"),
        ("dau", {"aggregate": "last"}, "last"),
    ],
)
def test_metric_cards_store_how_they_fold_the_series(
    math: str | None, options: dict[str, Any], aggregate: str
) -> None:
    """Public pages get no query, so the card's fold must be stored (DAU is not a sum)."""
    series = {"event": "pageview"} if math is None else {"event": "pageview", "math": math}
    query = {"kind": "TrendsQuery", "series": [series]}
    (stored,) = normalize_widgets([widget(type="metric", query=query, options=options)])
    assert stored["options"]["aggregate"] == aggregate


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"type": "nope"}, "type"),
        ({"query": None}, "query"),
        ({"query": {"kind": "FunnelsQuery", "steps": [{"event": "a"}, {"event": "b"}]}}, "query"),
        ({"query": {"kind": "TrendsQuery", "series": []}}, "query"),
        ({"type": "markdown"}, "query"),
        ({"options": {"live": "often"}}, "options"),
        ({"type": "metric", "click": {"action": "filter"}}, "click"),
    ],
)
def test_invalid_widgets_name_the_field(fields: dict[str, Any], loc: str) -> None:
    with pytest.raises(WidgetError) as caught:
        normalize_widgets([widget(**fields)])
    assert caught.value.errors[0]["loc"][:3] == ["widgets", 0, loc]


def test_link_clicks_need_a_safe_url() -> None:
    with pytest.raises(ValueError):
        widget(click={"action": "link", "url": "javascript:alert(1)"})
    ok = widget(click={"action": "link", "url": "https://example.com"})
    assert normalize_widgets([ok])[0]["click"]["url"] == "https://example.com"


def test_library_has_every_required_type_with_schemas() -> None:
    required = {
        "metric",
        "line",
        "bar",
        "area",
        "pie",
        "table",
        "funnel",
        "retention",
        "heatmap",
        "sankey",
        "geo",
        "markdown",
    }
    assert required <= set(WIDGET_TYPES) and len(WIDGET_TYPES) >= 12
    for kind in WIDGET_TYPES.values():
        listing = kind.listing()
        assert listing["options"]["type"] == "object" and "live" in listing["options"]["properties"]
        assert listing["clicks"] and set(listing["clicks"]) <= {"filter", "drill", "link"}
        assert set(listing) == {
            "type",
            "label",
            "description",
            "default_size",
            "options",
            "clicks",
            "query_kinds",
        }


def test_templates_are_valid_and_already_normalised() -> None:
    assert set(TEMPLATES) >= {"overview", "acquisition", "engagement", "conversion"}
    for template in TEMPLATES.values():
        body = template.dashboard()
        parsed = DashboardIn.model_validate(body)
        assert normalize_widgets(parsed.widgets) == body["widgets"]
        for w in body["widgets"]:
            if w["query"] is not None:
                parse_spec(w["query"])
    kinds = {w["query"]["kind"] for t in TEMPLATES.values() for w in t.widgets if w["query"]}
    assert {
        "TrendsQuery",
        "FunnelsQuery",
        "RetentionQuery",
        "StickinessQuery",
        "PathsQuery",
        "HeatmapQuery",
    } <= kinds


def test_every_template_widget_runs_under_dashboard_filters(duckdb_store) -> None:
    from heron.analysis.service import ProjectInfo, QueryService
    from heron.dashboards.filters import apply_filters, reads_revenue
    from heron.dashboards.spec import DashboardFilters

    service = QueryService(duckdb_store)
    filters = DashboardFilters(date_from="-7d", compare=True)
    for template in TEMPLATES.values():
        for w in template.widgets:
            # revenue widgets need the metadata database (the integration tests run them)
            if w["query"] is not None and not reads_revenue(w["query"]):
                service.run(ProjectInfo(1), apply_filters(w["query"], filters))
