"""Heatmap: events (or distinct persons) per local weekday × hour of day.

``data[d][h]`` counts the matching events of ``[date_from, date_to]`` whose local time
(in the project timezone) falls on ISO weekday ``d + 1`` (Monday = 0) and hour ``h``;
with ``math: "persons"`` it counts distinct persons (after identity merges) per cell
(counting events needs no identity join unless a filter or cohort reads persons).
Cells without events are 0. One SQL statement returns at most 168 rows.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator
from sqlglot import exp

from heron.query.registry import QuerySpec, register
from heron.query.runner import Runner
from heron.query.source import event_rows, person_id, reads_persons, without_identity

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HOURS = tuple(range(24))


class HeatmapQuery(QuerySpec):
    kind: Literal["HeatmapQuery"] = "HeatmapQuery"
    event: str | None = Field(default=None, min_length=1, max_length=200)
    math: Literal["total", "persons"] = "total"

    @model_validator(mode="after")
    def _no_breakdown(self) -> HeatmapQuery:
        if self.breakdown is not None:
            raise ValueError("HeatmapQuery does not take a breakdown")
        return self


@register(HeatmapQuery)
def run(spec: HeatmapQuery, runner: Runner) -> dict[str, Any]:
    ctx = runner.ctx
    rng = ctx.time_range(spec.date_from, spec.date_to)
    local = ctx.local_time(exp.column("timestamp", "e"), rng)
    rows = event_rows(
        ctx,
        rng,
        events=[spec.event] if spec.event is not None else None,
        filters=spec.filters,
        cohort=spec.cohort,
    ).select(
        exp.alias_(exp.DayOfWeekIso(this=local), "weekday"),
        exp.alias_(exp.Extract(this=exp.var("HOUR"), expression=local.copy()), "hour"),
    )
    measure: exp.Expression = exp.Count(this=exp.Star())
    if spec.math == "persons":
        rows = rows.select(exp.alias_(person_id(ctx), "person"))
        measure = exp.Count(this=exp.Distinct(expressions=[exp.column("person")]))
    elif not reads_persons(spec.filters, spec.cohort):
        without_identity(rows)
    query = (
        exp.select("weekday", "hour", exp.alias_(measure, "value"))
        .from_(rows.subquery("matched"))
        .group_by("weekday", "hour")
    )
    data = [[0] * len(HOURS) for _ in WEEKDAYS]
    for row in runner.execute(query).to_pylist():
        data[int(row["weekday"]) - 1][int(row["hour"])] = int(row["value"])
    return {
        "weekdays": list(WEEKDAYS),
        "hours": list(HOURS),
        "data": data,
        "max": max(max(day) for day in data),
    }
