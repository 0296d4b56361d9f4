"""The ledger: every subscription's ordered snapshots and the deduplicated payments.

Facts are ordered by their own time (then by provider event id), never by arrival, so a
shuffled or repeated delivery of the same events builds the same ledger.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from heron.revenue.currency import Rates
from heron.revenue.model import Fact, Payment, Snapshot

EPSILON = timedelta(microseconds=1)


@dataclass(slots=True)
class Ledger:
    """Snapshots per subscription (in time order) and payments (one per key)."""

    snapshots: dict[str, list[Snapshot]] = field(default_factory=dict)
    payments: list[Payment] = field(default_factory=list)
    _times: dict[str, list[datetime]] = field(default_factory=dict)
    _amounts: dict[int, tuple[int, int]] = field(default_factory=dict)
    _rates: Rates | None = None

    def value(self, snap: Snapshot, moment: datetime, rates: Rates) -> int:
        """``snap.monthly_value``, with each snapshot's amounts converted once per rates."""
        if rates is not self._rates:
            self._amounts, self._rates = {}, rates
        key = id(snap)
        amounts = self._amounts.get(key)
        if amounts is None:
            amounts = self._amounts[key] = snap.amounts(rates)
        return snap.monthly_value(moment, rates, amounts)

    @classmethod
    def build(cls, facts: Iterable[Fact]) -> Ledger:
        """A ledger from facts already in event order."""
        ledger = cls()
        keyed: dict[str, Payment] = {}
        for fact in facts:
            if isinstance(fact, Snapshot):
                ledger.snapshots.setdefault(fact.subscription, []).append(fact)
            elif fact.key:
                keyed[fact.key] = fact
            else:
                ledger.payments.append(fact)
        ledger.payments.extend(keyed.values())
        ledger.payments.sort(key=lambda p: p.at)
        for sub, snaps in ledger.snapshots.items():
            snaps.sort(key=lambda s: s.at)
            ledger._times[sub] = [s.at for s in snaps]
        return ledger

    def state(self, sub: str, moment: datetime) -> Snapshot | None:
        """The snapshot of ``sub`` in force at ``moment`` (the last one at or before it)."""
        index = bisect_right(self._times[sub], moment)
        return self.snapshots[sub][index - 1] if index else None

    def customer_mrr(self, moment: datetime, rates: Rates) -> dict[str, int]:
        """Customer → MRR at ``moment`` (customers with 0 left out)."""
        out: dict[str, int] = {}
        for sub in self.snapshots:
            snap = self.state(sub, moment)
            if snap is None:
                continue
            value = self.value(snap, moment, rates)
            if value:
                out[snap.customer] = out.get(snap.customer, 0) + value
        return out

    def first_paying(self, rates: Rates) -> dict[str, datetime]:
        """Customer → the first instant any of their subscriptions was worth MRR."""
        out: dict[str, datetime] = {}
        for snaps in self.snapshots.values():
            for i, snap in enumerate(snaps):
                until = snaps[i + 1].at if i + 1 < len(snaps) else None
                if until is not None and until <= snap.at:
                    continue
                moment = next(
                    (m for m in snap.changes(until) if self.value(snap, m, rates) > 0), None
                )
                if moment is not None:
                    if snap.customer not in out or moment < out[snap.customer]:
                        out[snap.customer] = moment
                    break
        return out
