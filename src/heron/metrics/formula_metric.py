"""Formula metrics: series of events (with filters and a math) combined by a formula.

Built-in rates (open rate, stickiness, …) and every custom metric are formula metrics.
They compile to a ``TrendsQuery`` of the mapped events, so they share its SQL, its
time-zone bucketing, breakdowns, cohorts and cache. Formulas use the safe parser of
:mod:`heron.analysis.formula` (letters name series; division by zero gives 0).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from heron.analysis import formula as formulas
from heron.analysis import trends
from heron.metrics.events import ACTIVE_PATTERN, EventNames
from heron.query.dates import Interval
from heron.query.properties import PropertyFilter
from heron.query.runner import Runner

Unit = Literal["count", "ratio", "seconds", "minutes", "amount", "score"]


class MetricSeries(BaseModel):
    """One series: events by conventional name (``None`` = every event), a math, filters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event: str | None = Field(default=None, min_length=1, max_length=200)
    events: list[str] | None = Field(default=None, min_length=1, max_length=20)
    math: trends.Math = "total"
    math_property: str | None = Field(default=None, min_length=1, max_length=400)
    filters: list[PropertyFilter] = Field(default_factory=list)
    active_only: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> MetricSeries:
        if self.event is not None and self.events is not None:
            raise ValueError("give either event or events, not both")
        if self.math in trends.PROPERTY_MATHS and self.math_property is None:
            raise ValueError(f"math {self.math!r} needs a math_property")
        return self


class FormulaMetric(BaseModel):
    """A metric as series and a formula: the shape of built-in rates and custom metrics."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    series: list[MetricSeries] = Field(min_length=1, max_length=26)
    formula: str | None = Field(default=None, max_length=formulas.MAX_LENGTH)
    interval: Interval = "day"
    filters: list[PropertyFilter] = Field(default_factory=list)
    description: str = Field(default="", max_length=2000)
    unit: Unit = "count"

    @model_validator(mode="after")
    def _formula(self) -> FormulaMetric:
        if self.formula is None:
            if len(self.series) > 1:
                raise ValueError("a metric with several series needs a formula combining them")
            return self
        try:
            used = formulas.references(formulas.parse(self.formula))
        except formulas.FormulaError as exc:
            raise ValueError(f"formula: {exc}") from None
        missing = sorted(i for i in used if i >= len(self.series))
        if missing:
            letters = ", ".join(chr(ord("A") + i) for i in missing)
            raise ValueError(
                f"formula refers to series {letters}, but the metric has only "
                f"{len(self.series)} series (A–{chr(ord('A') + len(self.series) - 1)})"
            )
        return self


def _series(series: MetricSeries, names: EventNames, index: int) -> dict[str, Any]:
    filters = [f.model_dump() for f in series.filters]
    wanted = [series.event] if series.event is not None else series.events
    event: str | None = None
    if wanted is not None:
        mapped = [n for w in wanted for n in names.names(w)]
        if len(mapped) == 1:
            event = mapped[0]
        else:
            filters.append({"property": "event", "operator": "in", "value": mapped})
    if series.active_only:
        filters.append({"property": "event", "operator": "regex", "value": ACTIVE_PATTERN})
    out: dict[str, Any] = {
        "event": event,
        "math": series.math,
        "filters": filters,
        "name": f"s{index}",
    }
    if series.math_property is not None:
        out["math_property"] = series.math_property
    return out


def trends_spec(
    metric: FormulaMetric, names: EventNames, common: dict[str, Any], interval: Interval
) -> trends.TrendsQuery:
    """The ``TrendsQuery`` computing a formula metric (``common``: dates, filters, …)."""
    filters = [*(f.model_dump() for f in metric.filters), *common.get("filters", [])]
    return trends.TrendsQuery.model_validate(
        {
            **common,
            "kind": "TrendsQuery",
            "filters": filters,
            "interval": interval,
            "series": [_series(s, names, i) for i, s in enumerate(metric.series)],
            "formula": metric.formula if len(metric.series) > 1 or metric.formula else None,
        }
    )


def run_formula(
    runner: Runner,
    metric: FormulaMetric,
    names: EventNames,
    common: dict[str, Any],
    interval: Interval,
) -> tuple[list[str], dict[Any, list[float]]]:
    """Labels and breakdown value (``None`` without breakdown) → values."""
    entries = trends.run(trends_spec(metric, names, common, interval), runner)
    wanted = "s0" if metric.formula is None else None
    labels: list[str] = []
    out: dict[Any, list[float]] = {}
    for entry in entries:
        is_formula = entry["label"].startswith("Formula (")
        if (wanted is None) != is_formula or (wanted is not None and entry["label"] != wanted):
            continue
        labels = entry["labels"]
        out[entry["breakdown_value"]] = entry["data"]
    if not labels and entries:
        labels = entries[0]["labels"]
        out.setdefault(None, [0.0] * len(labels))
    return labels, out
