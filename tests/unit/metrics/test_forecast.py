"""Metric forecasts: the linear trend against numpy's least squares, and through MetricQuery."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from heron.analysis.service import ProjectInfo, QueryService
from heron.metrics.extensions import meta_extensions
from heron.metrics.forecast import FIT_POINTS, Z_95, linear_forecast
from heron.query.registry import SpecError
from heron.revenue.store import record_event
from heron.store.base import EventStore
from tests.support.meta import migrated_meta
from tests.unit.revenue.stripe_fixtures import event, subscription

values = st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: round(v, 2))


def reference(ys: list[float], periods: int) -> tuple[np.ndarray, np.ndarray]:
    """Point forecasts and 95% half-widths by the matrix form of least squares."""
    ys = ys[-FIT_POINTS:]
    n = len(ys)
    design = np.column_stack([np.ones(n), np.arange(n)])
    beta, *_ = np.linalg.lstsq(design, np.array(ys), rcond=None)
    residual = np.array(ys) - design @ beta
    variance = residual @ residual / (n - 2)
    inverse = np.linalg.inv(design.T @ design)
    future = np.column_stack([np.ones(periods), np.arange(n, n + periods)])
    points = future @ beta
    half = Z_95 * np.sqrt(variance * (1 + np.einsum("ij,jk,ik->i", future, inverse, future)))
    return points, half


@settings(max_examples=60, deadline=None)
@given(ys=st.lists(values, min_size=3, max_size=20), periods=st.integers(1, 12))
def test_the_trend_and_its_interval_match_least_squares(ys: list[float], periods: int) -> None:
    got = linear_forecast(ys, periods)
    points, half = reference(ys, periods)
    scale = max(1.0, max(abs(y) for y in ys))
    assert got.data == pytest.approx(list(points), abs=1e-6 * scale)
    widths = [(u - lo) / 2 for lo, u in zip(got.lower, got.upper, strict=True)]
    assert widths == pytest.approx(list(half), abs=1e-6 * scale)
    assert got.fitted_points == min(len(ys), FIT_POINTS)


def test_a_straight_line_is_continued_exactly() -> None:
    got = linear_forecast([10.0, 12.0, 14.0, 16.0], 3)
    assert got.data == pytest.approx([18.0, 20.0, 22.0])
    assert got.lower == pytest.approx(got.data) and got.upper == pytest.approx(got.data)


def test_short_series() -> None:
    assert linear_forecast([5.0], 2).data == [5.0, 5.0]
    two = linear_forecast([1.0, 3.0], 2)
    assert two.data == pytest.approx([5.0, 7.0]) and two.lower == two.data
    with pytest.raises(ValueError):
        linear_forecast([], 1)


NOW = datetime(2025, 6, 15, tzinfo=UTC)


@pytest.fixture
def meta(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    with migrated_meta(tmp_path) as factory:
        yield factory


def test_metric_query_forecasts_the_next_intervals(
    store: EventStore, meta: sessionmaker[Session]
) -> None:
    for number, (day, amount) in enumerate([("2025-01-10", 700), ("2025-03-05", 1400)]):
        created = event(
            "customer.subscription.created",
            f"{day}T00:00:00",
            subscription(f"s{number}", f"c{number}", amount=amount),
        )
        with meta.begin() as s:
            record_event(s, 1, "stripe", created["id"], created["type"], NOW, created)
    svc = QueryService(store, extensions=meta_extensions(meta), clock=lambda: NOW)
    spec = {
        "kind": "MetricQuery",
        "metric": "arr",
        "interval": "month",
        "date_from": "2025-01-01",
        "date_to": "2025-05-31",
        "forecast": 3,
    }
    results = svc.run(ProjectInfo(1), spec)["results"]
    forecast = results["forecast"]
    assert results["labels"][-1] == "2025-05-01"
    assert forecast["labels"] == ["2025-06-01", "2025-07-01", "2025-08-01"]
    expected = linear_forecast([float(v) for v in results["series"]["arr"]], 3)
    assert forecast["data"] == pytest.approx(expected.data)
    assert forecast["method"] == "linear trend of the last 5 intervals"
    assert "forecast" not in svc.run(ProjectInfo(1), {**spec, "forecast": 0})["results"]


@pytest.mark.parametrize(
    "extra",
    [
        {"forecast": 2, "breakdown": {"property": "$browser"}},
        {"forecast": 2, "interval": "hour"},
        {"forecast": 37},
    ],
)
def test_forecast_errors_name_the_problem(
    store: EventStore, meta: sessionmaker[Session], extra: dict[str, object]
) -> None:
    svc = QueryService(store, extensions=meta_extensions(meta), clock=lambda: NOW)
    with pytest.raises(SpecError):
        svc.run(ProjectInfo(1), {"kind": "MetricQuery", "metric": "dau", **extra})
