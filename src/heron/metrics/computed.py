"""What a computed (non-formula) metric gets to run: the runner, the buckets, names, options.

Computed metrics compile their own SQL through the query engine (scoped to the project
by the runner) and finish in Python over small reduced rows: one row per bucket, or one
per tracked entity (goal, habit, project) where the definition needs the entity's whole
history.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlglot import exp

from heron.analysis.intervals import BUCKET, Buckets, as_datetime
from heron.metrics.events import ACTIVE_PATTERN, EventNames
from heron.query import dates
from heron.query.context import QueryContext, TimeRange
from heron.query.properties import Breakdown, PropertyFilter, property_expr
from heron.query.runner import Runner
from heron.query.source import event_rows

DayGrain = Literal["day", "week", "month"]
"""The intervals of metrics that count whole days (see :meth:`MetricRun.day_grain`)."""

Values = dict[Any, list[float]]


@dataclass(frozen=True, slots=True)
class MetricRun:
    runner: Runner
    buckets: Buckets
    names: EventNames
    filters: list[PropertyFilter] = field(default_factory=list)
    breakdown: Breakdown | None = None
    cohort: int | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ctx(self) -> QueryContext:
        return self.runner.ctx

    @property
    def rng(self) -> TimeRange:
        return self.buckets.rng

    def rows(self, query: exp.Expression) -> list[dict[str, Any]]:
        return self.runner.execute(query).to_pylist()

    def local(self, utc: Any) -> datetime:
        """A backend UTC timestamp → local naive wall-clock time."""
        moment = as_datetime(utc).replace(tzinfo=UTC)
        return moment.astimezone(self.ctx.timezone).replace(tzinfo=None)

    def position(self, utc: Any) -> int | None:
        """The bucket of a UTC timestamp (day, week or month buckets)."""
        key = dates.truncate(self.local(utc), self.buckets.interval)
        return self.buckets.position({BUCKET: key})

    def bounds(self) -> list[tuple[datetime, datetime]]:
        """Each bucket as naive UTC ``[lo, hi)``, cut to the query range."""
        out = []
        for key in self.buckets.keys:
            lo = max(key, self.rng.start_local)
            hi = min(dates.step(key, self.buckets.interval), self.rng.end_local)
            out.append((dates.to_utc(lo, self.ctx.timezone), dates.to_utc(hi, self.ctx.timezone)))
        return out

    def empty(self) -> list[float]:
        return [0.0] * len(self.buckets)

    def breakdown_expr(self) -> exp.Expression | None:
        b = self.breakdown
        return None if b is None else property_expr(self.ctx.dialect, b.property, b.type)

    def no_breakdown(self, metric: str) -> None:
        if self.breakdown is not None:
            raise ValueError(f"metric {metric!r} does not support a breakdown")

    def day_grain(self, metric: str) -> DayGrain:
        """The run's interval, refused (ValueError) when it is finer than a day."""
        interval = self.buckets.interval
        if interval == "hour":
            raise ValueError(f"metric {metric!r} needs a day, week or month interval")
        return interval


ComputeFn = Callable[[MetricRun], Values]


def in_names(names: tuple[str, ...]) -> exp.Expression:
    return exp.In(this=exp.column("event", "e"), expressions=[exp.Literal.string(n) for n in names])


def active_condition(run: MetricRun) -> exp.Expression:
    """``e.event`` is an active event (does not start with ``$``)."""
    return run.ctx.dialect.regex(exp.column("event", "e"), ACTIVE_PATTERN)


def epoch_ms(run: MetricRun, ts: exp.Expression) -> exp.Expression:
    """A timestamp as epoch milliseconds, on either backend."""
    name = "EPOCH_MS" if run.ctx.dialect.name == "duckdb" else "toUnixTimestamp64Milli"
    return exp.Anonymous(this=name, expressions=[ts])


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def ts_at_least(run: MetricRun, moment: datetime) -> exp.Expression:
    return exp.GTE(this=exp.column("timestamp", "e"), expression=run.ctx.dialect.timestamp(moment))


def ts_before(run: MetricRun, moment: datetime) -> exp.Expression:
    return exp.LT(this=exp.column("timestamp", "e"), expression=run.ctx.dialect.timestamp(moment))


def history(run: MetricRun, events: list[str]) -> exp.Select:
    """Every event of these names before the range end (an entity's whole history)."""
    b = run.breakdown
    return event_rows(
        run.ctx,
        None,
        events=events,
        filters=run.filters,
        cohort=run.cohort,
        person_properties=b is not None and b.type == "person",
    ).where(ts_before(run, run.rng.end_utc))


def first_time(run: MetricRun, conventional: str) -> exp.Expression:
    """Per group: the first timestamp of the (mapped) event, NULL when there is none."""
    ts = exp.column("timestamp", "e")
    chosen = in_names(run.names.names(conventional))
    return exp.Min(this=exp.If(this=chosen, true=ts, false=exp.null()))


def breakdown_columns(run: MetricRun, anchor: exp.Expression) -> list[exp.Expr]:
    """``bv``: the breakdown value read from the anchor events of each group (if any)."""
    value = run.breakdown_expr()
    if value is None:
        return []
    return [exp.alias_(exp.Max(this=exp.If(this=anchor, true=value, false=exp.null())), "bv")]
