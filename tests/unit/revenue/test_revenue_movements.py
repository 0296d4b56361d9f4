"""MRR movements against a brute-force oracle on random subscription histories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from heron.revenue.currency import Rates
from heron.revenue.ledger import Ledger
from heron.revenue.measures import series
from heron.revenue.model import Item, Snapshot

START = datetime(2025, 1, 1, tzinfo=UTC)
MONTHS = [datetime(2025, m, 1, tzinfo=UTC) for m in range(1, 8)]
FACTOR = {"week": Fraction(52, 12), "month": Fraction(1), "year": Fraction(1, 12)}
RATES = Rates("USD", {"EUR": 1.25})
METRICS = [
    "mrr",
    "new_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churn_mrr",
    "reactivation_mrr",
    "net_new_mrr",
    "customer_churn_rate",
]


@st.composite
def snapshots(draw: st.DrawFn) -> list[Snapshot]:
    out = []
    for _ in range(draw(st.integers(0, 14))):
        at = START + timedelta(hours=draw(st.integers(0, 24 * 180)))
        status = draw(st.sampled_from(["active", "active", "past_due", "trialing", "canceled"]))
        trial = at + timedelta(days=draw(st.integers(1, 40))) if status == "trialing" else None
        ends = at + timedelta(days=draw(st.integers(1, 90))) if draw(st.booleans()) else None
        out.append(
            Snapshot(
                subscription=draw(st.sampled_from(["s1", "s2", "s3", "s4"])),
                customer="",
                at=at,
                status=status,
                currency=draw(st.sampled_from(["USD", "EUR"])),
                items=(
                    Item(
                        draw(st.integers(100, 5000)),
                        draw(st.sampled_from(["week", "month", "year"])),
                        1,
                        draw(st.integers(1, 3)),
                    ),
                ),
                trial_end=trial,
                ends_at=ends,
            )
        )
    owner = {"s1": "c1", "s2": "c1", "s3": "c2", "s4": "c3"}
    return [
        Snapshot(
            s.subscription,
            owner[s.subscription],
            s.at,
            s.status,
            s.currency,
            s.items,
            None,
            s.trial_end,
            s.ends_at,
        )
        for s in out
    ]


def oracle_value(s: Snapshot, t: datetime) -> int:
    """METRICS.md: active, non-trial subscriptions, monthly-normalised, in project currency."""
    if s.ends_at is not None and t >= s.ends_at:
        return 0
    if s.status == "trialing" and (s.trial_end is None or t < s.trial_end):
        return 0
    if s.status not in ("active", "past_due", "trialing"):
        return 0
    item = s.items[0]
    monthly = item.amount * item.quantity * FACTOR[item.interval]
    rate = Fraction(1) if s.currency == "USD" else Fraction(5, 4)
    return round(monthly * rate)


def oracle_state(snaps: list[Snapshot], t: datetime) -> dict[str, int]:
    latest: dict[str, Snapshot] = {}
    for s in sorted(snaps, key=lambda s: s.at):
        if s.at <= t:
            latest[s.subscription] = s
    out: dict[str, int] = {}
    for s in latest.values():
        if (v := oracle_value(s, t)) > 0:
            out[s.customer] = out.get(s.customer, 0) + v
    return out


def oracle(snaps: list[Snapshot]) -> dict[str, list[float]]:
    moments = sorted(
        {s.at for s in snaps} | {m for s in snaps for m in (s.trial_end, s.ends_at) if m}
    )
    out: dict[str, list[float]] = {m: [] for m in METRICS}
    eps = timedelta(microseconds=1)
    for lo, hi in pairwise(MONTHS):
        p, q = oracle_state(snaps, lo - eps), oracle_state(snaps, hi - eps)
        before = {c for t in moments if t < lo for c in oracle_state(snaps, t)}
        moves = dict.fromkeys(METRICS[1:], 0.0)
        for c in p.keys() | q.keys():
            a, b = p.get(c, 0), q.get(c, 0)
            if a == 0 and b > 0:
                moves["reactivation_mrr" if c in before else "new_mrr"] += b
            elif a > 0 and b == 0:
                moves["churn_mrr"] += a
            elif b > a:
                moves["expansion_mrr"] += b - a
            elif b < a:
                moves["contraction_mrr"] += a - b
        churned = sum(1 for c in p if q.get(c, 0) == 0)
        moves["customer_churn_rate"] = churned / len(p) if p else 0.0
        moves["net_new_mrr"] = sum(q.values()) - sum(p.values())
        out["mrr"].append(sum(q.values()))
        for m, v in moves.items():
            out[m].append(v)
    return out


@settings(max_examples=200, deadline=None)
@given(snaps=snapshots())
def test_movements_match_the_oracle_and_sum_to_the_mrr_change(snaps: list[Snapshot]) -> None:
    got = series(Ledger.build(snaps), RATES, MONTHS, METRICS, datetime(2026, 1, 1, tzinfo=UTC))
    assert got == oracle(snaps)
    for i, net in enumerate(got["net_new_mrr"]):
        moves = got["new_mrr"][i] + got["expansion_mrr"][i] + got["reactivation_mrr"][i]
        assert net == moves - got["contraction_mrr"][i] - got["churn_mrr"][i]
        previous = got["mrr"][i - 1] if i else 0
        if i:
            assert net == got["mrr"][i] - previous
