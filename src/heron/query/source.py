"""The event source every analysis starts from: the project's events in a time range,
with persons resolved through identity merges, filters and cohort applied."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from pydantic import StringConstraints
from sqlglot import exp

from heron.query.context import QueryContext, TimeRange
from heron.query.properties import Breakdown, PropertyFilter, filter_expr, group_alias
from heron.store.groups import MAX_TYPE_LENGTH


def person_id(ctx: QueryContext) -> exp.Expression:
    """The resolved person of an event row (``e`` joined with overrides ``o``)."""
    return ctx.dialect.person(exp.column("person_id", "e"), exp.column("person_id", "o"))


def overrides() -> exp.Table:
    """The identity overrides (``old_person_id`` → ``person_id``) as ``o``."""
    return exp.Table(
        this=exp.to_identifier("person_overrides"),
        alias=exp.TableAlias(this=exp.to_identifier("o")),
    )


GroupTypeName = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TYPE_LENGTH)]
"""A group type (``company``): the unit an analysis counts with ``aggregation_group_type``."""


def group_key(ctx: QueryContext, group_type: str) -> exp.Expr:
    """The key of the event's group of that type (``$groups``), NULL when it has none."""
    key = ctx.dialect.json_path_string(exp.column("properties", "e"), ["$groups", group_type])
    return exp.func("NULLIF", key, exp.Literal.string(""))


def actor_id(ctx: QueryContext, group_type: str | None) -> exp.Expr:
    """The unit an analysis counts: the resolved person, or the event's group of a type.

    Sources built with the same ``group_type`` (see :func:`event_rows`) hold only events
    that have such a group.
    """
    return person_id(ctx) if group_type is None else group_key(ctx, group_type)


def event_rows(
    ctx: QueryContext,
    rng: TimeRange | None,
    *,
    events: Sequence[str] | None = None,
    filters: Sequence[PropertyFilter] = (),
    cohort: int | None = None,
    person_properties: bool = False,
    group_type: str | None = None,
    group_properties: Sequence[str] = (),
) -> exp.Select:
    """``FROM events e LEFT JOIN person_overrides o [LEFT JOIN persons p] WHERE …``.

    Select no columns yet: callers add theirs. ``person_id(ctx)`` is the resolved person;
    ``p.properties`` is available when ``person_properties`` (or a person filter) asks.
    With ``group_type``, only events belonging to a group of that type are kept. The rows
    of the event's groups of the types in ``group_properties`` (and of group filters) are
    joined as ``group_alias(type)``.
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
            overrides(),
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
    joined = {*group_properties, *(f.group_type for f in filters if f.group_type is not None)}
    for name in sorted(joined):
        query = _join_group(ctx, query, name)
    conditions: list[exp.Expression] = []
    if rng is not None:
        ts = exp.column("timestamp", "e")
        conditions.append(exp.GTE(this=ts, expression=ctx.dialect.timestamp(rng.start_utc)))
        conditions.append(exp.LT(this=ts.copy(), expression=ctx.dialect.timestamp(rng.end_utc)))
    if events is not None:
        conditions.append(ctx.dialect.one_of(exp.column("event", "e"), sorted(set(events))))
    conditions.extend(filter_expr(ctx.dialect, f) for f in filters)
    if group_type is not None:
        conditions.append(
            exp.Not(this=exp.Is(this=group_key(ctx, group_type), expression=exp.Null()))
        )
    if cohort is not None:
        if ctx.cohort_members is None:
            raise ValueError("cohorts are not available in this context")
        members = stored_ids(ctx.cohort_members(cohort))
        conditions.append(exp.In(this=exp.column("person_id", "e"), query=members.subquery()))
    for condition in conditions:
        query = query.where(condition)
    return query


def stored_ids(persons: exp.Query) -> exp.Query:
    r"""The stored person ids whose resolved person is one of ``persons`` (a query of resolved
    ``person_id``\ s): the ids merged into one of them, and those of them merged into none.

    ``e.person_id IN stored_ids(P)`` is exactly "the event's resolved person is in P", decided
    on the stored id: a cohort's rows are cut in the scan, before the identity join resolves
    the rest, and ``P`` is evaluated once.
    """
    chosen = exp.select("person_id").from_("chosen_persons")
    overridden = exp.select("old_person_id").from_("person_overrides")
    merged = overridden.where(exp.In(this=exp.column("person_id"), query=chosen.subquery()))
    unmerged = chosen.copy().where(
        exp.Not(this=exp.In(this=exp.column("person_id"), query=overridden.copy().subquery()))
    )
    return exp.union(merged, unmerged, distinct=False).with_("chosen_persons", as_=persons.copy())


def reads_persons(
    filters: Sequence[PropertyFilter], cohort: int | None, breakdown: Breakdown | None = None
) -> bool:
    """Whether rows must know their resolved person before they are grouped: a cohort, a
    person-property filter or a person-property breakdown reads it. Otherwise an analysis
    may group by the stored person id and resolve identity merges on the groups."""
    return (
        cohort is not None
        or (breakdown is not None and breakdown.type == "person")
        or any(f.type == "person" for f in filters)
    )


def without_identity(query: exp.Select) -> None:
    """Drop the identity-override join (alias ``o``) from a source that never reads persons.

    Counting events and aggregating properties do not need to know who did them, and the
    join is the costliest part of such a scan.
    """
    joins = query.args.get("joins") or []
    query.set("joins", [j for j in joins if j.this.alias_or_name != "o"] or None)


def _join_group(ctx: QueryContext, query: exp.Select, group_type: str) -> exp.Select:
    """``LEFT JOIN`` the stored row of each event's group of that type (properties or NULL)."""
    rows = (
        exp.select("group_key", "properties")
        .from_("groups")
        .where(exp.column("group_type").eq(exp.Literal.string(group_type)))
    )
    alias = group_alias(group_type)
    return query.join(
        rows.subquery(alias),
        on=exp.EQ(this=exp.column("group_key", alias), expression=group_key(ctx, group_type)),
        join_type="left",
    )
