"""Lifecycle: per interval, how many persons were new, returning, resurrecting or dormant.

Definitions, over the persons (after identity merges) doing the query's ``event`` (with
its filters; ``None`` = any event), with intervals in the project timezone:

- ``new``: the person's first-ever matching event (over all their data, not only the
  range) falls in this interval;
- ``returning``: active in this interval and in the previous one;
- ``resurrecting``: active in this interval, not in the previous one, and active before;
- ``dormant``: active in the previous interval but not in this one, reported as a
  negative number (as PostHog does).

Intervals are whole: the first starts at the truncation of ``date_from`` (a Monday or
the 1st of the month) and the one before it decides the first interval's statuses; the
last is cut at ``date_to``. A scan of the older events tells first-timers from returning
persons. When the range and the interval before it fit in masks of local days
(:mod:`heron.analysis.lifecycle_masks`, up to 512 days), one SQL statement returns each
distinct mask of active days with its number of persons and numpy counts the statuses;
longer spans use a statement that sorts each person's active intervals and compares each
with its neighbours (``LAG`` / ``LEAD``), returning one row of counts per interval.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import Field, model_validator
from sqlglot import exp

from heron.analysis import lifecycle_masks
from heron.analysis.intervals import Buckets, as_datetime
from heron.query import dates
from heron.query.context import QueryContext, TimeRange
from heron.query.registry import QuerySpec, register
from heron.query.runner import Runner
from heron.query.source import event_rows, person_id, reads_persons

LifecycleInterval = Literal["day", "week", "month"]
_FAR_PAST = datetime(1971, 1, 1)
_FAR_FUTURE = datetime(2100, 1, 1)


class LifecycleQuery(QuerySpec):
    kind: Literal["LifecycleQuery"] = "LifecycleQuery"
    event: str | None = Field(default=None, min_length=1, max_length=200)
    interval: LifecycleInterval = "day"

    @model_validator(mode="after")
    def _no_breakdown(self) -> LifecycleQuery:
        if self.breakdown is not None:
            raise ValueError("LifecycleQuery does not take a breakdown")
        return self


def _previous_start(start: datetime, interval: LifecycleInterval) -> datetime:
    if interval == "month":
        return dates.add_months(start, -1)
    return start - timedelta(days=7 if interval == "week" else 1)


def _wide(ctx: QueryContext, buckets: Buckets, interval: LifecycleInterval) -> TimeRange:
    """The range with the interval before it (which decides the first interval's statuses)."""
    return ctx.local_range(_previous_start(buckets.keys[0], interval), buckets.rng.end_local)


def _matching(ctx: QueryContext, spec: LifecycleQuery, window: TimeRange | None) -> exp.Select:
    return event_rows(
        ctx,
        window,
        events=[spec.event] if spec.event is not None else None,
        filters=spec.filters,
        cohort=spec.cohort,
    )


def _older(ctx: QueryContext, spec: LifecycleQuery, wide: TimeRange) -> exp.Select:
    """The persons with a matching event before ``wide``: they are never new in it."""
    ts = exp.column("timestamp", "e")
    return (
        _matching(ctx, spec, None)
        .where(exp.LT(this=ts, expression=ctx.dialect.timestamp(wide.start_utc)))
        .select(exp.alias_(person_id(ctx), "person"))
        .distinct()
    )


def compile_from_masks(
    ctx: QueryContext, spec: LifecycleQuery, wide: TimeRange, words: int
) -> exp.Select:
    """``(mask_0, …, seen_before, value)`` rows for :func:`lifecycle_masks.statuses` over
    ``wide`` (:func:`_wide`). Without person filters or a cohort, masks are ORed per stored
    person before identity merges."""
    resolve = not reads_persons(spec.filters, spec.cohort)
    rows = _matching(ctx, spec, wide)
    older = _older(ctx, spec, wide)
    return lifecycle_masks.compile_statuses(ctx, rows, wide, older, words, resolve=resolve)


def compile_lifecycle(ctx: QueryContext, spec: LifecycleQuery, buckets: Buckets) -> exp.Select:
    """``(bucket, new_count, returning_count, resurrecting_count, leaving_count)``.

    Rows cover the interval before the range and the range's own; ``leaving_count`` counts
    persons active in a bucket but not in the next one (the next bucket's dormant). Each
    person's active buckets come sorted with their neighbours (``LAG`` / ``LEAD``, with
    far-away defaults instead of NULLs, which ClickHouse lacks for non-nullable columns).
    """
    d = ctx.dialect
    interval: LifecycleInterval = spec.interval
    wide = _wide(ctx, buckets, interval)
    ts = exp.column("timestamp", "e")
    active = (
        _matching(ctx, spec, wide)
        .select(
            exp.alias_(person_id(ctx), "person"),
            exp.alias_(d.trunc(interval, ctx.local_time(ts, wide)), "bucket"),
        )
        .distinct()
    )
    bucket = exp.column("bucket")
    step = exp.Interval(this=exp.Literal.number(1), unit=exp.Var(this=interval.upper()))

    def neighbour(function: str, default: datetime) -> exp.Expr:
        return exp.Window(
            this=exp.Anonymous(
                this=function,
                expressions=[bucket.copy(), exp.Literal.number(1), d.timestamp(default)],
            ),
            partition_by=[exp.column("person")],
            order=exp.Order(expressions=[exp.Ordered(this=bucket.copy())]),
        )

    marked = exp.select(
        "bucket",
        exp.alias_(neighbour("LAG", _FAR_PAST), "prev"),
        exp.alias_(neighbour("LEAD", _FAR_FUTURE), "next"),
        exp.alias_(
            exp.In(this=exp.column("person"), query=exp.select("person").from_("older").subquery()),
            "seen_before",
        ),
    ).from_("active")
    prev, after = exp.column("prev"), exp.column("next")
    first = exp.and_(prev.eq(d.timestamp(_FAR_PAST)), exp.Not(this=exp.column("seen_before")))
    adjacent = prev.copy().eq(exp.Sub(this=bucket.copy(), expression=step.copy()))
    conditions = {
        "new": first,
        "returning": adjacent,
        "resurrecting": exp.and_(
            exp.Not(this=adjacent.copy()), exp.Not(this=exp.Paren(this=first.copy()))
        ),
        "leaving": exp.Not(this=after.eq(exp.Add(this=bucket.copy(), expression=step.copy()))),
    }
    counts = [
        exp.alias_(
            exp.Sum(
                this=exp.Case().when(condition, exp.Literal.number(1)).else_(exp.Literal.number(0))
            ),
            f"{status}_count",
        )
        for status, condition in conditions.items()
    ]
    return (
        exp.select("bucket", *counts)
        .from_(marked.subquery("marked"))
        .group_by("bucket")
        .with_("active", as_=active)
        .with_("older", as_=_older(ctx, spec, wide))
    )


@register(LifecycleQuery)
def run(spec: LifecycleQuery, runner: Runner) -> dict[str, Any]:
    ctx = runner.ctx
    buckets = Buckets.build(ctx, ctx.time_range(spec.date_from, spec.date_to), spec.interval)
    wide = _wide(ctx, buckets, spec.interval)
    words = lifecycle_masks.mask_words(wide)
    if words is not None:
        table = runner.execute(compile_from_masks(ctx, spec, wide, words))
        counts = lifecycle_masks.statuses(table, wide, [wide.start_local, *buckets.keys])
        return {"labels": list(buckets.labels), **counts}
    return _from_windows(spec, runner, buckets)


def _from_windows(spec: LifecycleQuery, runner: Runner, buckets: Buckets) -> dict[str, Any]:
    """Statuses from :func:`compile_lifecycle` (spans too long for masks)."""
    counts = {status: buckets.zeros() for status in ("new", "returning", "resurrecting")}
    dormant = buckets.zeros()
    before = _previous_start(buckets.keys[0], spec.interval)
    for row in runner.execute(compile_lifecycle(runner.ctx, spec, buckets)).to_pylist():
        position = buckets.position(row)
        if position is None and as_datetime(row["bucket"]) != before:
            continue
        if position is not None:
            for status, values in counts.items():
                values[position] = int(row[f"{status}_count"])
        following = 0 if position is None else position + 1
        if following < len(dormant):
            dormant[following] = -int(row["leaving_count"])
    return {"labels": list(buckets.labels), **counts, "dormant": dormant}
