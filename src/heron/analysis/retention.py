"""Retention: of the persons who did a target event in a period, how many came back later.

Definitions (CONTRACTS.md, RetentionQuery), per person after identity merges, periods
(``day``, ``week`` from Monday, ``month``) in the project timezone:

- ``first_time``: a person's cohort is the period of their first-ever ``target_event``
  (over all their data, not only the range); they count only if that period *starts*
  inside ``[date_from, date_to]`` (the event itself may fall after ``date_to``, in the
  last cohort's period).
- ``recurring``: a person belongs to the cohort of every period starting in the range in
  which they did the ``target_event``.
- ``values[0]`` is the cohort's size; ``values[n]`` (n ≥ 1) counts its members with at
  least one ``returning_event`` in the n-th period after the cohort's period (returns
  may fall after ``date_to``). ``values[n]`` is omitted when that period has not started
  by the query's ``now``; ``values[0]`` is always there (0 for a cohort still to come).
- Every period starting in the range is a cohort, in order, even when empty.
- ``filters`` (and ``cohort``) apply to both events; ``target_filters`` and
  ``returning_filters`` to one each.
- ``aggregation_group_type`` (``"company"``) counts groups of that type (``$groups``)
  instead of persons: a group's cohort and returns come from its events (by any person).

``shortcuts`` (day periods only): ``{"d1", "d7", "d30"}``, each the share of cohort
members who returned on that day after their cohort day, over every cohort for which
that day has started: ``Σ values[n] / Σ size`` (so an average of the cohorts' shares
weighted by their sizes), ``None`` when those cohorts are empty. Offsets up to 30 are
computed whatever ``periods`` is.

One statement. When the cohorts and the periods of returns after them fit in a few 64-bit
words, it groups persons by their mask of target and returning periods and numpy counts
each cohort's returns (:mod:`heron.analysis.retention_masks`); otherwise distinct (person,
cohort period) and (person, return period) pairs are joined per person on the period
offset and counted per (cohort, offset) (:func:`compile_retention`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator
from sqlglot import exp

from heron.analysis import retention_masks
from heron.analysis.intervals import as_datetime
from heron.query import dates
from heron.query.context import QueryContext, TimeRange
from heron.query.properties import PropertyFilter
from heron.query.registry import QuerySpec, register
from heron.query.runner import Runner
from heron.query.source import GroupTypeName, actor_id, event_rows

Period = Literal["day", "week", "month"]
SHORTCUTS = {"d1": 1, "d7": 7, "d30": 30}


class RetentionQuery(QuerySpec):
    kind: Literal["RetentionQuery"] = "RetentionQuery"
    target_event: str = Field(min_length=1, max_length=200)
    returning_event: str = Field(min_length=1, max_length=200)
    target_filters: list[PropertyFilter] = Field(default_factory=list)
    returning_filters: list[PropertyFilter] = Field(default_factory=list)
    period: Period = "week"
    periods: int = Field(default=8, ge=1, le=120)
    retention_type: Literal["first_time", "recurring"] = "first_time"
    aggregation_group_type: GroupTypeName | None = None
    """Count groups of this type (``company``) instead of persons."""

    @model_validator(mode="after")
    def _no_breakdown(self) -> RetentionQuery:
        if self.breakdown is not None:
            raise ValueError("RetentionQuery does not take a breakdown")
        return self


def offsets(spec: RetentionQuery) -> int:
    """How many periods after each cohort are counted (30 at least for day shortcuts)."""
    return max(spec.periods, 30) if spec.period == "day" else spec.periods


def cohort_starts(rng: TimeRange, period: Period) -> list[datetime]:
    """The local starts of the periods starting inside the range."""
    return [s for s in rng.interval_starts(period) if s >= rng.start_local]


def compile_retention(ctx: QueryContext, spec: RetentionQuery, rng: TimeRange) -> exp.Union:
    """``(cohort, n, persons)``: cohort sizes at ``n = 0`` and returns at ``n = 1…``.

    Needs at least one cohort period (see :func:`cohort_starts`).
    """
    d = ctx.dialect
    starts = cohort_starts(rng, spec.period)
    targets = ctx.local_range(starts[0], dates.step(starts[-1], spec.period))
    horizon = _horizon(ctx, spec, starts)
    group_type = spec.aggregation_group_type
    actor = actor_id(ctx, group_type)
    person = exp.alias_(actor, "person")
    target_filters = [*spec.filters, *spec.target_filters]
    if spec.retention_type == "first_time":
        firsts = (
            event_rows(
                ctx,
                None,
                events=[spec.target_event],
                filters=target_filters,
                cohort=spec.cohort,
                group_type=group_type,
            )
            .select(person, exp.alias_(exp.Min(this=exp.column("timestamp", "e")), "first_ts"))
            .group_by(actor.copy())
        )
        first_ts = exp.column("first_ts")
        members = (
            exp.select("person", exp.alias_(_period(ctx, spec.period, first_ts, targets), "cohort"))
            .from_(firsts.subquery("firsts"))
            .where(first_ts.copy().__ge__(d.timestamp(targets.start_utc)))
            .where(first_ts.copy().__lt__(d.timestamp(targets.end_utc)))
        )
    else:
        ts = exp.column("timestamp", "e")
        members = (
            event_rows(
                ctx,
                targets,
                events=[spec.target_event],
                filters=target_filters,
                cohort=spec.cohort,
                group_type=group_type,
            )
            .select(person, exp.alias_(_period(ctx, spec.period, ts, targets), "cohort"))
            .distinct()
        )
    ts = exp.column("timestamp", "e")
    returns = (
        event_rows(
            ctx,
            horizon,
            events=[spec.returning_event],
            filters=[*spec.filters, *spec.returning_filters],
            cohort=spec.cohort,
            group_type=group_type,
        )
        .select(person.copy(), exp.alias_(_period(ctx, spec.period, ts, horizon), "returned"))
        .distinct()
    )
    offset = _offset(spec.period, exp.column("cohort", "m"), exp.column("returned", "r"))
    sizes = (
        exp.select("cohort", exp.alias_(exp.Literal.number(0), "n"), _count())
        .from_("retention_members")
        .group_by("cohort")
    )
    returned = (
        exp.select(exp.column("cohort", "m"), exp.alias_(offset, "n"), _count())
        .from_(exp.alias_(exp.to_table("retention_members"), "m", table=True))
        .join(
            exp.alias_(exp.to_table("retention_returns"), "r", table=True),
            on=exp.column("person", "m").eq(exp.column("person", "r")),
        )
        .where(exp.column("returned", "r").__gt__(exp.column("cohort", "m")))
        .where(offset.copy().__le__(exp.Literal.number(offsets(spec))))
        .group_by(exp.column("cohort", "m"), offset.copy())
    )
    return (
        exp.union(sizes, returned, distinct=False)
        .with_("retention_members", as_=members)
        .with_("retention_returns", as_=returns)
    )


def _horizon(ctx: QueryContext, spec: RetentionQuery, starts: list[datetime]) -> TimeRange:
    """From the first cohort's start to the end of the last period a return is counted in."""
    end = starts[-1]
    for _ in range(offsets(spec) + 1):
        end = dates.step(end, spec.period)
    return ctx.local_range(starts[0], end)


def _period(ctx: QueryContext, period: Period, ts: exp.Expression, rng: TimeRange) -> exp.Expr:
    return ctx.dialect.trunc(period, ctx.local_time(ts, rng))


def _offset(period: Period, cohort: exp.Expr, returned: exp.Expr) -> exp.Expr:
    """Whole periods from the cohort's start to the return period's start."""
    unit = "MONTH" if period == "month" else "DAY"
    diff = exp.DateDiff(this=returned, expression=cohort, unit=exp.var(unit))
    if period == "week":
        return exp.IntDiv(this=diff, expression=exp.Literal.number(7))
    return diff


def _count() -> exp.Expr:
    return exp.alias_(exp.Count(this=exp.Star()), "persons")


@register(RetentionQuery)
def run(spec: RetentionQuery, runner: Runner) -> dict[str, Any]:
    ctx = runner.ctx
    rng = ctx.time_range(spec.date_from, spec.date_to)
    starts = cohort_starts(rng, spec.period)
    counts = _counts(spec, runner, rng, starts) if starts else {}
    now = ctx.now.astimezone(ctx.timezone).replace(tzinfo=None)
    cohorts, table = [], []
    for start in starts:
        started = _started(start, spec.period, offsets(spec), now)
        row = [counts.get((start, n), 0) for n in range(started + 1)]
        table.append(row)
        cohorts.append(
            {
                "cohort_start": start.date().isoformat(),
                "size": row[0],
                "values": row[: spec.periods + 1],
            }
        )
    result: dict[str, Any] = {"cohorts": cohorts}
    if spec.period == "day":
        result["shortcuts"] = {name: _share(table, n) for name, n in SHORTCUTS.items()}
    return result


def _counts(
    spec: RetentionQuery, runner: Runner, rng: TimeRange, starts: list[datetime]
) -> dict[tuple[datetime, int], int]:
    """Persons per (cohort start, offset): from masks when they fit, else by joining
    members and returns (:func:`compile_retention`)."""
    ctx = runner.ctx
    horizon = _horizon(ctx, spec, starts)
    horizon_periods = len(starts) + offsets(spec)
    words = retention_masks.mask_words(len(starts), horizon_periods, ctx.dialect.name)
    if words is None:
        rows = runner.execute(compile_retention(ctx, spec, rng)).to_pylist()
        return {(as_datetime(r["cohort"]), int(r["n"])): int(r["persons"]) for r in rows}
    table = runner.execute(retention_masks.compile_masks(ctx, spec, starts, horizon, words))
    first_time = spec.retention_type == "first_time"
    grid = retention_masks.counts(table, len(starts), offsets(spec), first_time=first_time)
    return {
        (start, n): int(v)
        for start, row in zip(starts, grid, strict=True)
        for n, v in enumerate(row)
    }


def _started(start: datetime, period: Period, most: int, now: datetime) -> int:
    """How many periods after ``start`` (at most ``most``) have started by ``now``."""
    n, moment = 0, start
    while n < most:
        moment = dates.step(moment, period)
        if moment > now:
            break
        n += 1
    return n


def _share(table: list[list[int]], n: int) -> float | None:
    eligible = [row for row in table if len(row) > n]
    size = sum(row[0] for row in eligible)
    return sum(row[n] for row in eligible) / size if size else None
