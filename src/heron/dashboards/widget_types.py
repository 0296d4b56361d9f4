"""The widget library: every widget type with its options schema and click behaviours.

A registry, not an if-chain: the API lists it (``GET /api/widget-types``), dashboards
are validated against it, and the data endpoint asks it how to run a widget's query.
"""

from __future__ import annotations

import builtins
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from heron.dashboards.spec import ClickAction

METRIC_KINDS = ("MetricQuery", "RevenueQuery")
"""The metrics layer's kinds (:mod:`heron.metrics`): series by interval, like a trend."""
TREND_KINDS = ("TrendsQuery", *METRIC_KINDS)
TABLE_KINDS = (
    "TrendsQuery",
    "FunnelsQuery",
    "RetentionQuery",
    "StickinessQuery",
    "LifecycleQuery",
    "PathsQuery",
    "HeatmapQuery",
    "SQLQuery",
    *METRIC_KINDS,
)
ColorScale = Literal["blue", "green", "purple", "orange", "diverging"]
NumberFormat = Literal["number", "percent", "currency", "duration"]
Aggregate = Literal["sum", "last", "average"]


class WidgetOptions(BaseModel):
    """Options every widget takes; unknown keys are kept for the front end."""

    model_config = ConfigDict(extra="allow")

    live: bool = Field(default=False, description="Refetch when new events arrive (SSE).")


class MetricOptions(WidgetOptions):
    format: NumberFormat = "number"
    sparkline: bool = True
    compare: bool = Field(default=True, description="Show the change vs the previous period.")
    prefix: str = Field(default="", max_length=10)
    suffix: str = Field(default="", max_length=10)
    aggregate: Aggregate | None = Field(
        default=None,
        description="How the card folds the series into one number; stored widgets always "
        "carry it (derived from the query's math when not given).",
    )


def default_aggregate(query: dict[str, Any] | None) -> Aggregate:
    """Counts add up over a range; active-user counts do not (the last window, or the mean)."""
    series = (query or {}).get("series") or [{}]
    math = series[0].get("math") if isinstance(series[0], dict) else None
    if math in ("weekly_active", "monthly_active"):
        return "last"
    if math is None or math in ("total", "sum", "unique_session"):
        return "sum"
    return "average"


class ChartOptions(WidgetOptions):
    legend: bool = True
    y_axis_label: str = Field(default="", max_length=100)


class LineOptions(ChartOptions):
    smooth: bool = False


class BarOptions(ChartOptions):
    stacked: bool = False
    horizontal: bool = False


class AreaOptions(ChartOptions):
    stacked: bool = True
    percent: bool = False


class PieOptions(WidgetOptions):
    donut: bool = False
    show_percent: bool = True
    max_slices: int = Field(default=8, ge=2, le=50)


class TableOptions(WidgetOptions):
    page_size: int = Field(default=25, ge=5, le=500)


class FunnelOptions(WidgetOptions):
    orientation: Literal["horizontal", "vertical"] = "horizontal"
    show_time_to_convert: bool = False


class ScaleOptions(WidgetOptions):
    color_scale: ColorScale = "blue"
    show_values: bool = True


class SankeyOptions(WidgetOptions):
    max_nodes: int = Field(default=30, ge=2, le=200)


class MarkdownOptions(WidgetOptions):
    text: str = Field(default="", max_length=20_000, description="Markdown; HTML is escaped.")


class WidgetType(BaseModel):
    """One entry of the library."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    type: str
    label: str
    description: str
    default_size: dict[str, int]
    options_model: builtins.type[WidgetOptions] = Field(exclude=True)
    clicks: tuple[ClickAction, ...]
    query_kinds: tuple[str, ...]
    compare_always: bool = Field(default=False, exclude=True)

    def listing(self) -> dict[str, Any]:
        """The JSON of ``GET /api/widget-types``."""
        return {
            **self.model_dump(mode="json"),
            "options": self.options_model.model_json_schema(),
        }


def _type(
    type_: str,
    label: str,
    description: str,
    size: tuple[int, int],
    options: type[WidgetOptions],
    clicks: tuple[ClickAction, ...],
    kinds: tuple[str, ...],
    *,
    compare_always: bool = False,
) -> WidgetType:
    return WidgetType(
        type=type_,
        label=label,
        description=description,
        default_size={"w": size[0], "h": size[1]},
        options_model=options,
        clicks=clicks,
        query_kinds=kinds,
        compare_always=compare_always,
    )


WIDGET_TYPES: dict[str, WidgetType] = {
    t.type: t
    for t in (
        _type(
            "metric",
            "Metric",
            "One number with a sparkline and its change vs the previous period.",
            (3, 2),
            MetricOptions,
            ("drill", "link"),
            TREND_KINDS,
            compare_always=True,
        ),
        _type(
            "line",
            "Line chart",
            "Series over time.",
            (6, 4),
            LineOptions,
            ("filter", "drill", "link"),
            ("TrendsQuery", "LifecycleQuery", "SQLQuery", *METRIC_KINDS),
        ),
        _type(
            "bar",
            "Bar chart",
            "Series over time or by breakdown value, grouped or stacked.",
            (6, 4),
            BarOptions,
            ("filter", "drill", "link"),
            ("TrendsQuery", "StickinessQuery", "LifecycleQuery", "SQLQuery", *METRIC_KINDS),
        ),
        _type(
            "area",
            "Stacked area",
            "Series over time, stacked (optionally as percentages).",
            (6, 4),
            AreaOptions,
            ("filter", "drill", "link"),
            ("TrendsQuery", "LifecycleQuery", *METRIC_KINDS),
        ),
        _type(
            "pie",
            "Pie / donut",
            "Shares of a total by breakdown value.",
            (4, 4),
            PieOptions,
            ("filter", "drill", "link"),
            ("TrendsQuery", "MetricQuery"),
        ),
        _type(
            "table",
            "Table",
            "Any query result as a table.",
            (6, 4),
            TableOptions,
            ("filter", "drill", "link"),
            TABLE_KINDS,
        ),
        _type(
            "funnel",
            "Funnel",
            "Conversion through ordered steps.",
            (6, 4),
            FunnelOptions,
            ("drill", "link"),
            ("FunnelsQuery",),
        ),
        _type(
            "retention",
            "Retention matrix",
            "Cohorts by period, with the share that came back.",
            (6, 5),
            ScaleOptions,
            ("drill", "link"),
            ("RetentionQuery",),
        ),
        _type(
            "heatmap",
            "Heatmap",
            "Counts by local weekday × hour of day.",
            (6, 4),
            ScaleOptions,
            ("drill", "link"),
            ("HeatmapQuery", "MetricQuery"),
        ),
        _type(
            "sankey",
            "Sankey paths",
            "The paths persons take between events.",
            (12, 5),
            SankeyOptions,
            ("drill", "link"),
            ("PathsQuery",),
        ),
        _type(
            "geo",
            "Map by country",
            "A world map shaded by a breakdown on a country code property.",
            (6, 4),
            ScaleOptions,
            ("filter", "drill", "link"),
            ("TrendsQuery", "MetricQuery"),
        ),
        _type(
            "stickiness",
            "Stickiness",
            "Persons by number of active days.",
            (6, 4),
            BarOptions,
            ("drill", "link"),
            ("StickinessQuery",),
        ),
        _type(
            "markdown",
            "Text",
            "Markdown text: headings, notes, links.",
            (4, 2),
            MarkdownOptions,
            ("link",),
            (),
        ),
    )
}
