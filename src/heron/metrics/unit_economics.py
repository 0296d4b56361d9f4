"""Customer unit economics (METRICS.md, Revenue and LTV): CAC and simple LTV.

Both mix the subscription ledger with events. CAC is acquisition spend (Σ ``amount`` of
``cost`` events, the ``acquisition_spend`` metric) ÷ new paying customers (first paying
moment ever in the interval). Simple LTV is ARPU × gross margin ÷ customer churn rate,
all of the same interval; the margin is ``1 − Σ cost ÷ Σ amount`` of payment and funding
events, which is the ``gross_margin`` metric where there are sales and 1 where there are
none (a subscription business recording no costs keeps its whole ARPU). As everywhere in
the metrics layer, a zero denominator (no churn) gives 0.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from heron.metrics.computed import DayGrain, MetricRun, Values, ratio
from heron.metrics.formula_metric import FormulaMetric, run_formula
from heron.revenue.query import revenue_series

SPEND = FormulaMetric.model_validate(
    {"series": [{"event": "cost", "math": "sum", "math_property": "amount"}], "unit": "amount"}
)
MARGIN_OR_ONE = FormulaMetric.model_validate(
    {
        "series": [
            {"events": ["payment", "funding"], "math": "sum", "math_property": "amount"},
            {"events": ["payment", "funding"], "math": "sum", "math_property": "cost"},
        ],
        "formula": "1 - B / A",
        "unit": "ratio",
    }
)


def _ledger_run(run: MetricRun, metric: str) -> tuple[dict[str, Any], str, str, DayGrain]:
    """The common trend fields, the first and last local day of the run's range, and its
    interval."""
    run.no_breakdown(metric)
    interval = run.day_grain(metric)
    first = run.rng.start_local.date().isoformat()
    last = (run.rng.end_local - timedelta(microseconds=1)).date().isoformat()
    common = {"date_from": first, "date_to": last, "filters": [f.model_dump() for f in run.filters]}
    return common, first, last, interval


def cac(run: MetricRun) -> Values:
    common, first, last, interval = _ledger_run(run, "cac")
    _, spend = run_formula(run.runner, SPEND, run.names, common, interval)
    _, customers = revenue_series(run.ctx, ["new_customers"], interval, first, last)
    return {
        None: [ratio(s, c) for s, c in zip(spend[None], customers["new_customers"], strict=True)]
    }


def simple_ltv(run: MetricRun) -> Values:
    common, first, last, interval = _ledger_run(run, "simple_ltv")
    _, margin = run_formula(run.runner, MARGIN_OR_ONE, run.names, common, interval)
    _, ledger = revenue_series(run.ctx, ["arpu", "customer_churn_rate"], interval, first, last)
    return {
        None: [
            ratio(arpu * m, churn)
            for arpu, m, churn in zip(
                ledger["arpu"], margin[None], ledger["customer_churn_rate"], strict=True
            )
        ]
    }
