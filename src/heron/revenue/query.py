"""``RevenueQuery``: MRR and its movements, ARR, ARPU, churn, NRR and cohort LTV.

Result: ``{"labels": [interval starts], "series": {metric: [numbers]}, "currency": code}``
plus ``"ltv_cohorts"`` (see :func:`heron.revenue.ltv.cohort_ltv`) when ``ltv`` is asked.
Amounts are minor units of the project currency.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, timedelta
from typing import Any, Literal

from pydantic import Field

from heron.query import dates
from heron.query.context import QueryContext
from heron.query.registry import QuerySpec, register
from heron.query.runner import Runner
from heron.revenue.currency import MissingRate
from heron.revenue.ltv import cohort_ltv
from heron.revenue.measures import RevenueMetric, series
from heron.revenue.source import EXTENSION, RevenueSource

RevenueInterval = Literal["day", "week", "month"]


def _default_metrics() -> list[RevenueMetric | Literal["ltv"]]:
    return ["mrr"]


class RevenueQuery(QuerySpec):
    kind: Literal["RevenueQuery"] = "RevenueQuery"
    metrics: list[RevenueMetric | Literal["ltv"]] = Field(
        default_factory=_default_metrics, min_length=1, max_length=20
    )
    interval: RevenueInterval = "month"


def revenue_source(ctx: QueryContext) -> RevenueSource:
    source = ctx.extensions.get(EXTENSION)
    if source is None:
        raise ValueError("revenue state is not available here (no metadata database)")
    return source  # type: ignore[no-any-return]


def revenue_series(
    ctx: QueryContext,
    metrics: Sequence[str],
    interval: RevenueInterval,
    date_from: Any,
    date_to: Any,
) -> tuple[list[str], dict[str, list[float]]]:
    """Labels and each metric per interval of the range (project timezone)."""
    source = revenue_source(ctx)
    rng = ctx.time_range(date_from, date_to)
    starts = [dates.truncate(s, interval) for s in rng.interval_starts(interval)]
    ends = [*starts[1:], dates.step(starts[-1], interval)] if starts else []
    boundaries = [
        dates.to_utc(moment, ctx.timezone).replace(tzinfo=UTC) for moment in [*starts[:1], *ends]
    ]
    try:
        values = series(source.ledger(), source.rates(), boundaries, metrics, ctx.now)
    except MissingRate as exc:
        raise ValueError(str(exc)) from None
    return [s.date().isoformat() for s in starts], values


@register(RevenueQuery)
def run(spec: RevenueQuery, runner: Runner) -> dict[str, Any]:
    ctx = runner.ctx
    plain = [m for m in spec.metrics if m != "ltv"]
    labels, values = revenue_series(ctx, plain, spec.interval, spec.date_from, spec.date_to)
    source = revenue_source(ctx)
    out: dict[str, Any] = {"labels": labels, "series": values, "currency": source.rates().target}
    if "ltv" in spec.metrics:
        rng = ctx.time_range(spec.date_from, spec.date_to)
        last = rng.end_local - timedelta(microseconds=1)
        try:
            out["ltv_cohorts"] = cohort_ltv(
                source.ledger(),
                source.rates(),
                ctx.timezone,
                rng.start_local.date().replace(day=1),
                last.date().replace(day=1),
                ctx.now,
            )
        except MissingRate as exc:
            raise ValueError(str(exc)) from None
    return out
