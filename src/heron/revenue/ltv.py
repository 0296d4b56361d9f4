"""Cohort LTV: cumulative revenue per cohort member by month since the first payment."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from heron.revenue.currency import Rates
from heron.revenue.ledger import Ledger


def _month(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date().replace(day=1)


def _months_between(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def cohort_ltv(
    ledger: Ledger, rates: Rates, tz: ZoneInfo, first_month: date, last_month: date, now: datetime
) -> list[dict[str, object]]:
    """Cohorts by local month of each customer's first positive payment, in range.

    ``values[k]`` is the cohort's net revenue (payments less refunds, project minor units)
    up to the end of its k-th month after the cohort month, divided by the cohort size;
    months that have not begun yet are omitted.
    """
    first: dict[str, date] = {}
    for payment in ledger.payments:
        if payment.amount > 0 and payment.customer not in first:
            first[payment.customer] = _month(payment.at, tz)
    members: dict[date, set[str]] = {}
    for customer, month in first.items():
        if first_month <= month <= last_month:
            members.setdefault(month, set()).add(customer)
    current = _month(now, tz)
    sums: dict[date, list[float]] = {
        month: [0.0] * (_months_between(month, current) + 1) for month in members
    }
    for payment in ledger.payments:
        cohort = first.get(payment.customer)
        if cohort is None or cohort not in sums:
            continue
        k = _months_between(cohort, _month(payment.at, tz))
        if 0 <= k < len(sums[cohort]):
            sums[cohort][k] += float(rates.convert(payment.amount, payment.currency))
    out: list[dict[str, object]] = []
    for month in sorted(sums):
        size = len(members[month])
        running, values = 0.0, []
        for amount in sums[month]:
            running += amount
            values.append(round(running / size, 2))
        out.append({"cohort_start": month.isoformat(), "size": size, "values": values})
    return out
