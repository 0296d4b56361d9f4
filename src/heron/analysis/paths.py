"""Paths: the sequences of steps persons take, as a Sankey diagram's nodes and links.

Definitions, per person after identity merges, over ``[date_from, date_to]``:

- A *step* is an event's name, or with ``path_type: "pathname"`` a page view's
  (``$pageview`` or ``pageview``) ``$pathname`` when it has one. Events counted: those
  named in ``event_filter``, or by default every event whose name does not start with
  ``$``, plus ``$pageview`` and ``$screen``.
- A person's steps are ordered by time (equal times by step name), and consecutive
  identical steps collapse into one.
- The path starts at the first occurrence of ``start_event`` (matched against step
  names) and takes at most ``step_limit`` steps; or ends at the last occurrence of
  ``end_event`` and takes at most ``step_limit`` steps before it; or, with neither,
  is the person's first ``step_limit`` steps. Persons without the anchor step have no
  path.
- Node names are ``"{position}_{step}"``: position 1 is the path's first step, except
  with ``end_event``, where the end step is at ``step_limit`` and earlier steps count
  down from it (so every path's end lines up).
- A link ``source → target`` joins consecutive positions; its ``value`` counts the
  persons taking it. Links below ``min_edge_weight`` are dropped and the ``edge_limit``
  heaviest kept (ties by position, then names); nodes are those the kept links touch.

One statement counts the links. It first keeps, per person, only the rows from the anchor
on (``start_event``) or up to it (``end_event``): rows on the other side cannot change the
path. Each person's rows are then put in order, collapsed and paired into links in the way
each engine does fastest (:mod:`heron.analysis.paths_steps`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator
from sqlglot import exp

from heron.analysis.paths_steps import StepShape, steps_plan
from heron.query.context import QueryContext, TimeRange
from heron.query.properties import property_expr
from heron.query.registry import QuerySpec, register
from heron.query.runner import Runner
from heron.query.source import event_rows, person_id, reads_persons, without_identity

PAGE_VIEWS = ("$pageview", "pageview")
DEFAULT_SPECIAL = ("$pageview", "$screen")


class PathsQuery(QuerySpec):
    kind: Literal["PathsQuery"] = "PathsQuery"
    start_event: str | None = Field(default=None, min_length=1, max_length=2000)
    end_event: str | None = Field(default=None, min_length=1, max_length=2000)
    step_limit: int = Field(default=5, ge=2, le=10)
    path_type: Literal["event", "pathname"] = "event"
    event_filter: list[str] | None = Field(default=None, min_length=1, max_length=100)
    min_edge_weight: int = Field(default=1, ge=1)
    edge_limit: int = Field(default=50, ge=1, le=1000)

    @model_validator(mode="after")
    def _one_anchor(self) -> PathsQuery:
        if self.start_event is not None and self.end_event is not None:
            raise ValueError("give start_event or end_event, not both")
        if self.breakdown is not None:
            raise ValueError("PathsQuery does not take a breakdown")
        return self


def _step_name(ctx: QueryContext, spec: PathsQuery) -> exp.Expr:
    event = exp.column("event", "e")
    if spec.path_type == "event":
        return event
    pathname = property_expr(ctx.dialect, "$pathname")
    is_page = exp.In(this=event.copy(), expressions=[exp.Literal.string(n) for n in PAGE_VIEWS])
    has_path = exp.Not(this=exp.Is(this=pathname, expression=exp.null()))
    return exp.Case(
        ifs=[exp.If(this=exp.and_(is_page, has_path), true=pathname.copy())], default=event.copy()
    )


def _matching(ctx: QueryContext, spec: PathsQuery, rng: TimeRange, *, every: bool) -> exp.Select:
    """The events that can be steps; ``every`` ignores the filters and cohort (a superset,
    enough for the dictionary of step names)."""
    query = event_rows(
        ctx,
        rng,
        events=spec.event_filter,
        filters=() if every else spec.filters,
        cohort=None if every else spec.cohort,
    )
    if spec.event_filter is None:
        event = exp.column("event", "e")
        special = [exp.Literal.string(n) for n in DEFAULT_SPECIAL]
        plain = exp.Not(this=exp.Like(this=event, expression=exp.Literal.string("$%")))
        query = query.where(exp.or_(plain, exp.In(this=event.copy(), expressions=special)))
    return query


def _names(ctx: QueryContext, spec: PathsQuery, rng: TimeRange) -> exp.Select:
    """Every step name the range can hold (``name``), with no identity join."""
    query = _matching(ctx, spec, rng, every=True)
    without_identity(query)
    return query.select(exp.alias_(_step_name(ctx, spec), "name")).distinct()


def _anchors(ctx: QueryContext, spec: PathsQuery, rng: TimeRange, anchor: str) -> exp.Select:
    """``path_first``: each resolved person's first anchor time (the last, with
    ``end_event``)."""
    name = _step_name(ctx, spec)
    time = exp.func("MAX" if spec.end_event else "MIN", exp.column("timestamp", "e"))
    return (
        _matching(ctx, spec, rng, every=False)
        .where(exp.EQ(this=name, expression=exp.Literal.string(anchor)))
        .select(exp.alias_(person_id(ctx), "p"), exp.alias_(time, "t"))
        .group_by(person_id(ctx))
    )


def _stored_ids(ctx: QueryContext) -> exp.Expr:
    """``path_map``: every stored person id (``s``) that resolves to a person with an
    anchor (``p``, ``t``): absorbed ids through the overrides, the others as themselves."""
    override = exp.column("person_id", "o")
    resolved = ctx.dialect.person(exp.column("old_person_id", "o"), override)
    return ctx.dialect.parse(
        "SELECT o.old_person_id AS s, a.p AS p, a.t AS t FROM person_overrides AS o "
        f"JOIN path_first AS a ON a.p = {resolved.sql(dialect=ctx.dialect.name)} UNION ALL "
        "SELECT a.p AS s, a.p AS p, a.t AS t FROM path_first AS a "
        "WHERE NOT a.p IN (SELECT old_person_id FROM person_overrides)"
    )


def _from_anchor(ctx: QueryContext, spec: PathsQuery, rng: TimeRange, anchor: str) -> exp.Select:
    """``path_kept`` with an anchor: the rows from each person's first anchor row on (up to
    the last, with ``end_event``), by one join with ``path_map`` that both resolves persons
    and cuts rows. The identity join stays only for filters reading the resolved person."""
    ts, name, t = exp.column("timestamp", "e"), _step_name(ctx, spec), exp.column("t", "m")
    beyond, reached = (exp.LT, exp.LTE) if spec.end_event else (exp.GT, exp.GTE)
    at_anchor = reached(this=name.copy(), expression=exp.Literal.string(anchor))
    cut = exp.or_(
        beyond(this=ts.copy(), expression=t),
        exp.and_(exp.EQ(this=ts.copy(), expression=t.copy()), at_anchor),
    )
    query = _matching(ctx, spec, rng, every=False)
    if not reads_persons(spec.filters, spec.cohort):
        without_identity(query)
    stored = exp.Table(this=exp.to_identifier("path_map"), alias=exp.to_identifier("m"))
    on = exp.EQ(this=exp.column("s", "m"), expression=exp.column("person_id", "e"))
    return (
        query.join(stored, on=on, join_type="inner")
        .where(cut)
        .select(
            exp.alias_(exp.column("p", "m"), "p"), exp.alias_(ts, "ts"), exp.alias_(name, "name")
        )
    )


def _sources(ctx: QueryContext, spec: PathsQuery, rng: TimeRange) -> dict[str, exp.Expr]:
    """The CTEs up to ``path_kept`` (``p``, ``ts``, ``name``): the rows a path can see."""
    anchor = spec.end_event or spec.start_event
    if anchor is not None:
        return {
            "path_first": _anchors(ctx, spec, rng, anchor),
            "path_map": _stored_ids(ctx),
            "path_kept": _from_anchor(ctx, spec, rng, anchor),
        }
    rows = _matching(ctx, spec, rng, every=False).select(
        exp.alias_(person_id(ctx), "p"),
        exp.alias_(exp.column("timestamp", "e"), "ts"),
        exp.alias_(_step_name(ctx, spec), "name"),
    )
    return {"path_kept": rows}


def compile_paths(ctx: QueryContext, spec: PathsQuery, rng: TimeRange) -> exp.Select:
    """``(pos, source, target, value)`` for the kept links, heaviest first."""
    plan = steps_plan(ctx.dialect.name)
    shape = StepShape(spec.step_limit, spec.end_event is not None, rng)
    select = ctx.dialect.parse(plan.links_select(spec.min_edge_weight, spec.edge_limit))
    assert isinstance(select, exp.Select)
    ctes = plan.dictionary(_names(ctx, spec, rng))
    steps = {n: ctx.dialect.parse(text) for n, text in plan.links(shape).items()}
    for name, tree in {**_sources(ctx, spec, rng), **steps}.items():
        ctes.append(exp.CTE(this=tree, alias=exp.TableAlias(this=exp.to_identifier(name))))
    select.set("with_", exp.With(expressions=ctes))
    return select


@register(PathsQuery)
def run(spec: PathsQuery, runner: Runner) -> dict[str, Any]:
    ctx = runner.ctx
    rng = ctx.time_range(spec.date_from, spec.date_to)
    table = runner.execute(compile_paths(ctx, spec, rng))
    links, nodes = [], {}
    for row in table.to_pylist():
        source = f"{row['pos']}_{row['source']}"
        target = f"{row['pos'] + 1}_{row['target']}"
        nodes[source] = (row["pos"], row["source"])
        nodes[target] = (row["pos"] + 1, row["target"])
        links.append({"source": source, "target": target, "value": int(row["value"])})
    ordered = sorted(nodes, key=lambda name: nodes[name])
    return {"nodes": [{"name": name} for name in ordered], "links": links}
