"""Customer acquisition cost: acquisition spend ÷ new paying customers (METRICS.md, Revenue).

Spend is Σ ``amount`` of ``cost`` events in the interval (the ``acquisition_spend``
metric, mapped like any event); new paying customers come from the subscription ledger
(customers whose first paying moment ever falls in the interval).
"""

from __future__ import annotations

from datetime import timedelta

from heron.metrics.computed import MetricRun, Values, ratio
from heron.metrics.formula_metric import FormulaMetric, run_formula
from heron.revenue.query import revenue_series

SPEND = FormulaMetric.model_validate(
    {"series": [{"event": "cost", "math": "sum", "math_property": "amount"}], "unit": "amount"}
)


def cac(run: MetricRun) -> Values:
    run.no_breakdown("cac")
    run.day_grain("cac")
    interval = run.buckets.interval
    assert interval != "hour"
    first = run.rng.start_local.date().isoformat()
    last = (run.rng.end_local - timedelta(microseconds=1)).date().isoformat()
    common = {"date_from": first, "date_to": last, "filters": [f.model_dump() for f in run.filters]}
    _, spend = run_formula(run.runner, SPEND, run.names, common, interval)
    _, customers = revenue_series(run.ctx, ["new_customers"], interval, first, last)
    return {
        None: [ratio(s, c) for s, c in zip(spend[None], customers["new_customers"], strict=True)]
    }
