"""Event-sequence metrics: AI nudge effectiveness and message response time.

Both look, for each anchor event, for the next event of another kind in the same
partition, with one window function (the frame includes rows with the same timestamp,
so a reply stamped at the very same instant counts as following).

- ``ai_nudge_effectiveness``: share of ``nudge_sent`` events followed by an active event
  of the same person (not a nudge) within 24 hours inclusive; breakdown reads the nudge's
  property (``persona``).
- ``message_response_time``: median seconds from a ``message_sent`` to the next
  ``message_received`` of the same ``conversation_id`` (any later time; unanswered
  messages are left out).
"""

from __future__ import annotations

from datetime import timedelta

from sqlglot import exp

from heron.analysis.trends import QUANTILE_FUNCTIONS
from heron.metrics.computed import (
    MetricRun,
    Values,
    active_condition,
    epoch_ms,
    in_names,
    ratio,
    ts_at_least,
    ts_before,
)
from heron.query.properties import filter_expr, property_expr
from heron.query.source import event_rows, person_id

NUDGE_WINDOW = timedelta(hours=24)


def _next(run: MetricRun, flag: str, partition: str) -> exp.Expression:
    """The timestamp of the next row (this one included) whose ``flag`` is 1."""
    value = exp.If(this=exp.column(flag).eq(1), true=exp.column("ts"), false=exp.null())
    frame = exp.WindowSpec(kind="RANGE", start="CURRENT ROW", end="UNBOUNDED", end_side="FOLLOWING")
    return exp.Window(
        this=exp.Min(this=value),
        partition_by=[exp.column(partition)],
        order=exp.Order(expressions=[exp.Ordered(this=exp.column("ts"))]),
        spec=frame,
    )


def _by_bucket(
    run: MetricRun, rows_query: exp.Select, measure: list[exp.Expr], keyed: bool
) -> exp.Select:
    names = run.buckets.group_names()
    columns = run.buckets.columns(run.ctx, exp.column("ts"), run.rng)
    inner = rows_query.select(*columns)
    keys = ["bv"] if keyed else []
    return exp.select(*names, *keys, *measure).from_(inner.subquery("r")).group_by(*names, *keys)


def ai_nudge_effectiveness(run: MetricRun) -> Values:
    ctx = run.ctx
    ts = exp.column("timestamp", "e")
    nudge = in_names(run.names.names("nudge_sent"))
    flag = exp.If(this=nudge, true=exp.Literal.number(0), false=exp.Literal.number(1))
    b = run.breakdown
    value = run.breakdown_expr()
    columns = [
        exp.alias_(person_id(ctx), "person"),
        exp.alias_(ts, "ts"),
        exp.alias_(
            exp.If(this=nudge.copy(), true=exp.Literal.number(1), false=exp.Literal.number(0)),
            "is_nudge",
        ),
        exp.alias_(flag, "is_active"),
    ]
    if value is not None:
        columns.append(exp.alias_(value, "bv"))
    stream = event_rows(
        ctx, None, cohort=run.cohort, person_properties=b is not None and b.type == "person"
    )
    if run.filters:
        chosen = exp.and_(*(filter_expr(ctx.dialect, f) for f in run.filters))
        stream = stream.where(exp.or_(exp.Not(this=exp.Paren(this=nudge.copy())), chosen))
    stream = (
        stream.where(exp.or_(nudge.copy(), active_condition(run)))
        .where(ts_at_least(run, run.rng.start_utc))
        .where(ts_before(run, run.rng.end_utc + NUDGE_WINDOW))
        .select(*columns)
    )
    following = exp.select(
        "ts",
        "is_nudge",
        *(["bv"] if value is not None else []),
        exp.alias_(_next(run, "is_active", "person"), "next_ts"),
    ).from_(stream.subquery("s"))
    window_ms = int(NUDGE_WINDOW.total_seconds() * 1000)
    gap = exp.Sub(
        this=epoch_ms(run, exp.column("next_ts")), expression=epoch_ms(run, exp.column("ts"))
    )
    effective = exp.If(
        this=exp.and_(
            exp.column("next_ts").is_(exp.null()).not_(),
            exp.LTE(this=gap, expression=exp.Literal.number(window_ms)),
        ),
        true=exp.Literal.number(1),
        false=exp.Literal.number(0),
    )
    nudges = (
        exp.select("ts", *(["bv"] if value is not None else []), exp.alias_(effective, "effective"))
        .from_(following.subquery("f"))
        .where(exp.column("is_nudge").eq(1))
        .where(exp.LT(this=exp.column("ts"), expression=ctx.dialect.timestamp(run.rng.end_utc)))
    )
    query = _by_bucket(
        run,
        exp.select("*").from_(nudges.subquery("n")),
        [
            exp.alias_(exp.Count(this=exp.Star()), "sent"),
            exp.alias_(exp.Sum(this=exp.column("effective")), "hits"),
        ],
        keyed=value is not None,
    )
    out: Values = {} if value is not None else {None: run.empty()}
    for row in run.rows(query):
        i = run.buckets.position(row)
        if i is None:
            continue
        values = out.setdefault(row.get("bv") if value is not None else None, run.empty())
        values[i] = ratio(float(row["hits"] or 0), float(row["sent"] or 0))
    return out


def message_response_time(run: MetricRun) -> Values:
    run.no_breakdown("message_response_time")
    ctx, d = run.ctx, run.ctx.dialect
    ts = exp.column("timestamp", "e")
    sent, received = run.names.names("message_sent"), run.names.names("message_received")
    conversation = property_expr(d, "conversation_id")
    stream = (
        event_rows(ctx, None, events=[*sent, *received], filters=run.filters, cohort=run.cohort)
        .where(ts_at_least(run, run.rng.start_utc))
        .where(conversation.is_(exp.null()).not_())
        .select(
            exp.alias_(conversation.copy(), "conversation"),
            exp.alias_(ts, "ts"),
            exp.alias_(
                exp.If(
                    this=in_names(sent), true=exp.Literal.number(1), false=exp.Literal.number(0)
                ),
                "is_sent",
            ),
            exp.alias_(
                exp.If(
                    this=in_names(received), true=exp.Literal.number(1), false=exp.Literal.number(0)
                ),
                "is_reply",
            ),
        )
    )
    following = exp.select(
        "ts", "is_sent", exp.alias_(_next(run, "is_reply", "conversation"), "next_ts")
    ).from_(stream.subquery("s"))
    gap = exp.Sub(
        this=epoch_ms(run, exp.column("next_ts")), expression=epoch_ms(run, exp.column("ts"))
    )
    seconds = exp.Div(this=exp.Paren(this=gap), expression=exp.Literal.number("1000.0"))
    answered = (
        exp.select("ts", exp.alias_(seconds, "seconds"))
        .from_(following.subquery("f"))
        .where(exp.column("is_sent").eq(1))
        .where(exp.column("next_ts").is_(exp.null()).not_())
        .where(exp.LT(this=exp.column("ts"), expression=d.timestamp(run.rng.end_utc)))
    )
    median = QUANTILE_FUNCTIONS[d.name](exp.column("seconds"), 0.5)
    query = _by_bucket(
        run,
        exp.select("*").from_(answered.subquery("a")),
        [exp.alias_(median, "median")],
        keyed=False,
    )
    values = run.empty()
    for row in run.rows(query):
        i = run.buckets.position(row)
        if i is not None:
            values[i] = float(row["median"] or 0.0)
    return {None: values}
