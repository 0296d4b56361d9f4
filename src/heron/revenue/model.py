"""Subscription facts (what provider events say) and the monthly value of a subscription.

Every provider event becomes zero or more facts: a :class:`Snapshot` (the whole state of
one subscription from an instant on) or a :class:`Payment` (money in, or out when
negative). State at any instant is the latest snapshot of each subscription at or
before it, so facts may arrive in any order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Literal

from heron.revenue.currency import Rates

BillingInterval = Literal["day", "week", "month", "year"]
MONTHS_PER: dict[str, Fraction] = {
    "day": Fraction(12, 365),
    "week": Fraction(12, 52),
    "month": Fraction(1),
    "year": Fraction(12),
}
"""Months in one billing interval: a weekly price × 52 ÷ 12 is monthly, a yearly ÷ 12."""

PAYING = frozenset({"active", "past_due"})
TRIALING = "trialing"


@dataclass(frozen=True, slots=True)
class Item:
    """One priced line: ``amount`` minor units per unit and billing period."""

    amount: int
    interval: BillingInterval = "month"
    interval_count: int = 1
    quantity: int = 1

    def monthly(self) -> Fraction:
        """Exact monthly amount (rounded only once, per subscription)."""
        months = MONTHS_PER[self.interval] * max(self.interval_count, 1)
        return self.amount * self.quantity / months


@dataclass(frozen=True, slots=True)
class Discount:
    """``percent_off`` (0–100) or ``amount_off`` minor units per billing period, until ``end``."""

    percent_off: float = 0.0
    amount_off: int = 0
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A subscription's state from ``at`` until the next snapshot of it.

    ``ends_at`` is when it stops paying without a further event (cancellation at period
    end, an app-store expiration); ``trial_end`` when a trial turns into payment.
    """

    subscription: str
    customer: str
    at: datetime
    status: str
    currency: str
    items: tuple[Item, ...] = ()
    discount: Discount | None = None
    trial_end: datetime | None = None
    ends_at: datetime | None = None
    plan: str = ""

    def monthly_value(
        self, moment: datetime, rates: Rates, amounts: tuple[int, int] | None = None
    ) -> int:
        """Monthly recurring revenue at ``moment`` (≥ ``at``) in project minor units.

        ``amounts`` is :meth:`amounts` for these rates, when the caller keeps it.
        """
        if self.ends_at is not None and moment >= self.ends_at:
            return 0
        if self.status == TRIALING:
            if self.trial_end is None or moment < self.trial_end:
                return 0
        elif self.status not in PAYING:
            return 0
        discounted, full = amounts or self.amounts(rates)
        discount = self.discount
        if discount is not None and (discount.end is None or moment < discount.end):
            return discounted
        return full

    def amounts(self, rates: Rates) -> tuple[int, int]:
        """The paying value with and without the discount, in project minor units."""
        gross = sum((item.monthly() for item in self.items), Fraction(0))
        net = gross
        if self.discount is not None:
            percent = Fraction(str(min(max(self.discount.percent_off, 0.0), 100.0)))
            net = gross * (1 - percent / 100)
            if self.discount.amount_off and self.items:
                first = self.items[0]
                months = MONTHS_PER[first.interval] * max(first.interval_count, 1)
                net -= self.discount.amount_off / months
        zero = Fraction(0)
        convert = rates.convert
        return round(convert(max(net, zero), self.currency)), round(
            convert(max(gross, zero), self.currency)
        )

    def changes(self, until: datetime | None) -> list[datetime]:
        """Instants in ``[at, until)`` where the value may change without a new event."""
        out = [self.at]
        discount_end = self.discount.end if self.discount is not None else None
        for moment in (self.trial_end, discount_end, self.ends_at):
            if moment is not None and moment > self.at and (until is None or moment < until):
                out.append(moment)
        return sorted(out)


@dataclass(frozen=True, slots=True)
class Payment:
    """Money received (positive) or refunded (negative), in ``currency`` minor units.

    Payments with the same ``key`` are one payment: the latest statement of it wins.
    """

    customer: str
    at: datetime
    amount: int
    currency: str
    key: str = ""


Fact = Snapshot | Payment
