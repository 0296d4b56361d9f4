"""Funnels: how many persons go through a sequence of steps within a conversion window.

Semantics (CONTRACTS.md, FunnelsQuery), over the project's events in
``[date_from, date_to]``, per person after identity merges:

- ``ordered`` (default): exactly ClickHouse ``windowFunnel(window, 'strict_once')``
  (plus ``'strict_increase'`` when asked): a chain starts at a step-1 event; a step-k
  event extends a chain at step k-1 when it is not earlier than that chain's last step
  (equal timestamps count, in step order; strictly later with ``strict_increase``) and
  at most the window after the chain's start; one event fills at most one step of a
  chain. A person's level is their deepest chain.
- ``strict``: ``windowFunnel(window, 'strict_once', 'strict_order')`` over the events
  named by the steps: after a person's first step-1 event, an event of a step's name that
  matches no step (e.g. fails the step's filters), or a step more than one past the
  deepest level reached so far, ends the person's funnel where it stands.
- ``unordered``: the steps in any order within one window; step k counts persons who
  completed at least k of the steps (see :mod:`heron.analysis.funnels_sql`). No
  conversion times, exclusions or ``time_to_convert``.

Each step's ``count`` is the persons whose level is at least its number;
``conversion_rate`` is relative to step 1, ``conversion_from_previous`` to the step
before. Conversion times are measured on each person's *reported chain*: among the
chains reaching their level, the one starting last, each step at its earliest possible
time; ``median``/``average_seconds_to_convert`` of step k are over the persons reaching
k, from their step k-1 to step k. Exclusions, first-touch breakdown values and the
``trends`` units are defined in :mod:`heron.analysis.funnels_sql`.

``funnel_viz``: ``steps`` (above); ``trends``: per interval of the chain start, the units
(person × interval, step 1 restricted to that interval) entered and the share that
reached the last step; ``time_to_convert``: a histogram of the seconds from step 1 to
the last step of the persons who converted. ``persons`` lists the persons who reached a
step (``converted``) or stopped just before it (``dropped``) instead.

Results: ``steps`` gives ``{"steps": [...], "breakdown_value": None}``; ``trends`` gives
``{"labels", "data" (converted / entered), "entered", "converted", "breakdown_value"}``;
``time_to_convert`` gives ``{"bins": [[start_seconds, persons], ...],
"average_conversion_time", "median_conversion_time", "converted", "breakdown_value"}``.
With a breakdown each is a list, one entry per value (most units first, ``"$other"`` and
``"$none"`` last). ``persons`` gives ``{"persons": [person ids, in text order],
"has_more"}``.

All aggregation runs in one SQL statement per query; the per-person folds are described
in :mod:`heron.analysis.funnels_fold`.
"""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa

from heron.analysis import funnels_queries as queries
from heron.analysis.funnels_queries import NONE, OTHER
from heron.analysis.funnels_spec import (
    ConversionWindow,
    FunnelExclusion,
    FunnelPersons,
    FunnelsQuery,
    FunnelStep,
)
from heron.analysis.funnels_sql import FunnelSQL
from heron.query.registry import register
from heron.query.runner import Runner

__all__ = [
    "ConversionWindow",
    "FunnelExclusion",
    "FunnelPersons",
    "FunnelStep",
    "FunnelsQuery",
    "run",
]

Result = dict[str, Any] | list[dict[str, Any]]


@register(FunnelsQuery)
def run(spec: FunnelsQuery, runner: Runner) -> Result:
    ctx = runner.ctx
    rng = ctx.time_range(spec.date_from, spec.date_to)
    if spec.persons is not None:
        return _persons(
            FunnelSQL(ctx, spec.model_copy(update={"funnel_viz": "steps"}), rng),
            runner,
            spec.persons,
        )
    sql = FunnelSQL(ctx, spec, rng)
    if spec.funnel_viz == "trends":
        return _trends(sql, runner.execute(queries.trends(sql)))
    if spec.funnel_viz == "time_to_convert":
        return _time_to_convert(spec, runner.execute(queries.time_to_convert(sql, spec.bins)))
    return _steps(spec, runner.execute(queries.steps(sql)))


def _ordered(entries: dict[str | None, Any], size: Any) -> list[str | None]:
    special = {OTHER: 1, NONE: 2}
    return sorted(entries, key=lambda v: (special.get(v or "", 0), -size(v), str(v)))


def _single_or_list(
    spec: FunnelsQuery, entries: list[dict[str, Any]], empty: dict[str, Any]
) -> Result:
    if spec.breakdown is not None:
        return entries
    return entries[0] if entries else empty


def _steps(spec: FunnelsQuery, table: pa.Table) -> Result:
    rows = {row["breakdown_value"]: row for row in table.to_pylist()}
    entries = [
        {"steps": _step_list(spec, rows[value]), "breakdown_value": value}
        for value in _ordered(rows, lambda v: rows[v]["c1"])
        if rows[value]["c1"]
    ]
    return _single_or_list(spec, entries, {"steps": _step_list(spec, {}), "breakdown_value": None})


def _step_list(spec: FunnelsQuery, row: dict[str, Any]) -> list[dict[str, Any]]:
    counts = [int(row.get(f"c{j}") or 0) for j in range(1, len(spec.steps) + 1)]
    steps = []
    for j, step in enumerate(spec.steps, start=1):
        count, first = counts[j - 1], counts[0]
        previous = counts[j - 2] if j > 1 else first
        steps.append(
            {
                "event": step.event,
                "name": step.name or step.event,
                "count": count,
                "conversion_rate": count / first if first else 0.0,
                "conversion_from_previous": count / previous if previous else 0.0,
                "median_seconds_to_convert": _seconds(row.get(f"m{j}")),
                "average_seconds_to_convert": _seconds(row.get(f"a{j}")),
            }
        )
    return steps


def _seconds(value: Any) -> float | None:
    """A mean or median of seconds; ClickHouse gives NaN where DuckDB gives NULL (no rows)."""
    return None if value is None or math.isnan(value) else float(value)


def _trends(sql: FunnelSQL, table: pa.Table) -> Result:
    buckets = sql.buckets
    assert buckets is not None
    series: dict[str | None, dict[str, list[int]]] = {}
    for row in table.to_pylist():
        position = buckets.position(row)
        if position is None:
            continue
        data = series.setdefault(
            row["breakdown_value"],
            {"entered": [0] * len(buckets), "converted": [0] * len(buckets)},
        )
        data["entered"][position] = int(row["entered"])
        data["converted"][position] = int(row["converted"])
    entries = [
        {
            "breakdown_value": value,
            "labels": list(buckets.labels),
            "data": [
                c / e if e else 0.0 for c, e in zip(data["converted"], data["entered"], strict=True)
            ],
            "entered": data["entered"],
            "converted": data["converted"],
        }
        for value in _ordered(series, lambda v: sum(series[v]["entered"]))
        for data in [series[value]]
    ]
    empty: dict[str, Any] = {
        "breakdown_value": None,
        "labels": list(buckets.labels),
        "data": [0.0] * len(buckets),
        "entered": [0] * len(buckets),
        "converted": [0] * len(buckets),
    }
    return _single_or_list(sql.spec, entries, empty)


def _time_to_convert(spec: FunnelsQuery, table: pa.Table) -> Result:
    per_value: dict[str | None, dict[str, Any]] = {}
    for row in table.to_pylist():
        entry = per_value.setdefault(row["breakdown_value"], {"counts": [0] * spec.bins})
        entry["lo"], entry["width"] = float(row["bin_lo"]), float(row["bin_width"])
        entry["total"] = int(row["total_n"])
        entry["average"], entry["median"] = float(row["mean_s"]), float(row["median_s"])
        entry["counts"][int(row["bin"])] = int(row["n"])
    entries = [
        {
            "breakdown_value": value,
            "bins": [[e["lo"] + i * e["width"], n] for i, n in enumerate(e["counts"])],
            "average_conversion_time": e["average"],
            "median_conversion_time": e["median"],
            "converted": e["total"],
        }
        for value in _ordered(per_value, lambda v: per_value[v]["total"])
        for e in [per_value[value]]
    ]
    empty: dict[str, Any] = {
        "breakdown_value": None,
        "bins": [],
        "average_conversion_time": None,
        "median_conversion_time": None,
        "converted": 0,
    }
    return _single_or_list(spec, entries, empty)


def _persons(sql: FunnelSQL, runner: Runner, request: FunnelPersons) -> dict[str, Any]:
    table = runner.execute(
        queries.persons(
            sql,
            request.step,
            request.status == "dropped",
            request.breakdown_value,
            request.limit + 1,
            request.offset,
        )
    )
    ids = [str(p) for p in table.column("p").to_pylist()]
    return {"persons": ids[: request.limit], "has_more": len(ids) > request.limit}
