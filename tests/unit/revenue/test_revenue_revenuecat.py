"""RevenueCat event sequences: trials, renewals, cancellation at expiration, refunds."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from heron.revenue import revenuecat_events
from heron.revenue.currency import Rates
from heron.revenue.store import record_event
from tests.unit.revenue.conftest import revenue
from tests.unit.revenue.stripe_fixtures import revenuecat


def sequence() -> list[dict[str, Any]]:
    return [
        revenuecat(
            "INITIAL_PURCHASE",
            "2025-01-05T00:00:00",
            user="u1",
            product="monthly",
            price=0.0,
            expires="2025-01-12T00:00:00",
            period_type="TRIAL",
        ),
        revenuecat(
            "RENEWAL",
            "2025-01-12T00:00:00",
            user="u1",
            product="monthly",
            price=9.99,
            expires="2025-02-12T00:00:00",
        ),
        revenuecat(
            "CANCELLATION",
            "2025-01-20T00:00:00",
            user="u1",
            product="monthly",
            price=9.99,
            expires="2025-02-12T00:00:00",
            purchased="2025-01-12T00:00:00",
            cancel_reason="UNSUBSCRIBE",
        ),
        revenuecat(
            "BILLING_ISSUE",
            "2025-01-21T00:00:00",
            user="u1",
            product="monthly",
            price=9.99,
            expires="2025-02-12T00:00:00",
            purchased="2025-01-12T00:00:00",
        ),
        revenuecat(
            "EXPIRATION",
            "2025-02-12T00:00:00",
            user="u1",
            product="monthly",
            price=9.99,
            expires="2025-02-12T00:00:00",
            purchased="2025-01-12T00:00:00",
        ),
        revenuecat(
            "INITIAL_PURCHASE",
            "2025-01-03T00:00:00",
            user="u2",
            product="yearly",
            price=59.99,
            expires="2026-01-03T00:00:00",
        ),
        revenuecat(
            "INITIAL_PURCHASE",
            "2025-02-01T00:00:00",
            user="u3",
            product="weekly",
            price=2.99,
            expires="2025-02-08T00:00:00",
        ),
        revenuecat(
            "RENEWAL",
            "2025-02-08T00:00:00",
            user="u3",
            product="weekly",
            price=2.99,
            expires="2025-02-15T00:00:00",
        ),
        revenuecat(
            "CANCELLATION",
            "2025-02-10T00:00:00",
            user="u3",
            product="weekly",
            price=2.99,
            expires="2025-02-15T00:00:00",
            purchased="2025-02-08T00:00:00",
            cancel_reason="CUSTOMER_SUPPORT",
        ),
        revenuecat(
            "TEST",
            "2025-02-10T00:00:00",
            user="u9",
            product="weekly",
            price=2.99,
            expires="2025-02-15T00:00:00",
        ),
    ]


def test_revenuecat_sequence(meta: sessionmaker[Session]) -> None:
    with meta.begin() as s:
        for payload in reversed(sequence()):
            e = payload["event"]
            at = revenuecat_events.event_time(e)
            assert at is not None
            record_event(s, 1, "revenuecat", e["id"], e["type"], at, payload)
    spec = {
        "metrics": ["mrr", "new_mrr", "churn_mrr", "revenue"],
        "date_from": "2025-01-01",
        "date_to": "2025-02-28",
    }
    series = revenue(meta, 1, spec)["series"]
    assert series["mrr"] == [999 + 500, 500]
    assert series["new_mrr"] == [1499, 0]
    assert series["churn_mrr"] == [0, 999]
    assert series["revenue"] == [999 + 5999, 299 + 299 - 299]


def test_trial_is_worth_nothing_until_converted() -> None:
    trial = sequence()[0]["event"]
    (snapshot,) = revenuecat_events.facts(trial)
    assert snapshot.status == "trialing"
    assert snapshot.monthly_value(snapshot.at, Rates("USD")) == 0
