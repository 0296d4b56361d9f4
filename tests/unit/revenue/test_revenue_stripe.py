"""Stripe event sequences with hand-checked MRR movements; shuffled and repeated deliveries."""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from heron.revenue import stripe_events
from heron.revenue.store import record_event
from tests.unit.revenue.conftest import revenue
from tests.unit.revenue.stripe_fixtures import charge_refunded, event, invoice_paid, subscription

CREATED, UPDATED, DELETED = (
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
)


def sequence() -> list[dict[str, Any]]:
    return [
        event(CREATED, "2025-01-10T09:00:00", subscription("sub_a", "cus_a", amount=1000)),
        invoice_paid("cus_a", "2025-01-10T09:00:01", 1000, "in_a1"),
        event(UPDATED, "2025-02-15T12:00:00", subscription("sub_a", "cus_a", amount=2000)),
        invoice_paid("cus_a", "2025-02-15T12:00:01", 2000, "in_a2"),
        event(
            DELETED,
            "2025-03-05T08:00:00",
            subscription("sub_a", "cus_a", amount=2000, status="canceled"),
        ),
        event(CREATED, "2025-04-02T10:00:00", subscription("sub_a2", "cus_a", amount=1500)),
        event(
            CREATED,
            "2025-01-05T10:00:00",
            subscription("sub_b", "cus_b", amount=12000, interval="year", percent_off=20),
        ),
        invoice_paid("cus_b", "2025-01-05T10:00:01", 9600, "in_b1"),
        event(
            UPDATED,
            "2025-02-20T10:00:00",
            subscription(
                "sub_b",
                "cus_b",
                amount=12000,
                interval="year",
                percent_off=20,
                cancel_at_period_end=True,
                period_end="2025-03-20T10:00:00",
            ),
        ),
        event(
            CREATED,
            "2025-01-20T10:00:00",
            subscription(
                "sub_c",
                "cus_c",
                amount=500,
                interval="week",
                quantity=3,
                status="trialing",
                trial_end="2025-02-03T10:00:00",
            ),
        ),
        event(
            UPDATED,
            "2025-03-10T10:00:00",
            subscription("sub_c", "cus_c", amount=500, interval="week", quantity=2),
        ),
        event(
            CREATED,
            "2025-02-01T10:00:00",
            subscription("sub_d", "cus_d", amount=1000, currency="eur"),
        ),
        invoice_paid("cus_d", "2025-02-01T10:00:01", 1000, "in_d1", currency="eur"),
        charge_refunded("cus_d", "2025-02-10T10:00:00", 500, "ch_d1", currency="eur"),
    ]


EXPECTED = {
    "mrr": [1800, 10400, 5433, 6933],
    "new_mrr": [1800, 7600, 0, 0],
    "expansion_mrr": [0, 1000, 0, 0],
    "contraction_mrr": [0, 0, 2167, 0],
    "churn_mrr": [0, 0, 2800, 0],
    "reactivation_mrr": [0, 0, 0, 1500],
    "net_new_mrr": [1800, 8600, -4967, 1500],
    "arr": [21600, 124800, 65196, 83196],
    "arpu": [900, 2600, 2716.5, 2311],
    "paying_customers": [2, 4, 2, 3],
    "customer_churn_rate": [0, 0, 0.5, 0],
    "nrr": [0, 2800 / 1800, 5433 / 10400, 1.0],
    "revenue": [10600, 2550, 0, 0],
}
SPEC = {
    "metrics": list(EXPECTED),
    "interval": "month",
    "date_from": "2025-01-01",
    "date_to": "2025-04-30",
}


def store_all(
    meta: sessionmaker[Session], project_id: int, events: list[dict[str, Any]]
) -> list[bool]:
    out = []
    with meta.begin() as s:
        for e in events:
            at = stripe_events.instant(e["created"])
            assert at is not None
            out.append(record_event(s, project_id, "stripe", e["id"], e["type"], at, e))
    return out


def test_hand_checked_movements(meta: sessionmaker[Session]) -> None:
    store_all(meta, 1, sequence())
    result = revenue(meta, 1, SPEC)
    assert result["labels"] == ["2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01"]
    assert result["currency"] == "USD"
    for metric, values in EXPECTED.items():
        assert result["series"][metric] == values, metric


def test_shuffled_and_repeated_delivery_gives_the_same_numbers(meta: sessionmaker[Session]) -> None:
    events = sequence()
    rng = random.Random(7)
    delivered = events + rng.sample(events, 5)
    rng.shuffle(delivered)
    stored = store_all(meta, 1, delivered)
    assert stored.count(True) == len(events)
    assert stored.count(False) == 5
    assert revenue(meta, 1, SPEC)["series"] == EXPECTED


def test_projects_do_not_see_each_others_revenue(meta: sessionmaker[Session]) -> None:
    store_all(meta, 1, sequence())
    other = revenue(meta, 2, SPEC)["series"]
    assert other["mrr"] == [0, 0, 0, 0]
    assert other["revenue"] == [0, 0, 0, 0]
    assert store_all(meta, 2, sequence()[:1]) == [True]


def test_cohort_ltv(meta: sessionmaker[Session]) -> None:
    store_all(meta, 1, sequence())
    result = revenue(
        meta, 1, {"metrics": ["ltv"], "date_from": "2025-01-01", "date_to": "2025-04-30"}
    )
    cohorts = {c["cohort_start"]: c for c in result["ltv_cohorts"]}
    assert sorted(cohorts) == ["2025-01-01", "2025-02-01"]
    assert cohorts["2025-01-01"]["size"] == 2
    assert cohorts["2025-01-01"]["values"][:3] == [5300.0, 6300.0, 6300.0]
    assert cohorts["2025-02-01"]["values"][:2] == [550.0, 550.0]


def test_missing_rate_is_a_clear_error(meta: sessionmaker[Session]) -> None:
    import pytest

    store_all(
        meta,
        1,
        [
            event(
                CREATED,
                "2025-01-10T09:00:00",
                subscription("sub_x", "cus_x", amount=1000, currency="gbp"),
            )
        ],
    )
    with pytest.raises(ValueError, match="no exchange rate from GBP"):
        revenue(meta, 1, SPEC)
