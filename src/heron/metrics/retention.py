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

from heron.analysis import active_masks as masks
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
MAX_DN = 30
"""The largest N whose DN retention reads the cohort activity shared by D1, D7 and D30."""


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


def _activity(run: MetricRun) -> tuple[exp.Select, datetime] | None:
    """``(day, mask_0, …, value)``: persons of the cohort by signup day and by their
    active local days from the range start (bit ``i``: active on the start day + ``i``),
    through :data:`MAX_DN` days after the range; and the day of bit 0. ``None`` when that
    span needs more than :data:`~heron.analysis.active_masks.MAX_WORDS` words.

    D1, D7 and D30 of one range compile to this same statement, which the service runs
    once for all of them (:mod:`heron.query.shared`). The masks are grouped by stored
    person before identity merges are applied (see :func:`~heron.analysis.active_masks.
    person_masks`).
    """
    ctx = run.ctx
    origin = dates.truncate(run.rng.start_local, "day")
    last = dates.truncate(run.rng.end_local - timedelta(microseconds=1), "day")
    words = masks.words_for(last - origin + timedelta(days=MAX_DN + 1))
    if words > masks.MAX_WORDS:
        return None
    source = ctx.local_range(origin, origin + timedelta(days=words * masks.WORD_DAYS))
    rows = event_rows(ctx, source, filters=run.filters).where(active_condition(run))
    resolve = not any(f.type == "person" for f in run.filters)
    persons = masks.masks_of_rows(ctx, rows, source, origin, words, resolve=resolve)
    columns = [exp.column(masks.mask_column(w), "m") for w in range(words)]
    statement = (
        exp.select(
            exp.column("day", "c"), *columns, exp.alias_(exp.Count(this=exp.Star()), "value")
        )
        .from_(_cohort(run).subquery("c"))
        .join(
            persons.subquery("m"),
            on=exp.column(masks.PERSON, "m").eq(exp.column("person", "c")),
            join_type="left",
        )
        .group_by(exp.column("day", "c"), *(c.copy() for c in columns))
    )
    return statement, origin


def _on_day(run: MetricRun, days: int) -> Values | None:
    """DN retention from the shared cohort activity: hits ÷ cohort size per bucket."""
    found = _activity(run)
    if found is None:
        return None
    statement, origin = found
    table = run.runner.execute(statement, shared=True)
    day = table.column("day").combine_chunks()
    since = day.to_numpy(zero_copy_only=False).astype("datetime64[us]") - np.datetime64(origin)
    target = since // np.timedelta64(1, "D") + days
    words = [name for name in table.column_names if name.startswith(f"{masks.MASK}_")]
    stacked = np.column_stack(
        [table.column(w).fill_null(0).to_numpy().astype(np.uint64) for w in words]
    )
    word = np.clip(target // masks.WORD_DAYS, 0, len(words) - 1)
    chosen = np.take_along_axis(stacked, word[:, None], axis=1)[:, 0]
    shift = (target % masks.WORD_DAYS).astype(np.uint64)
    inside = (target >= 0) & (target < len(words) * masks.WORD_DAYS)
    seen = inside & (((chosen >> shift) & np.uint64(1)) == 1)
    value = table.column("value").to_numpy().astype(np.float64)
    encoded = day.dictionary_encode()
    codes = encoded.indices.to_numpy()
    per_day = len(encoded.dictionary)
    sizes = np.bincount(codes, weights=value, minlength=per_day)
    hits = np.bincount(codes, weights=value * seen, minlength=per_day)
    size, hit = run.empty(), run.empty()
    for moment, n, h in zip(encoded.dictionary.to_pylist(), sizes, hits, strict=True):
        i = run.buckets.position({BUCKET: dates.truncate(moment, run.buckets.interval)})
        if i is not None:
            size[i] += float(n)
            hit[i] += float(h)
    return {None: [ratio(h, n) for h, n in zip(hit, size, strict=True)]}


def retention(days: int, *, or_after: bool) -> ComputeFn:
    def compute(run: MetricRun) -> Values:
        run.no_breakdown("retention")
        run.day_grain("retention")
        shared = None if or_after or days > MAX_DN else _on_day(run, days)
        if shared is not None:
            return shared
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
