"""``MetricQuery``: any built-in metric of METRICS.md, or one of the project's own, by name.

Result without a breakdown: ``{"metric", "unit", "labels", "series": {metric: [numbers]}}``;
with one, a list of those, each with its ``breakdown_value``. Amounts are minor units
of the project currency; ratios are fractions (0–1). ``forecast=N`` (no breakdown, day,
week or month interval) adds ``"forecast": {"labels", "data", "lower", "upper", "method"}``
for the next ``N`` intervals (:mod:`heron.metrics.forecast`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from heron.analysis.intervals import Buckets
from heron.metrics import snapshots
from heron.metrics.builtins import BUILTINS, Builtin
from heron.metrics.computed import MetricRun, Values
from heron.metrics.forecast import linear_forecast
from heron.metrics.formula_metric import FormulaMetric, Unit, run_formula
from heron.metrics.settings import EXTENSION, MetricSettings
from heron.query import dates
from heron.query.dates import Interval
from heron.query.registry import QuerySpec, SpecError, register
from heron.query.runner import Runner
from heron.revenue.query import revenue_series

MAX_FORECAST = 36


class MetricQuery(QuerySpec):
    kind: Literal["MetricQuery"] = "MetricQuery"
    metric: str = Field(min_length=1, max_length=100)
    interval: Interval | None = None
    forecast: int = Field(default=0, ge=0, le=MAX_FORECAST)
    """Intervals to project after the range on the series' linear trend (0: none)."""

    @model_validator(mode="after")
    def _forecastable(self) -> MetricQuery:
        if self.forecast and self.breakdown is not None:
            raise ValueError("a forecast needs a metric without breakdown")
        if self.forecast and self.interval == "hour":
            raise ValueError("a forecast needs a day, week or month interval")
        return self


def _unknown(name: str, settings: MetricSettings) -> SpecError:
    own = ", ".join(sorted(settings.saved)) or "none"
    return SpecError(
        [
            {
                "loc": ["metric"],
                "msg": f"unknown metric {name!r}; built-in: {', '.join(sorted(BUILTINS))}; "
                f"this project's: {own}",
                "type": "value_error",
            }
        ]
    )


def _custom(name: str, definition: dict[str, Any]) -> FormulaMetric:
    try:
        return FormulaMetric.model_validate(definition)
    except ValidationError as exc:
        raise SpecError(
            [
                {
                    "loc": ["metric"],
                    "msg": f"saved metric {name!r} is invalid: {exc}",
                    "type": "value_error",
                }
            ]
        ) from None


def _definition(
    spec: MetricQuery, settings: MetricSettings
) -> tuple[Builtin | None, FormulaMetric | None]:
    """The built-in metric, and the formula the metric is (a built-in's or a saved one)."""
    builtin = BUILTINS.get(spec.metric)
    if builtin is not None:
        return builtin, builtin.formula
    if spec.metric not in settings.saved:
        raise _unknown(spec.metric, settings)
    return None, _custom(spec.metric, settings.saved[spec.metric])


def _interval(
    spec: MetricQuery, builtin: Builtin | None, formula: FormulaMetric | None
) -> Interval:
    """The interval the metric runs at: the spec's, else the formula's own, ``month`` for
    revenue metrics, ``day`` for the rest."""
    if spec.interval is not None:
        return spec.interval
    if formula is not None:
        return formula.interval
    return "month" if builtin is not None and builtin.revenue is not None else "day"


def compute(spec: MetricQuery, runner: Runner) -> tuple[Unit, list[str], dict[Any, list[float]]]:
    """The metric's unit, labels and values by breakdown value (``None`` without one)."""
    ctx = runner.ctx
    settings: MetricSettings = ctx.extensions.get(EXTENSION) or MetricSettings()
    builtin, formula = _definition(spec, settings)
    interval = _interval(spec, builtin, formula)
    if formula is not None:
        common = spec.model_dump(
            mode="json", include={"date_from", "date_to", "filters", "breakdown", "cohort"}
        )
        labels, values = run_formula(runner, formula, settings.names, common, interval)
        return formula.unit, labels, values
    assert builtin is not None
    if builtin.revenue is not None:
        if spec.breakdown is not None or spec.filters or spec.cohort is not None:
            raise ValueError(
                f"revenue metric {spec.metric!r} takes no filters, breakdown or cohort"
            )
        if interval == "hour":
            raise ValueError("revenue metrics need a day, week or month interval")
        labels, series = revenue_series(
            ctx, [builtin.revenue], interval, spec.date_from, spec.date_to
        )
        return builtin.unit, labels, {None: series[builtin.revenue]}
    assert builtin.compute is not None
    buckets = Buckets.build(ctx, ctx.time_range(spec.date_from, spec.date_to), interval)
    run = MetricRun(
        runner,
        buckets,
        settings.names,
        list(spec.filters),
        spec.breakdown,
        spec.cohort,
        settings.options,
    )
    return builtin.unit, list(buckets.labels), builtin.compute(run)


def from_snapshots(spec: MetricQuery, runner: Runner) -> tuple[Unit, list[str], Values] | None:
    """The answer from fresh snapshots, when they hold exactly it (see :mod:`.snapshots`)."""
    ctx = runner.ctx
    reader = ctx.extensions.get(snapshots.EXTENSION)
    builtin = BUILTINS.get(spec.metric)
    breakdown = spec.breakdown
    if reader is None or builtin is None or spec.filters or spec.cohort is not None:
        return None
    if breakdown is not None and breakdown.type != "event":
        return None
    interval = _interval(spec, builtin, builtin.formula)
    key = snapshots.SeriesKey(spec.metric, interval, breakdown.property if breakdown else "")
    if snapshots.snapshottable(key) is not None:
        return None
    buckets = Buckets.build(ctx, ctx.time_range(spec.date_from, spec.date_to), interval)
    values = reader.read(key, buckets, buckets.rng, runner.store.data_version(ctx.project_id))
    return None if values is None else (builtin.unit, list(buckets.labels), values)


@register(MetricQuery)
def run(spec: MetricQuery, runner: Runner) -> dict[str, Any] | list[dict[str, Any]]:
    snapshot = from_snapshots(spec, runner)
    unit, labels, values = snapshot or compute(spec, runner)
    source = "snapshot" if snapshot else "live"

    def entry(data: list[float]) -> dict[str, Any]:
        return {
            "metric": spec.metric,
            "unit": unit,
            "labels": labels,
            "series": {spec.metric: data},
            "source": source,
        }

    if spec.breakdown is None:
        answer = entry(values.get(None, [0.0] * len(labels)))
        if spec.forecast and labels:
            answer["forecast"] = _forecast(spec, runner, labels, answer["series"][spec.metric])
        return answer
    return [{**entry(data), "breakdown_value": value} for value, data in values.items()]


def _forecast(
    spec: MetricQuery, runner: Runner, labels: list[str], data: list[float]
) -> dict[str, Any]:
    """The next ``spec.forecast`` intervals after ``labels`` on the series' linear trend."""
    settings: MetricSettings = runner.ctx.extensions.get(EXTENSION) or MetricSettings()
    interval = _interval(spec, *_definition(spec, settings))
    moment = datetime.fromisoformat(labels[-1])
    future = []
    for _ in range(spec.forecast):
        moment = dates.step(moment, interval)
        future.append(moment.date().isoformat())
    projected = linear_forecast([float(v) for v in data], spec.forecast)
    return {
        "labels": future,
        "data": projected.data,
        "lower": projected.lower,
        "upper": projected.upper,
        "method": projected.method,
    }
