"""Forecasts of a metric's series: a linear trend fitted to its recent intervals.

``MetricQuery(forecast=N)`` adds the next ``N`` intervals after the range: an ordinary
least-squares line through the last :data:`FIT_POINTS` values (all of them when fewer),
with a 95% prediction interval from the residuals (normal approximation:
``±1.96 · s · √(1 + 1/n + (x − x̄)² / Σ(xᵢ − x̄)²)``, ``s`` the residual standard error with
``n − 2`` degrees of freedom). A series of one value is carried flat, with no interval.
A linear trend is what finance dashboards draw for ARR and MRR run-rates; it says nothing
about seasonality, and the method is named in the result so a chart can say so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FIT_POINTS = 12
"""How many of the latest intervals the trend is fitted to."""
Z_95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class Forecast:
    data: list[float]
    lower: list[float]
    upper: list[float]
    fitted_points: int

    @property
    def method(self) -> str:
        return f"linear trend of the last {self.fitted_points} intervals"


def linear_forecast(values: list[float], periods: int) -> Forecast:
    """The next ``periods`` values of ``values`` (oldest first) on their linear trend."""
    if not values:
        raise ValueError("a forecast needs at least one value")
    ys = values[-FIT_POINTS:]
    n = len(ys)
    if n == 1:
        flat = [float(ys[0])] * periods
        return Forecast(flat, list(flat), list(flat), 1)
    mean_x = (n - 1) / 2
    mean_y = sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in range(n))
    slope = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(ys)) / sxx
    intercept = mean_y - slope * mean_x
    residuals = [y - (intercept + slope * x) for x, y in enumerate(ys)]
    s = math.sqrt(sum(r * r for r in residuals) / (n - 2)) if n > 2 else 0.0
    data, lower, upper = [], [], []
    for step in range(1, periods + 1):
        x = n - 1 + step
        point = intercept + slope * x
        half = Z_95 * s * math.sqrt(1 + 1 / n + (x - mean_x) ** 2 / sxx)
        data.append(point)
        lower.append(point - half)
        upper.append(point + half)
    return Forecast(data, lower, upper, n)
