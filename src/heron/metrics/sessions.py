"""Session metrics (METRICS.md, Engagement), per bucket of the session's first event.

A session is the events sharing a ``session_id``: ingestion assigns it (a client-sent
``$session_id`` wins; otherwise a gap of 30 minutes, the ``session_timeout_seconds``
setting, starts a new one). Only active events inside the range count, so a session
crossing the range edge is cut there; events without a session (server-side) are left
out. Duration = last − first event; a bounce is a session with exactly one ``pageview``
lasting under 10 seconds.
"""

from __future__ import annotations

from sqlglot import exp

from heron.analysis.intervals import Buckets
from heron.metrics.computed import (
    ComputeFn,
    MetricRun,
    Values,
    active_condition,
    epoch_ms,
    in_names,
    ratio,
)
from heron.query.source import event_rows, person_id

BOUNCE_MS = 10_000
SESSION_METRICS = (
    "sessions",
    "session_duration",
    "pages_per_session",
    "bounce_rate",
    "sessions_per_user",
    "active_minutes",
)


def _query(run: MetricRun) -> exp.Select:
    ctx, _d = run.ctx, run.ctx.dialect
    ts = exp.column("timestamp", "e")
    # COUNT, not SUM: DuckDB 2.0 mis-compares a SUM's HUGEINT after the identity join.
    pageview = exp.If(
        this=in_names(run.names.names("pageview")), true=exp.Literal.number(1), false=exp.null()
    )
    inner = (
        event_rows(ctx, run.rng, filters=run.filters, cohort=run.cohort)
        .where(active_condition(run))
        .where(exp.column("session_id", "e").is_(exp.null()).not_())
        .select(
            exp.alias_(exp.Min(this=person_id(ctx)), "person"),
            exp.alias_(exp.Min(this=ts.copy()), "first_ts"),
            exp.alias_(
                exp.Sub(
                    this=epoch_ms(run, exp.Max(this=ts.copy())),
                    expression=epoch_ms(run, exp.Min(this=ts.copy())),
                ),
                "duration_ms",
            ),
            exp.alias_(exp.Count(this=pageview), "pages"),
        )
        .group_by(exp.column("session_id", "e"))
    )
    buckets: Buckets = run.buckets
    bounce = exp.If(
        this=exp.and_(
            exp.column("pages").eq(1),
            exp.LT(this=exp.column("duration_ms"), expression=exp.Literal.number(BOUNCE_MS)),
        ),
        true=exp.Literal.number(1),
        false=exp.Literal.number(0),
    )
    names = buckets.group_names()
    columns = buckets.columns(ctx, exp.column("first_ts"), run.rng)
    per_session = exp.select(
        *columns, "person", "duration_ms", "pages", exp.alias_(bounce, "bounce")
    ).from_(inner.subquery("s"))
    return (
        exp.select(
            *names,
            exp.alias_(exp.Count(this=exp.Star()), "sessions"),
            exp.alias_(exp.Count(this=exp.Distinct(expressions=[exp.column("person")])), "persons"),
            exp.alias_(exp.Sum(this=exp.column("duration_ms")), "duration_ms"),
            exp.alias_(exp.Sum(this=exp.column("pages")), "pages"),
            exp.alias_(exp.Sum(this=exp.column("bounce")), "bounces"),
        )
        .from_(per_session.subquery("b"))
        .group_by(*names)
    )


def session_metric(name: str) -> ComputeFn:
    """The compute function of one session metric."""

    def compute(run: MetricRun) -> Values:
        run.no_breakdown(name)
        values = run.empty()
        for row in run.rows(_query(run)):
            i = run.buckets.position(row)
            if i is None:
                continue
            sessions = float(row["sessions"] or 0)
            duration = float(row["duration_ms"] or 0)
            values[i] = {
                "sessions": sessions,
                "session_duration": ratio(duration / 1000, sessions),
                "pages_per_session": ratio(float(row["pages"] or 0), sessions),
                "bounce_rate": ratio(float(row["bounces"] or 0), sessions),
                "sessions_per_user": ratio(sessions, float(row["persons"] or 0)),
                "active_minutes": duration / 60_000,
            }[name]
        return {None: values}

    return compute
