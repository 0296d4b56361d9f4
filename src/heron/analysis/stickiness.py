"""Stickiness: how many persons were active on exactly k of the range's intervals.

For each series, ``data[k - 1]`` counts the persons (after identity merges) with at least
one matching event in exactly ``k`` distinct intervals (local days or Monday weeks) of
``[date_from, date_to]``; ``days`` is ``[1 … N]`` for the range's N intervals. One SQL
statement per series returns at most N rows.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator
from sqlglot import exp

from heron.analysis.trends import EventSeries
from heron.query.context import QueryContext, TimeRange
from heron.query.registry import QuerySpec, register
from heron.query.runner import Runner
from heron.query.source import event_rows, person_id


class StickinessQuery(QuerySpec):
    kind: Literal["StickinessQuery"] = "StickinessQuery"
    series: list[EventSeries] = Field(min_length=1, max_length=26)
    interval: Literal["day", "week"] = "day"

    @model_validator(mode="after")
    def _no_breakdown(self) -> StickinessQuery:
        if self.breakdown is not None:
            raise ValueError("StickinessQuery does not take a breakdown")
        return self


def compile_series(
    ctx: QueryContext, spec: StickinessQuery, series: EventSeries, rng: TimeRange
) -> exp.Select:
    """``(intervals, persons)``: persons per number of active intervals."""
    rows = event_rows(
        ctx,
        rng,
        events=[series.event] if series.event is not None else None,
        filters=[*spec.filters, *series.filters],
        cohort=spec.cohort,
    ).select(
        exp.alias_(person_id(ctx), "person"),
        exp.alias_(
            ctx.dialect.trunc(spec.interval, ctx.local_time(exp.column("timestamp", "e"), rng)),
            "bucket",
        ),
    )
    per_person = (
        exp.select(
            "person",
            exp.alias_(
                exp.Count(this=exp.Distinct(expressions=[exp.column("bucket")])), "intervals"
            ),
        )
        .from_(rows.subquery("matched"))
        .group_by("person")
    )
    return (
        exp.select("intervals", exp.alias_(exp.Count(this=exp.Star()), "persons"))
        .from_(per_person.subquery("per_person"))
        .group_by("intervals")
    )


@register(StickinessQuery)
def run(spec: StickinessQuery, runner: Runner) -> list[dict[str, Any]]:
    ctx = runner.ctx
    rng = ctx.time_range(spec.date_from, spec.date_to)
    count = len(rng.interval_starts(spec.interval))
    results = []
    for series in spec.series:
        data = [0] * count
        table = runner.execute(compile_series(ctx, spec, series, rng))
        for row in table.to_pylist():
            if 1 <= row["intervals"] <= count:
                data[row["intervals"] - 1] = row["persons"]
        results.append(
            {
                "label": series.label,
                "days": list(range(1, count + 1)),
                "data": data,
                "count": sum(data),
            }
        )
    return results
