"""The event source every analysis starts from: the project's events in a time range,
with persons resolved through identity merges, filters and cohort applied."""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from heron.query.context import QueryContext, TimeRange
from heron.query.properties import PropertyFilter, filter_expr


def person_id(ctx: QueryContext) -> exp.Expression:
    """The resolved person of an event row (``e`` joined with overrides ``o``)."""
    return ctx.dialect.person(exp.column("person_id", "e"), exp.column("person_id", "o"))


def event_rows(
    ctx: QueryContext,
    rng: TimeRange | None,
    *,
    events: Sequence[str] | None = None,
    filters: Sequence[PropertyFilter] = (),
    cohort: int | None = None,
    person_properties: bool = False,
) -> exp.Select:
    """``FROM events e LEFT JOIN person_overrides o [LEFT JOIN persons p] WHERE …``.

    Select no columns yet: callers add theirs. ``person_id(ctx)`` is the resolved person;
    ``p.properties`` is available when ``person_properties`` (or a person filter) asks.
    """
    needs_persons = person_properties or any(f.type == "person" for f in filters)
    query = (
        exp.select()
        .from_(
            exp.Table(
                this=exp.to_identifier("events"), alias=exp.TableAlias(this=exp.to_identifier("e"))
            )
        )
        .join(
            exp.Table(
                this=exp.to_identifier("person_overrides"),
                alias=exp.TableAlias(this=exp.to_identifier("o")),
            ),
            on=exp.EQ(
                this=exp.column("old_person_id", "o"), expression=exp.column("person_id", "e")
            ),
            join_type="left",
        )
    )
    if needs_persons:
        query = query.join(
            exp.Table(
                this=exp.to_identifier("persons"), alias=exp.TableAlias(this=exp.to_identifier("p"))
            ),
            on=exp.EQ(this=exp.column("person_id", "p"), expression=person_id(ctx)),
            join_type="left",
        )
    conditions: list[exp.Expression] = []
    if rng is not None:
        ts = exp.column("timestamp", "e")
        conditions.append(exp.GTE(this=ts, expression=ctx.dialect.timestamp(rng.start_utc)))
        conditions.append(exp.LT(this=ts.copy(), expression=ctx.dialect.timestamp(rng.end_utc)))
    if events is not None:
        names = sorted(set(events))
        conditions.append(
            exp.In(
                this=exp.column("event", "e"), expressions=[exp.Literal.string(n) for n in names]
            )
        )
    conditions.extend(filter_expr(ctx.dialect, f) for f in filters)
    if cohort is not None:
        if ctx.cohort_members is None:
            raise ValueError("cohorts are not available in this context")
        conditions.append(exp.In(this=person_id(ctx), query=ctx.cohort_members(cohort).subquery()))
    for condition in conditions:
        query = query.where(condition)
    return query
