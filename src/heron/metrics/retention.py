"""Signup-cohort metrics: D1 / D7 / D30 retention and activation rate.

A person's cohort day is the local day of their first-ever ``signup``; the cohort of a
bucket is everyone whose first signup falls in it (and in the range). Retention DN is
the share of the cohort active (any active event) exactly on day N after the signup
day; the "on or after" variant counts anyone active on any day from N on. Activation
rate is the share who do the ``activated`` event within 7 days (inclusive) of signup.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from sqlglot import exp

from heron.analysis.intervals import BUCKET
from heron.metrics.computed import (
    ComputeFn,
    MetricRun,
    Values,
    active_condition,
    in_names,
    ratio,
    ts_at_least,
    ts_before,
)
from heron.query import dates
from heron.query.source import event_rows, person_id

ACTIVATION_WINDOW = timedelta(days=7)
OFFSET_DAYS = 64
"""Days after signup that the shared offsets of DN retention hold (one 64-bit mask)."""


def _cohort(run: MetricRun) -> exp.Select:
    """``person, first_ts, day`` of persons whose first signup is in the range."""
    ctx, d = run.ctx, run.ctx.dialect
    ts = exp.column("timestamp", "e")
    firsts = (
        event_rows(ctx, None, filters=run.filters, cohort=run.cohort)
        .where(in_names(run.names.names("signup")))
        .select(exp.alias_(person_id(ctx), "person"), exp.alias_(exp.Min(this=ts), "first_ts"))
        .group_by(exp.column("person"))
    )
    first = exp.column("first_ts")
    local = ctx.local_time(first, run.rng)
    return (
        exp.select("person", "first_ts", exp.alias_(d.trunc("day", local), "day"))
        .from_(firsts.subquery("f"))
        .where(exp.GTE(this=first.copy(), expression=d.timestamp(run.rng.start_utc)))
        .where(exp.LT(this=first.copy(), expression=d.timestamp(run.rng.end_utc)))
    )


def _active_days(run: MetricRun, skip_days: int = 0) -> exp.Select:
    """Distinct ``(person, local day)`` of active events from the range start on.

    A DN retention only looks at activity N days after a signup in the range, so it passes
    ``skip_days = N``: the scan then starts ``N - 1`` days after the range start (a day of
    margin for the offset changes between local and UTC days).
    """
    ctx, d = run.ctx, run.ctx.dialect
    since = run.rng.start_utc + timedelta(days=max(skip_days - 1, 0))
    horizon = ctx.local_range(run.rng.start_local, max(run.rng.end_local, _local_now(run)))
    local = ctx.local_time(exp.column("timestamp", "e"), horizon)
    return (
        event_rows(ctx, None, filters=run.filters)
        .where(active_condition(run))
        .where(ts_at_least(run, since))
        .select(exp.alias_(person_id(ctx), "person"), exp.alias_(d.trunc("day", local), "day"))
        .distinct()
    )


def _local_now(run: MetricRun) -> datetime:
    return run.local(run.ctx.now) + timedelta(days=1)


def _bucketed(run: MetricRun, cohort_hits: exp.Select) -> Values:
    """Group ``(day, hit)`` rows by bucket: hits ÷ cohort size."""
    d = run.ctx.dialect
    query = (
        exp.select(
            exp.alias_(d.trunc(run.buckets.interval, exp.column("day")), "bucket"),
            exp.alias_(exp.Count(this=exp.Star()), "size"),
            exp.alias_(exp.Sum(this=exp.column("hit")), "hits"),
        )
        .from_(cohort_hits.subquery("h"))
        .group_by(exp.column("bucket"))
    )
    values = run.empty()
    for row in run.rows(query):
        i = run.buckets.position(row)
        if i is not None:
            values[i] = ratio(float(row["hits"] or 0), float(row["size"] or 0))
    return {None: values}


def _offsets(run: MetricRun) -> exp.Select:
    """``(day, mask, value)``: persons of the cohort by signup day and by the days after
    it they were active on (bit ``k``: active on day ``k`` after the signup day, ``k`` <
    :data:`OFFSET_DAYS`).

    D1, D7 and D30 of one range compile to this same statement, which the service runs
    once for all of them (:mod:`heron.query.shared`).
    """
    d = run.ctx.dialect
    cohort, active = exp.column("day", "c"), exp.column("day", "a")
    offset = exp.DateDiff(this=active, expression=cohort, unit=exp.Var(this="DAY"))
    inside = exp.and_(
        exp.GTE(this=offset, expression=exp.Literal.number(0)),
        exp.LT(this=offset.copy(), expression=exp.Literal.number(OFFSET_DAYS)),
    )
    bit = exp.Case().when(inside, d.uint64_bit(offset.copy())).else_(d.parse(d.uint64_zero))
    persons = (
        exp.select(cohort.copy(), exp.alias_(exp.BitwiseOrAgg(this=bit), "mask"))
        .from_(_cohort(run).subquery("c"))
        .join(
            _active_days(run, 1).subquery("a"),
            on=exp.column("person", "a").eq(exp.column("person", "c")),
            join_type="left",
        )
        .group_by(exp.column("person", "c"), cohort.copy())
    )
    return (
        exp.select("day", "mask", exp.alias_(exp.Count(this=exp.Star()), "value"))
        .from_(persons.subquery("p"))
        .group_by("day", "mask")
    )


def _on_day(run: MetricRun, days: int) -> Values:
    """DN retention from the shared offsets: hits ÷ cohort size per bucket."""
    table = run.runner.execute(_offsets(run), shared=True)
    encoded = table.column("day").combine_chunks().dictionary_encode()
    codes = encoded.indices.to_numpy()
    value = table.column("value").to_numpy().astype(np.float64)
    seen = (table.column("mask").to_numpy().astype(np.uint64) >> np.uint64(days)) & np.uint64(1)
    per_day = len(encoded.dictionary)
    sizes = np.bincount(codes, weights=value, minlength=per_day)
    hits = np.bincount(codes, weights=value * seen, minlength=per_day)
    size, hit = run.empty(), run.empty()
    for day, n, h in zip(encoded.dictionary.to_pylist(), sizes, hits, strict=True):
        i = run.buckets.position({BUCKET: dates.truncate(day, run.buckets.interval)})
        if i is not None:
            size[i] += float(n)
            hit[i] += float(h)
    return {None: [ratio(h, n) for h, n in zip(hit, size, strict=True)]}


def retention(days: int, *, or_after: bool) -> ComputeFn:
    def compute(run: MetricRun) -> Values:
        run.no_breakdown("retention")
        run.day_grain("retention")
        if not or_after and days < OFFSET_DAYS:
            return _on_day(run, days)
        width = exp.Interval(this=exp.Literal.number(days), unit=exp.Var(this="DAY"))
        cohort = _cohort(run).select(
            exp.alias_(exp.Add(this=exp.column("day"), expression=width), "target")
        )
        active = _active_days(run, days)
        if or_after:
            latest = (
                exp.select("person", exp.alias_(exp.Max(this=exp.column("day")), "last_day"))
                .from_(active.subquery("a"))
                .group_by("person")
            )
            hit = exp.If(
                this=exp.GTE(
                    this=exp.column("last_day", "m"), expression=exp.column("target", "c")
                ),
                true=exp.Literal.number(1),
                false=exp.Literal.number(0),
            )
            joined = (
                exp.select(exp.column("day", "c"), exp.alias_(hit, "hit"))
                .from_(cohort.subquery("c"))
                .join(
                    latest.subquery("m"),
                    on=exp.column("person", "m").eq(exp.column("person", "c")),
                    join_type="left",
                )
            )
        else:
            marked = exp.select("person", "day", exp.alias_(exp.Literal.number(1), "seen")).from_(
                active.subquery("a")
            )
            joined = (
                exp.select(
                    exp.column("day", "c"),
                    exp.alias_(
                        exp.func("COALESCE", exp.column("seen", "m"), exp.Literal.number(0)), "hit"
                    ),
                )
                .from_(cohort.subquery("c"))
                .join(
                    marked.subquery("m"),
                    on=exp.and_(
                        exp.column("person", "m").eq(exp.column("person", "c")),
                        exp.column("day", "m").eq(exp.column("target", "c")),
                    ),
                    join_type="left",
                )
            )
        return _bucketed(run, joined)

    return compute


def activation_rate(run: MetricRun) -> Values:
    run.no_breakdown("activation_rate")
    run.day_grain("activation_rate")
    ctx = run.ctx
    ts = exp.column("timestamp", "e")
    acts = (
        event_rows(ctx, None, filters=run.filters)
        .where(in_names(run.names.names("activated")))
        .where(ts_at_least(run, run.rng.start_utc))
        .where(ts_before(run, run.rng.end_utc + ACTIVATION_WINDOW))
        .select(exp.alias_(person_id(ctx), "person"), exp.alias_(ts, "ts"))
    )
    seconds = exp.Interval(
        this=exp.Literal.number(int(ACTIVATION_WINDOW.total_seconds())), unit=exp.Var(this="SECOND")
    )
    within = exp.and_(
        exp.GTE(this=exp.column("ts", "a"), expression=exp.column("first_ts", "c")),
        exp.LTE(
            this=exp.column("ts", "a"),
            expression=exp.Add(this=exp.column("first_ts", "c"), expression=seconds),
        ),
    )
    flag = exp.Max(
        this=exp.If(this=within, true=exp.Literal.number(1), false=exp.Literal.number(0))
    )
    per_person = (
        exp.select(exp.column("person", "c"), exp.column("day", "c"), exp.alias_(flag, "hit"))
        .from_(_cohort(run).subquery("c"))
        .join(
            acts.subquery("a"),
            on=exp.column("person", "a").eq(exp.column("person", "c")),
            join_type="left",
        )
        .group_by(exp.column("person", "c"), exp.column("day", "c"))
    )
    return _bucketed(run, per_person)
