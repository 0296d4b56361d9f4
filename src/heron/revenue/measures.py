"""Revenue metrics per interval from a ledger (METRICS.md, Revenue). Pure functions.

An interval's MRR is the state at its end (capped at now); its movements compare each
customer's MRR at its start and at its end: from 0 to > 0 is *new* the first time the
customer ever pays within the interval and *reactivation* otherwise; a rise is
*expansion*, a fall to a value > 0 *contraction*, a fall to 0 *churn*. Contraction and
churn are reported as positive amounts, so ``net_new = new + expansion + reactivation −
contraction − churn`` equals the change of MRR over the interval. Ratios with an empty
denominator are 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from heron.revenue.currency import Rates
from heron.revenue.ledger import EPSILON, Ledger

RevenueMetric = Literal[
    "mrr",
    "new_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churn_mrr",
    "reactivation_mrr",
    "net_new_mrr",
    "arr",
    "arpu",
    "paying_customers",
    "churned_customers",
    "new_customers",
    "customer_churn_rate",
    "nrr",
    "revenue",
]
MOVEMENTS = ("new_mrr", "expansion_mrr", "contraction_mrr", "churn_mrr", "reactivation_mrr")


@dataclass(frozen=True, slots=True)
class Movement:
    """One interval's customer-level change of MRR."""

    start: dict[str, int]
    end: dict[str, int]
    new: int = 0
    expansion: int = 0
    contraction: int = 0
    churn: int = 0
    reactivation: int = 0
    churned_customers: int = 0
    new_customers: int = 0


def movement(
    start: dict[str, int], end: dict[str, int], first: dict[str, datetime], since: datetime
) -> Movement:
    """Classify every customer's change between two states (``since`` = interval start)."""
    totals = dict.fromkeys(("new", "expansion", "contraction", "churn", "reactivation"), 0)
    churned = fresh = 0
    for customer in start.keys() | end.keys():
        p, q = start.get(customer, 0), end.get(customer, 0)
        if p == 0 and q > 0:
            paid = first.get(customer)
            is_new = paid is None or paid >= since
            totals["new" if is_new else "reactivation"] += q
            fresh += is_new
        elif p > 0 and q == 0:
            totals["churn"] += p
            churned += 1
        elif q > p:
            totals["expansion"] += q - p
        elif q < p:
            totals["contraction"] += p - q
    return Movement(start, end, churned_customers=churned, new_customers=fresh, **totals)


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def series(
    ledger: Ledger,
    rates: Rates,
    boundaries: Sequence[datetime],
    metrics: Sequence[str],
    now: datetime,
) -> dict[str, list[float]]:
    """Each metric per interval ``[boundaries[i], boundaries[i + 1])`` (UTC instants)."""
    capped = [min(b, now) for b in boundaries]
    states = [ledger.customer_mrr(b - EPSILON, rates) for b in capped]
    first = ledger.first_paying(rates)
    out: dict[str, list[float]] = {m: [] for m in metrics}
    for i in range(len(boundaries) - 1):
        m = movement(states[i], states[i + 1], first, capped[i])
        mrr, start_mrr = sum(m.end.values()), sum(m.start.values())
        paying = len(m.end)
        values: dict[str, float] = {
            "mrr": mrr,
            "new_mrr": m.new,
            "expansion_mrr": m.expansion,
            "contraction_mrr": m.contraction,
            "churn_mrr": m.churn,
            "reactivation_mrr": m.reactivation,
            "net_new_mrr": m.new + m.expansion + m.reactivation - m.contraction - m.churn,
            "arr": 12 * mrr,
            "arpu": _ratio(mrr, paying),
            "paying_customers": paying,
            "churned_customers": m.churned_customers,
            "new_customers": m.new_customers,
            "customer_churn_rate": _ratio(m.churned_customers, len(m.start)),
            "nrr": _ratio(start_mrr + m.expansion - m.contraction - m.churn, start_mrr),
        }
        if "revenue" in out:
            lo, hi = boundaries[i], boundaries[i + 1]
            values["revenue"] = round(
                sum(rates.convert(p.amount, p.currency) for p in ledger.payments if lo <= p.at < hi)
            )
        for metric in metrics:
            out[metric].append(values[metric])
    return out
