"""Trends: counts and aggregates of events per interval, per series and breakdown value.

One SQL statement per batch of series reading the same rows (and per period) does all
the aggregation; Python only zero-fills the intervals, orders breakdown values and
evaluates formulas on the small result.

Definitions (CONTRACTS.md, TrendsQuery):

- ``total`` counts events; ``dau`` counts distinct persons (after identity merges) per
  interval; ``unique_session`` counts distinct sessions per interval (the client's
  ``$session_id``, else ingestion's 30-minute sessions; events without one are left out); ``sum|avg|min|max|median|p90|p95|p99`` aggregate a numeric
  ``math_property`` (percentiles interpolate linearly between ranks); an interval
  with no value is 0.
- ``weekly_active`` / ``monthly_active`` count distinct persons active in the 7 / 30 local
  days ending on each interval's last day (cut at the range end), so the first windows
  reach back before ``date_from``. They need a day, week or month interval. When the
  windows and the range fit in 512 local days, SQL returns a bitmask of active days per
  person in 64-day words (grouped by mask) and Python counts the masks meeting each window
  (:mod:`heron.analysis.active_masks`); longer spans return non-overlapping person-day
  spans that Python sums (:func:`~heron.analysis.trends_activity.person_day_spans`). A ``dau`` series without a breakdown, over a
  range starting at a local midnight (day, week or month interval) that the masks can hold,
  runs alone and counts the masks meeting each bucket's own days; on a dashboard
  (``QueryContext.share_activity``) those are the masks weekly and monthly actives of the
  range read, so DAU, WAU and MAU of one range are one statement (:class:`Activity`), and a
  lone ``dau`` with a breakdown reads them too. Otherwise ``dau`` is a distinct count.
- ``breakdown`` keeps the ``limit`` values with most events in the range (ties by value),
  puts every other value in ``"$other"`` and events without the property in ``"$none"``.
  Entries come ordered by their total, ``"$other"`` and ``"$none"`` last.
- ``compare`` adds the previous period, as many intervals long, with its own labels;
  every entry then carries ``"compare": "current" | "previous"``.
- ``formula`` adds one entry per breakdown value (see :mod:`heron.analysis.formula`).
- ``aggregation_group_type`` (``"company"``) makes ``dau``, ``weekly_active`` and
  ``monthly_active`` count distinct groups of that type (``$groups``) instead of persons,
  over the events that have such a group; the other maths still count events.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlglot import exp

from heron.analysis import active_masks as masks
from heron.analysis import formula as formulas
from heron.analysis.intervals import Buckets, previous_range
from heron.analysis.trends_activity import (
    ACTIVE_DAYS,
    BREAKDOWN,
    DAU_APART,
    PERSON,
    VALUE,
    Activity,
    active_counts,
    batch_activity,
    own_windows,
    person_day_spans,
)
from heron.query.context import QueryContext
from heron.query.dates import Interval
from heron.query.dialects import SqlDialect
from heron.query.properties import PropertyFilter, property_expr
from heron.query.registry import QuerySpec, register
from heron.query.runner import Runner
from heron.query.source import (
    GroupTypeName,
    actor_id,
    event_rows,
    reads_persons,
    without_identity,
)

Math = Literal[
    "total",
    "dau",
    "unique_session",
    "weekly_active",
    "monthly_active",
    "sum",
    "avg",
    "min",
    "max",
    "median",
    "p90",
    "p95",
    "p99",
]
QUANTILES = {"median": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}
SIMPLE_AGGREGATES: dict[str, type[exp.AggFunc]] = {
    "sum": exp.Sum,
    "avg": exp.Avg,
    "min": exp.Min,
    "max": exp.Max,
}
PROPERTY_MATHS = frozenset(SIMPLE_AGGREGATES) | frozenset(QUANTILES)
OTHER = "$other"
NONE = "$none"
SESSION = "session"
RAW_VALUE = "property_value"

QuantileFn = Callable[[exp.Expr, float], exp.Expr]
QUANTILE_FUNCTIONS: dict[str, QuantileFn] = {
    "duckdb": lambda value, level: exp.Anonymous(
        this="QUANTILE_CONT", expressions=[value, exp.Literal.number(level)]
    ),
    "clickhouse": lambda value, level: exp.ParameterizedAgg(
        this="quantileExactInclusive", expressions=[exp.Literal.number(level)], params=[value]
    ),
}
"""Exact, linearly interpolated quantiles (type 7) per backend dialect."""


class EventSeries(BaseModel):
    """An event (``None`` = every event) with its own filters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event: str | None = Field(default=None, min_length=1, max_length=200)
    filters: list[PropertyFilter] = Field(default_factory=list)
    name: str | None = Field(default=None, max_length=400)

    @property
    def label(self) -> str:
        return self.name or self.event or "All events"


class Series(EventSeries):
    math: Math = "total"
    math_property: str | None = Field(default=None, min_length=1, max_length=400)

    @model_validator(mode="after")
    def _needs_property(self) -> Series:
        if self.math in PROPERTY_MATHS and self.math_property is None:
            raise ValueError(f"math {self.math!r} needs a math_property")
        return self


class TrendsQuery(QuerySpec):
    kind: Literal["TrendsQuery"] = "TrendsQuery"
    series: list[Series] = Field(min_length=1, max_length=26)
    interval: Interval = "day"
    formula: str | None = Field(default=None, max_length=formulas.MAX_LENGTH)
    compare: bool = False
    aggregation_group_type: GroupTypeName | None = None
    """Count groups of this type (``company``) instead of persons in the unit maths."""

    @model_validator(mode="after")
    def _consistent(self) -> TrendsQuery:
        if self.interval == "hour" and any(s.math in ACTIVE_DAYS for s in self.series):
            raise ValueError("weekly_active and monthly_active need a day, week or month interval")
        if self.formula is not None:
            used = formulas.references(formulas.parse(self.formula))
            missing = sorted(i for i in used if i >= len(self.series))
            if missing:
                letters = ", ".join(chr(ord("A") + i) for i in missing)
                raise ValueError(f"formula refers to series {letters}, which the query lacks")
        return self


def batches(spec: TrendsQuery, buckets: Buckets, dialect: str) -> list[list[int]]:
    """The series (by position) computed together: those reading the same rows.

    Series with the same event, filters and counted unit share one scan and one statement
    (``total`` and ``dau`` of an event, say); a trailing-window series has its own, and so
    has, on the dialects of ``DAU_APART``, a ``dau`` counted from masks of active days
    (:mod:`heron.analysis.trends_activity`). A ``dau`` alone in its batch counts from masks
    on every dialect.
    """
    dau_apart = dialect in DAU_APART and own_windows(spec, buckets) is not None
    groups: dict[object, list[int]] = {}
    for index, series in enumerate(spec.series):
        key: object = index
        if series.math not in ACTIVE_DAYS and not (series.math == "dau" and dau_apart):
            unit = spec.aggregation_group_type if series.math == "dau" else None
            filters = tuple(f.model_dump_json() for f in series.filters)
            key = (series.event, filters, unit)
        groups.setdefault(key, []).append(index)
    return list(groups.values())


def value_column(position: int) -> str:
    """The result column of the ``position``-th series of a batch."""
    return VALUE if position == 0 else f"{VALUE}_{position}"


def compile_series(
    ctx: QueryContext, spec: TrendsQuery, batch: list[Series], buckets: Buckets
) -> exp.Select:
    """The one statement computing a batch of series over the same rows (see
    :func:`batches`): a row per (bucket[, breakdown value]), a column per series."""
    return _compiled(ctx, spec, batch, buckets)[0]


def _compiled(
    ctx: QueryContext, spec: TrendsQuery, batch: list[Series], buckets: Buckets
) -> tuple[exp.Select, Activity | None]:
    """:func:`compile_series`, and how an active-persons batch runs (``None`` for others)."""
    first = batch[0]
    rng = buckets.rng
    activity = batch_activity(spec, batch, buckets, share=ctx.share_activity)
    windows = activity.windows if activity else []
    origin = activity.origin if activity else None
    source = rng
    if windows:
        start = origin or min(windows[0].lo, rng.start_local)
        source = ctx.local_range(start, rng.end_local)
    breakdown = spec.breakdown
    filters = [*spec.filters, *first.filters]
    units = any(s.math == "dau" for s in batch) or bool(windows)
    group_type = spec.aggregation_group_type if units else None
    query = event_rows(
        ctx,
        source,
        events=[first.event] if first.event is not None else None,
        filters=filters,
        cohort=spec.cohort,
        person_properties=breakdown is not None and breakdown.type == "person",
        group_type=group_type,
        group_properties=[breakdown.group_type] if breakdown and breakdown.group_type else [],
    )
    needs_persons = reads_persons(filters, spec.cohort, breakdown)
    counts_persons = units and group_type is None
    # masks are merged per person after grouping by the stored person id (see compile_masks)
    resolve = counts_persons and origin is not None and not needs_persons
    if resolve or not (counts_persons or needs_persons):
        without_identity(query)
    d = ctx.dialect
    ts = exp.column("timestamp", "e")
    if origin is not None:
        columns = [exp.alias_(masks.day_index(ctx, ts, source, origin), masks.DAY_INDEX)]
    elif windows:
        columns = [exp.alias_(d.trunc("day", ctx.local_time(ts, source)), "day")]
    else:
        columns = buckets.columns(ctx, ts, source)
    if units:
        unit = exp.column("person_id", "e") if resolve else actor_id(ctx, group_type)
        columns.append(exp.alias_(unit, PERSON))
    if any(s.math == "unique_session" for s in batch):
        session = exp.Nullif(this=exp.column("session_id", "e"), expression=exp.Literal.string(""))
        columns.append(exp.alias_(session, SESSION))
    for position, series in enumerate(batch):
        if series.math_property is not None and series.math in PROPERTY_MATHS:
            number = d.number(property_expr(d, series.math_property))
            columns.append(exp.alias_(number, value_column(position)))
    keys: list[exp.Expr] = []
    with_ctes: list[tuple[str, exp.Select]] = []
    if breakdown is None:
        grouped: exp.Expr = query.select(*columns).subquery("matched")
    else:
        columns.append(
            exp.alias_(
                property_expr(
                    d, breakdown.property, breakdown.type, group_type=breakdown.group_type
                ),
                RAW_VALUE,
            )
        )
        if activity is None and all(series.math in REGROUPED for series in batch):
            names, values = buckets.group_names(), _values(d.name, batch)
            return _regrouped(
                d, names, batch, values, query.select(*columns), breakdown.limit
            ), None
        if windows:
            columns.append(exp.alias_(ts.copy(), "ts"))
        ranked = (
            exp.select(RAW_VALUE)
            .from_("matched")
            .where(exp.column(RAW_VALUE).is_(exp.null()).not_())
            .group_by(RAW_VALUE)
            .order_by(exp.Ordered(this=exp.Count(this=exp.Star()), desc=True), RAW_VALUE)
            .limit(breakdown.limit)
        )
        if windows:
            ranked = ranked.where(exp.column("ts").__ge__(d.timestamp(rng.start_utc)))
        with_ctes = [("matched", query.select(*columns)), ("top_values", ranked)]
        grouped = exp.to_table("matched")
        keys = [exp.alias_(_bucketed_value(), BREAKDOWN)]
    if activity is not None and origin is not None:
        statement = masks.compile_masks(
            d, grouped, keys, with_ctes, activity.words, resolve=resolve
        )
        return statement, activity
    if activity is not None:
        return person_day_spans(activity.days, grouped, keys, with_ctes), activity
    names = buckets.group_names()
    select = exp.select(*names, *keys, *_values(d.name, batch)).from_(grouped)
    select = select.group_by(*names, *([BREAKDOWN] if keys else []))
    for name, cte in with_ctes:
        select = select.with_(name, as_=cte)
    return select, None


def _bucketed_value() -> exp.Expr:
    value = exp.column(RAW_VALUE)
    top = exp.select(RAW_VALUE).from_("top_values")
    return (
        exp.Case()
        .when(value.is_(exp.null()), exp.Literal.string(NONE))
        .when(exp.In(this=value.copy(), query=top.subquery()), value.copy())
        .else_(exp.Literal.string(OTHER))
    )


REGROUPED: dict[str, type[exp.AggFunc]] = {
    "total": exp.Sum,
    "sum": exp.Sum,
    "min": exp.Min,
    "max": exp.Max,
}
"""Maths whose results per (bucket, value) combine into the breakdown's buckets, with the
aggregate that combines them."""
ROWS = "matched_rows"
TOTAL = "value_rows"
RANK = "value_rank"


def _regrouped(
    d: SqlDialect,
    names: list[str],
    batch: list[Series],
    values: list[exp.Expr],
    matched: exp.Select,
    limit: int,
) -> exp.Select:
    """A breakdown of maths that combine (:data:`REGROUPED`) in one pass over the rows:
    the matched rows grouped once by (bucket, value), the values ranked by their rows on
    that small result (windows), then the groups of values outside the top ``limit``
    folded into ``"$other"`` and those without one into ``"$none"``.

    The grouping is a CTE that DuckDB materializes: its optimizer turns the partition
    window into a join of the grouping with itself, which would read the rows twice."""
    value = exp.column(RAW_VALUE)
    grouped = (
        exp.select(*names, RAW_VALUE, *values, exp.alias_(exp.Count(this=exp.Star()), ROWS))
        .from_(matched.subquery("matched"))
        .group_by(*names, RAW_VALUE)
    )
    total = exp.Window(this=exp.Sum(this=exp.column(ROWS)), partition_by=[value.copy()])
    totals = exp.select("*", exp.alias_(total, TOTAL)).from_("grouped")
    rank = exp.Window(
        this=exp.DenseRank(),
        partition_by=[value.copy().is_(exp.null())],
        order=exp.Order(
            expressions=[
                exp.Ordered(this=exp.column(TOTAL), desc=True),
                exp.Ordered(this=value.copy()),
            ]
        ),
    )
    ranked = exp.select("*", exp.alias_(rank, RANK)).from_(totals.subquery("totals"))
    bucketed = (
        exp.Case()
        .when(value.copy().is_(exp.null()), exp.Literal.string(NONE))
        .when(exp.column(RANK).__le__(exp.Literal.number(limit)), value.copy())
        .else_(exp.Literal.string(OTHER))
    )
    combined = []
    for position, series in enumerate(batch):
        column = value_column(position)
        again: exp.Expr = REGROUPED[series.math](this=exp.column(column))
        if series.math == "total":
            again = exp.cast(again, "BIGINT")
        combined.append(exp.alias_(again, column))
    return (
        exp.select(*names, exp.alias_(bucketed, BREAKDOWN), *combined)
        .from_(ranked.subquery("ranked"))
        .group_by(*names, BREAKDOWN)
        .with_("grouped", as_=grouped, materialized=d.materialized_ctes or None)
    )


def _values(dialect: str, batch: list[Series]) -> list[exp.Expr]:
    """Each series' aggregate over the matched rows, named by its position."""
    return [
        exp.alias_(_aggregate(dialect, series, value_column(position)), value_column(position))
        for position, series in enumerate(batch)
    ]


def _aggregate(dialect: str, series: Series, column: str) -> exp.Expr:
    value = exp.column(column)
    if series.math == "total":
        return exp.Count(this=exp.Star())
    if series.math == "dau":
        return exp.Count(this=exp.Distinct(expressions=[exp.column(PERSON)]))
    if series.math == "unique_session":
        return exp.Count(this=exp.Distinct(expressions=[exp.column(SESSION)]))
    if series.math in QUANTILES:
        return QUANTILE_FUNCTIONS[dialect](value, QUANTILES[series.math])
    return SIMPLE_AGGREGATES[series.math](this=value)


def periods(ctx: QueryContext, spec: TrendsQuery) -> dict[str, Buckets]:
    """The buckets of the range, and of the previous period when comparing."""
    current = Buckets.build(ctx, ctx.time_range(spec.date_from, spec.date_to), spec.interval)
    out = {"current": current}
    if spec.compare:
        out["previous"] = Buckets.build(ctx, previous_range(ctx, current), spec.interval)
    return out


def compile_trends(ctx: QueryContext, spec: TrendsQuery) -> list[exp.Select]:
    """Every statement a spec runs, in order: each batch of series of each period."""
    return [
        compile_series(ctx, spec, [spec.series[i] for i in batch], buckets)
        for buckets in periods(ctx, spec).values()
        for batch in batches(spec, buckets, ctx.dialect.name)
    ]


@register(TrendsQuery)
def run(spec: TrendsQuery, runner: Runner) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for period, buckets in periods(runner.ctx, spec).items():
        entries = _period(runner, spec, buckets)
        if spec.compare:
            for entry in entries:
                entry["compare"] = period
        results.extend(entries)
    return results


def _period(runner: Runner, spec: TrendsQuery, buckets: Buckets) -> list[dict[str, Any]]:
    computed: dict[int, dict[str | None, list[float]]] = {}
    for batch in batches(spec, buckets, runner.ctx.dialect.name):
        members = [spec.series[i] for i in batch]
        statement, activity = _compiled(runner.ctx, spec, members, buckets)
        if activity is not None:  # an active-persons series is alone in its batch
            table = runner.execute(statement, shared=activity.origin is not None)
            data = _data(spec, buckets, 0)
            data.update(active_counts(table, activity))
            computed[batch[0]] = _ordered(data)
            continue
        rows = runner.execute(statement).to_pylist()
        for position, index in enumerate(batch):
            computed[index] = _series_data(spec, members[position], position, rows, buckets)
    per_series = [computed[i] for i in range(len(spec.series))]
    entries = [
        _entry(series.label, value, buckets, data)
        for series, values in zip(spec.series, per_series, strict=True)
        for value, data in values.items()
    ]
    if spec.formula is not None:
        node = formulas.parse(spec.formula)
        label = f"Formula ({spec.formula.strip()})"
        for value in dict.fromkeys(v for values in per_series for v in values):
            combined = formulas.evaluate(node, [s.get(value, ()) for s in per_series], len(buckets))
            entries.append(_entry(label, value, buckets, combined))
    return entries


def _data(spec: TrendsQuery, buckets: Buckets, zero: float) -> dict[str | None, list[float]]:
    """The entries every series has: one of zeros without a breakdown, none with one."""
    return {None: [zero] * len(buckets)} if spec.breakdown is None else {}


def _series_data(
    spec: TrendsQuery,
    series: Series,
    position: int,
    rows: list[dict[str, Any]],
    buckets: Buckets,
) -> dict[str | None, list[float]]:
    """Breakdown value (``None`` without breakdown) → zero-filled data, in display order,
    from the rows of the series' batch (its column is ``value_column(position)``).

    Without a breakdown there is always one entry; with one, an entry per value that has
    matching events.
    """
    number = float if series.math in PROPERTY_MATHS else int
    data = _data(spec, buckets, number(0))
    column = value_column(position)
    for row in rows:
        bucket = buckets.position(row)
        if bucket is None:
            continue
        values = data.setdefault(row.get(BREAKDOWN), [number(0)] * len(buckets))
        values[bucket] = number(row[column] or 0)
    return _ordered(data)


def _ordered(data: dict[str | None, list[float]]) -> dict[str | None, list[float]]:
    """Entries in display order: by total, ``"$other"`` and ``"$none"`` last."""
    special = {OTHER: 1, NONE: 2}
    order = sorted(data, key=lambda v: (special.get(v or "", 0), -sum(data[v]), str(v)))
    return {value: data[value] for value in order}


def _entry(label: str, value: str | None, buckets: Buckets, data: list[float]) -> dict[str, Any]:
    return {
        "label": label,
        "breakdown_value": value,
        "labels": list(buckets.labels),
        "data": data,
        "count": sum(data),
    }
