"""Issue 5's business templates: stored form, built-in metrics only, snapshot series."""

from __future__ import annotations

import pytest

from heron.dashboards.business_templates import BUSINESS_TEMPLATES, EXECUTIVE
from heron.dashboards.filters import apply_filters, reads_revenue
from heron.dashboards.snapshot_plan import SETTING, snapshot_series, with_snapshots
from heron.dashboards.spec import DashboardFilters, DashboardIn
from heron.dashboards.templates import TEMPLATES
from heron.dashboards.widgets import normalize_widgets
from heron.metrics.builtins import BUILTINS
from heron.metrics.snapshots import DEFAULT_SERIES
from heron.query.properties import PropertyFilter
from heron.query.registry import parse_spec

IDS = (
    "executive",
    "financial",
    "revenue",
    "engagement-kpis",
    "coach-insights",
    "campaign-performance",
    "community",
    "projects",
)


def test_the_business_templates_are_registered_with_the_others() -> None:
    assert tuple(t.id for t in BUSINESS_TEMPLATES) == IDS
    assert all(TEMPLATES[t.id] is t for t in BUSINESS_TEMPLATES)
    assert {"overview", "acquisition", "engagement", "conversion"} <= set(TEMPLATES)


@pytest.mark.parametrize("template", BUSINESS_TEMPLATES, ids=lambda t: t.id)
def test_a_business_template_normalises_unchanged(template) -> None:
    body = template.dashboard()
    assert normalize_widgets(DashboardIn.model_validate(body).widgets) == body["widgets"]


@pytest.mark.parametrize("template", BUSINESS_TEMPLATES, ids=lambda t: t.id)
def test_every_widget_reads_the_metrics_layer(template) -> None:
    for w in template.widgets:
        spec = parse_spec(w["query"])
        assert spec.kind in ("MetricQuery", "RevenueQuery"), w["id"]
        if spec.kind == "MetricQuery":
            assert spec.metric in BUILTINS, (template.id, w["id"])


def test_the_snapshot_series_are_the_plain_snapshottable_metrics() -> None:
    series = snapshot_series(EXECUTIVE)
    names = [s["metric"] for s in series]
    assert {"dau", "wau", "mau", "signups", "gmv", "d7_retention"} <= set(names)
    assert "mrr" not in names  # revenue metrics read the subscription log
    assert len(names) == len(set(names))
    coach = snapshot_series(TEMPLATES["coach-insights"])
    assert "ai_session_satisfaction" not in [s["metric"] for s in coach]  # only broken down


def test_with_snapshots_starts_from_the_defaults_and_adds_only_what_is_missing() -> None:
    first = with_snapshots({"event_map": {"signup": "sign_up"}}, EXECUTIVE)
    assert first is not None
    assert first["event_map"] == {"signup": "sign_up"}
    listed = [(e["metric"], e["interval"]) for e in first[SETTING]]
    assert listed[: len(DEFAULT_SERIES)] == [(m, i) for m, i, _ in DEFAULT_SERIES]
    assert len(listed) == len(set(listed))
    assert with_snapshots(first, EXECUTIVE) is None
    own = {SETTING: [{"metric": "dau", "interval": "week"}]}
    kept = with_snapshots(own, EXECUTIVE)
    assert kept is not None
    assert kept[SETTING][0] == {"metric": "dau", "interval": "week"}
    assert {"metric": "dau", "interval": "day"} in kept[SETTING]


def test_property_filters_skip_revenue_widgets_only() -> None:
    country = PropertyFilter(property="$geoip_country_code", value="FR")
    filters = DashboardFilters(date_from="-90d", properties=[country])
    for query in (
        {"kind": "RevenueQuery", "metrics": ["mrr"]},
        {"kind": "MetricQuery", "metric": "arr", "interval": "month"},
    ):
        assert reads_revenue(query)
        assert apply_filters(query, filters) == {**query, "date_from": "-90d"}
    gmv = {"kind": "MetricQuery", "metric": "gmv"}
    assert not reads_revenue(gmv)
    assert parse_spec(apply_filters(gmv, filters)).filters == [country]
