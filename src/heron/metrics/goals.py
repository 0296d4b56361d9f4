"""Goal completion rate (seed 003): goals completed in a bucket ÷ goals active in it.

A goal (``goal_id``) is active from its first ``goal_created`` until its first
``goal_completed`` or ``goal_abandoned`` (inclusive: a goal ending in a bucket was
active in it). A breakdown reads the property from the ``goal_created`` event (or the
person). SQL reduces the events to one row per goal; the counts per bucket come from
sorted times.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import datetime
from typing import Any

from sqlglot import exp

from heron.metrics.computed import (
    MetricRun,
    Values,
    breakdown_columns,
    first_time,
    history,
    in_names,
    ratio,
)
from heron.query.properties import property_expr

GOAL = "goal_id"


def goal_rows(run: MetricRun) -> list[dict[str, Any]]:
    d = run.ctx.dialect
    stages = ("goal_created", "goal_completed", "goal_abandoned")
    kinds = [n for c in stages for n in run.names.names(c)]
    columns = [
        exp.alias_(first_time(run, "goal_created"), "created"),
        exp.alias_(first_time(run, "goal_completed"), "completed"),
        exp.alias_(first_time(run, "goal_abandoned"), "abandoned"),
        *breakdown_columns(run, in_names(run.names.names("goal_created"))),
    ]
    query = (
        history(run, kinds)
        .select(exp.alias_(property_expr(d, GOAL), "goal"), *columns)
        .where(property_expr(d, GOAL).is_(exp.null()).not_())
        .group_by(exp.column("goal"))
    )
    return run.rows(query)


def _naive(value: Any) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=None) if isinstance(value, datetime) else value


def _end(row: dict[str, Any]) -> datetime | None:
    """When a goal stopped being active: completed or abandoned, whichever came first."""
    ends = [t for t in (_naive(row["completed"]), _naive(row["abandoned"])) if t is not None]
    return min(ends, default=None)


def goal_completion_rate(run: MetricRun) -> Values:
    run.day_grain("goal_completion_rate")
    groups: dict[Any, list[dict[str, Any]]] = {}
    for row in goal_rows(run):
        if row["created"] is None:
            continue
        groups.setdefault(row.get("bv") if run.breakdown else None, []).append(row)
    if run.breakdown is None:
        groups.setdefault(None, [])
    out: Values = {}
    bounds = run.bounds()
    for key, rows in groups.items():
        created = sorted(t for r in rows if (t := _naive(r["created"])) is not None)
        ends = sorted(t for r in rows if (t := _end(r)) is not None)
        completed = sorted(t for r in rows if (t := _naive(r["completed"])) is not None)
        values = []
        for lo, hi in bounds:
            active = bisect_left(created, hi) - bisect_left(ends, lo)
            done = bisect_left(completed, hi) - bisect_left(completed, lo)
            values.append(ratio(done, active))
        out[key] = values
    return out
