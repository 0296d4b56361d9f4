"""Average funding time (seed 004): median seconds from ``project_created`` to
``project_funded`` of the projects (``project_id``) funded in each bucket."""

from __future__ import annotations

from datetime import datetime
from statistics import median
from typing import Any

from sqlglot import exp

from heron.metrics.computed import MetricRun, Values, first_time, history
from heron.query.properties import property_expr


def average_funding_time(run: MetricRun) -> Values:
    run.no_breakdown("average_funding_time")
    run.day_grain("average_funding_time")
    key = property_expr(run.ctx.dialect, "project_id")
    names = [*run.names.names("project_created"), *run.names.names("project_funded")]
    query = (
        history(run, names)
        .where(key.is_(exp.null()).not_())
        .select(
            exp.alias_(key.copy(), "project"),
            exp.alias_(first_time(run, "project_created"), "created"),
            exp.alias_(first_time(run, "project_funded"), "funded"),
        )
        .group_by(exp.column("project"))
    )
    waits: list[list[float]] = [[] for _ in run.buckets.keys]
    for row in run.rows(query):
        created: Any = row["created"]
        funded: Any = row["funded"]
        if (
            not isinstance(created, datetime)
            or not isinstance(funded, datetime)
            or funded < created
        ):
            continue
        if funded.replace(tzinfo=None) < run.rng.start_utc:
            continue
        i = run.position(funded)
        if i is not None:
            waits[i].append((funded - created).total_seconds())
    return {None: [median(w) if w else 0.0 for w in waits]}
