"""The metrics layer through the query service: event maps, custom metrics, errors, isolation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from heron.analysis.service import ProjectInfo, QueryService
from heron.meta.errors import InvalidValueError
from heron.meta.models import Project
from heron.metrics.builtins import BUILTINS
from heron.metrics.extensions import meta_extensions
from heron.metrics.saved import save_metric, validate_metric
from heron.query.registry import SpecError
from heron.revenue.store import record_event
from heron.store.base import EventStore
from tests.support.events import raw_batch
from tests.support.meta import migrated_meta
from tests.unit.revenue.stripe_fixtures import event, subscription

DAY = datetime(2025, 3, 3, 9)  # a Monday
NOW = datetime(2025, 3, 20, tzinfo=UTC)


@pytest.fixture
def meta(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    with migrated_meta(tmp_path) as factory:
        yield factory


def service(store: EventStore, meta: sessionmaker[Session]) -> QueryService:
    return QueryService(store, extensions=meta_extensions(meta), clock=lambda: NOW)


def habit_rows(checked: str) -> list[dict[str, Any]]:
    rows = [
        {
            "event": "habit_created",
            "distinct_id": "a",
            "timestamp": DAY,
            "properties": {"habit_id": "h"},
        }
    ]
    rows += [
        {
            "event": checked,
            "distinct_id": "a",
            "timestamp": DAY + timedelta(days=k),
            "properties": {"habit_id": "h"},
        }
        for k in range(3)
    ]
    return rows


SPEC = {
    "kind": "MetricQuery",
    "metric": "habit_adherence_score",
    "date_from": "2025-03-03",
    "date_to": "2025-03-05",
}


def test_event_map_lets_a_product_use_its_own_names(
    store: EventStore, meta: sessionmaker[Session]
) -> None:
    store.append(raw_batch(habit_rows("habit_done"), project_id=1))
    svc = service(store, meta)
    unmapped = svc.run(ProjectInfo(1), SPEC)["results"]["series"]["habit_adherence_score"]
    assert unmapped == [0.7 * 0 + 0.0] * 3
    with meta.begin() as s:
        project = s.get(Project, 1)
        project.settings = {"event_map": {"habit_checked": "habit_done"}}
    mapped = svc.run(ProjectInfo(1), SPEC)["results"]["series"]["habit_adherence_score"]
    assert mapped == pytest.approx([0.7 + 0.3 / 7, 0.7 + 0.3 * 2 / 7, 0.7 + 0.3 * 3 / 7])


def test_custom_metric_is_a_query_kind_per_project(
    store: EventStore, meta: sessionmaker[Session]
) -> None:
    rows = [
        {
            "event": "purchase",
            "distinct_id": f"d{i}",
            "timestamp": DAY,
            "properties": {"amount": 10 * (i + 1)},
        }
        for i in range(3)
    ]
    store.append(raw_batch(rows, project_id=1))
    store.append(raw_batch(rows, project_id=2))
    definition = {
        "series": [
            {"event": "purchase", "math": "sum", "math_property": "amount"},
            {"event": "purchase", "math": "dau"},
        ],
        "formula": "A / B",
    }
    with meta.begin() as s:
        save_metric(s, 1, "revenue_per_buyer", definition)
    svc = service(store, meta)
    spec = {
        "kind": "MetricQuery",
        "metric": "revenue_per_buyer",
        "date_from": "2025-03-03",
        "date_to": "2025-03-03",
    }
    assert svc.run(ProjectInfo(1), spec)["results"]["series"]["revenue_per_buyer"] == [20.0]
    with pytest.raises(SpecError, match="unknown metric 'revenue_per_buyer'"):
        svc.run(ProjectInfo(2), spec)
    with meta.begin() as s:
        save_metric(s, 1, "revenue_per_buyer", {**definition, "formula": "A"})
    assert svc.run(ProjectInfo(1), spec)["results"]["series"]["revenue_per_buyer"] == [60.0]


@pytest.mark.parametrize(
    ("name", "definition", "message"),
    [
        ("Bad Name", {"series": [{"event": "x"}]}, "lowercase"),
        ("mrr", {"series": [{"event": "x"}]}, "built-in"),
        ("m", {"series": [{"event": "x"}, {"event": "y"}]}, "needs a formula"),
        ("m", {"series": [{"event": "x"}], "formula": "A / B"}, "refers to series B"),
        ("m", {"series": [{"event": "x"}], "formula": "A +"}, "formula: expected a number"),
        ("m", {"series": [{"event": "x"}], "formula": "__import__('os')"}, "unexpected"),
        ("m", {"series": [{"event": "x", "math": "sum"}]}, "needs a math_property"),
        ("m", {"series": [{"event": "x", "math": "mode"}]}, "series.0.math"),
        ("m", {"series": []}, "series"),
        ("m", {"series": [{"event": "x"}], "interval": "year"}, "interval"),
        ("m", [1, 2], "JSON object"),
    ],
)
def test_custom_metric_validation_names_the_problem(
    name: str, definition: Any, message: str
) -> None:
    with pytest.raises(InvalidValueError, match=message):
        validate_metric(name, definition)


def test_unknown_metric_lists_the_known_ones(
    store: EventStore, meta: sessionmaker[Session]
) -> None:
    with pytest.raises(SpecError) as caught:
        service(store, meta).run(ProjectInfo(1), {"kind": "MetricQuery", "metric": "nope"})
    assert "goal_completion_rate" in str(caught.value)


def test_revenue_metrics_through_metric_query_follow_new_webhooks(
    store: EventStore, meta: sessionmaker[Session]
) -> None:
    svc = service(store, meta)
    spec = {
        "kind": "MetricQuery",
        "metric": "mrr",
        "date_from": "2025-01-01",
        "date_to": "2025-02-28",
    }
    assert svc.run(ProjectInfo(1), spec)["results"]["series"]["mrr"] == [0, 0]
    created = event(
        "customer.subscription.created", "2025-01-10T00:00:00", subscription("s", "c", amount=700)
    )
    with meta.begin() as s:
        record_event(
            s,
            1,
            "stripe",
            created["id"],
            created["type"],
            datetime(2025, 1, 10, tzinfo=UTC),
            created,
        )
    again = svc.run(ProjectInfo(1), spec)
    assert again["cached"] is False
    assert again["results"]["series"]["mrr"] == [700, 700]
    assert svc.run(ProjectInfo(2), spec)["results"]["series"]["mrr"] == [0, 0]


def test_every_builtin_is_documented() -> None:
    text = (Path(__file__).parents[3] / "docs" / "metrics.md").read_text()
    missing = [name for name in BUILTINS if f"`{name}`" not in text]
    assert missing == []


def test_cac_divides_spend_by_new_paying_customers(
    store: EventStore, meta: sessionmaker[Session]
) -> None:
    costs = [
        {
            "event": "cost",
            "distinct_id": "ads",
            "timestamp": datetime(2025, 1, 5),
            "properties": {"amount": 900},
        },
        {
            "event": "cost",
            "distinct_id": "ads",
            "timestamp": datetime(2025, 2, 5),
            "properties": {"amount": 500},
        },
    ]
    store.append(raw_batch(costs, project_id=1))
    with meta.begin() as s:
        for n, day in enumerate(("2025-01-10", "2025-01-20", "2025-01-25")):
            created = event(
                "customer.subscription.created",
                f"{day}T00:00:00",
                subscription(f"s{n}", f"c{n}", amount=100),
            )
            at = datetime.fromisoformat(day).replace(tzinfo=UTC)
            record_event(s, 1, "stripe", created["id"], created["type"], at, created)
    spec = {
        "kind": "MetricQuery",
        "metric": "cac",
        "interval": "month",
        "date_from": "2025-01-01",
        "date_to": "2025-02-28",
    }
    assert service(store, meta).run(ProjectInfo(1), spec)["results"]["series"]["cac"] == [
        300.0,
        0.0,
    ]


@pytest.mark.parametrize(("cost", "margin"), [(250, 0.75), (None, 1.0)])
def test_simple_ltv_is_arpu_times_margin_over_churn(
    store: EventStore, meta: sessionmaker[Session], cost: int | None, margin: float
) -> None:
    if cost is not None:
        sale = {"amount": 1000, "cost": cost}
        store.append(
            raw_batch(
                [
                    {
                        "event": "payment",
                        "distinct_id": "c0",
                        "timestamp": datetime(2025, 2, 10),
                        "properties": sale,
                    }
                ],
                project_id=1,
            )
        )
    with meta.begin() as s:
        deliveries = [
            ("customer.subscription.created", f"2025-01-1{n}T00:00:00", f"s{n}", f"c{n}")
            for n in range(3)
        ] + [("customer.subscription.deleted", "2025-02-15T00:00:00", "s2", "c2")]
        for kind, at, sub, customer in deliveries:
            status = "canceled" if kind.endswith("deleted") else "active"
            delivered = event(kind, at, subscription(sub, customer, amount=100, status=status))
            moment = datetime.fromisoformat(at).replace(tzinfo=UTC)
            record_event(s, 1, "stripe", delivered["id"], kind, moment, delivered)
    spec = {
        "kind": "MetricQuery",
        "metric": "simple_ltv",
        "interval": "month",
        "date_from": "2025-01-01",
        "date_to": "2025-03-31",
    }
    series = service(store, meta).run(ProjectInfo(1), spec)["results"]["series"]["simple_ltv"]
    # January: no churn (0 by the zero-denominator rule). February: ARPU 200 ÷ 2 customers
    # = 100, churn 1 of 3 paying at the start. March: ARPU 100, no churn.
    assert series == [0.0, pytest.approx(100 * margin * 3), 0.0]
