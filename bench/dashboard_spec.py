"""What the dashboard suite loads: a 12-widget dashboard over the query suite's demo
events, and the pure arithmetic of one timed load (sums, maxima, medians, targets).

The dashboard is the ``overview`` template every project starts with, plus a funnel, a
retention table, a heatmap, a paths sankey and a pie, all on the ``funding`` demo's event
names, under a filter bar spanning the whole data set (its 120 local days).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench import harness
from bench import query_specs as q
from heron.dashboards.templates import OVERVIEW, widget

WIDGETS = 12
COLD_TARGET_MS = 1000.0
CACHED_TARGET_MS = 150.0
BROWSER_CONCURRENCY = 6
"""Chromium's connections per host over HTTP/1.1: how many widgets load at once."""


def extra_widgets() -> list[dict[str, Any]]:
    """The five widgets added below the overview template's seven."""
    funnel_steps = [{"event": step} for step in q.FUNNEL_STEPS]
    return [
        widget(
            "funnel",
            "funnel",
            "Signup → project viewed → funding",
            {
                "kind": "FunnelsQuery",
                "steps": funnel_steps,
                "conversion_window": {"value": q.FUNNEL_WINDOW_DAYS, "unit": "day"},
            },
            (0, 10, 8, 4),
        ),
        widget(
            "browsers",
            "pie",
            "Pageviews by browser",
            {
                "kind": "TrendsQuery",
                "series": [{"event": q.TREND_EVENT, "math": "total"}],
                "interval": "day",
                "breakdown": {"property": q.BREAKDOWN_PROPERTY, "type": "event", "limit": 10},
            },
            (8, 10, 4, 4),
            donut=True,
        ),
        widget(
            "retention",
            "retention",
            "Weekly retention after signup",
            {
                "kind": "RetentionQuery",
                "target_event": q.RETENTION_TARGET,
                "returning_event": q.RETENTION_RETURNING,
                "period": "week",
                "periods": q.RETENTION_PERIODS,
            },
            (0, 14, 8, 5),
        ),
        widget(
            "heatmap",
            "heatmap",
            "Pageviews by weekday and hour",
            {"kind": "HeatmapQuery", "event": q.TREND_EVENT},
            (8, 14, 4, 5),
        ),
        widget(
            "paths",
            "sankey",
            "Paths after signup",
            {"kind": "PathsQuery", "start_event": q.PATHS_START, "step_limit": 4},
            (0, 19, 12, 5),
        ),
    ]


def dashboard_body() -> dict[str, Any]:
    """The ``POST …/dashboards`` body: 12 widgets, filters over the demo's whole range."""
    body = OVERVIEW.dashboard()
    body["name"] = "Benchmark: 12 widgets"
    body["filters"] = {
        "date_from": q.FIRST_DAY.isoformat(),
        "date_to": q.LAST_DAY.isoformat(),
        "properties": [],
        "compare": False,
    }
    body["widgets"] = [*body["widgets"], *extra_widgets()]
    return body


# -- one load -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WidgetFetch:
    """One widget-data answer: the server's own ``timings.total_ms``, the HTTP round trip,
    and whether it came from the result cache."""

    widget_id: str
    server_ms: float
    http_ms: float
    cached: bool


@dataclass(frozen=True, slots=True)
class Load:
    """One whole-dashboard load: GET the dashboard, then every widget, 6 at a time."""

    wall_ms: float
    dashboard_ms: float
    fetches: tuple[WidgetFetch, ...]

    @property
    def sum_ms(self) -> float:
        return sum(f.server_ms for f in self.fetches)

    @property
    def max_ms(self) -> float:
        return max((f.server_ms for f in self.fetches), default=0.0)

    @property
    def cached(self) -> int:
        """How many widgets the result cache answered."""
        return sum(f.cached for f in self.fetches)

    def as_json(self) -> dict[str, Any]:
        return {
            "wall_ms": self.wall_ms,
            "dashboard_ms": self.dashboard_ms,
            "sum_ms": self.sum_ms,
            "max_ms": self.max_ms,
            "cached": self.cached,
            "widgets": {f.widget_id: f.server_ms for f in self.fetches},
        }


def median_of(loads: list[dict[str, Any]], key: str) -> float | None:
    """The median of one number over a list of loads (as saved), None when there are none."""
    values = [float(load[key]) for load in loads]
    return harness.median(values) if values else None


def slowest_widgets(loads: list[dict[str, Any]], top: int = 3) -> list[tuple[str, float]]:
    """The widgets with the highest median server time over the loads, slowest first."""
    ids = {wid for load in loads for wid in load["widgets"]}
    medians = {
        wid: harness.median([load["widgets"][wid] for load in loads if wid in load["widgets"]])
        for wid in ids
    }
    return sorted(medians.items(), key=lambda item: (-item[1], item[0]))[:top]


def target_mark(value_ms: float | None, limit_ms: float) -> str:
    """``< 1,000 ms ✓`` when under the target, ``✗`` otherwise, ``–`` without a value."""
    mark = "–" if value_ms is None else ("✓" if value_ms < limit_ms else "✗")
    return f"< {harness.fmt_ms(limit_ms)} {mark}"
