"""Stickiness: how many persons were active on exactly k of the range's intervals.

For each series, ``data[k - 1]`` counts the persons (after identity merges) with at least
one matching event in exactly ``k`` distinct intervals (local days or Monday weeks) of
``[date_from, date_to]``; ``days`` is ``[1 … N]`` for the range's N intervals. One SQL
statement per series returns at most N rows. Daily stickiness over up to 512 days counts
the set bits of each person's mask of active days (:mod:`heron.analysis.active_masks`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator
from sqlglot import exp

from heron.analysis import active_masks as masks
from heron.analysis.trends import EventSeries
from heron.query import dates
from heron.query.context import QueryContext, TimeRange
from heron.query.registry import QuerySpec, register
from heron.query.runner import Runner
from heron.query.source import event_rows, person_id, reads_persons


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
    )
    origin = dates.truncate(rng.start_local, "day")
    words = masks.words_for(rng.end_local - origin)
    if spec.interval == "day" and words <= masks.MAX_WORDS:
        return _from_masks(ctx, spec, series, rows, rng, origin, words)
    ts = exp.column("timestamp", "e")
    rows = rows.select(
        exp.alias_(person_id(ctx), "person"),
        exp.alias_(ctx.dialect.trunc(spec.interval, ctx.local_time(ts, rng)), "bucket"),
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
    return _histogram(per_person)


def _from_masks(
    ctx: QueryContext,
    spec: StickinessQuery,
    series: EventSeries,
    rows: exp.Select,
    rng: TimeRange,
    origin: datetime,
    words: int,
) -> exp.Select:
    """Active days per person as the set bits of masks of local days
    (:func:`heron.analysis.active_masks.person_masks`): one ``GROUP BY`` per stored person
    instead of a distinct count of days per person after identity merges."""
    filters = [*spec.filters, *series.filters]
    resolve = not reads_persons(filters, spec.cohort)
    persons = masks.masks_of_rows(ctx, rows, rng, origin, words, resolve=resolve)
    days = [ctx.dialect.bit_count(exp.column(masks.mask_column(w))) for w in range(words)]
    total = days[0]
    for part in days[1:]:
        total = exp.Add(this=total, expression=part)
    return _histogram(exp.select(exp.alias_(total, "intervals")).from_(persons.subquery("p")))


def _histogram(per_person: exp.Select) -> exp.Select:
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
