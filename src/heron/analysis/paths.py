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

One statement ranks and collapses steps with window functions and counts the links.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator
from sqlglot import exp

from heron.query.context import QueryContext, TimeRange
from heron.query.properties import property_expr
from heron.query.registry import QuerySpec, register
from heron.query.runner import Runner
from heron.query.source import event_rows, person_id

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


def _fill(tree: exp.Expr, **values: str) -> exp.Expr:
    """Replace the placeholder columns ``__name__`` with string literals."""

    def swap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and not node.table and node.name.startswith("__"):
            return exp.Literal.string(values[node.name.strip("_")])
        return node

    return tree.transform(swap)


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


def compile_paths(ctx: QueryContext, spec: PathsQuery, rng: TimeRange) -> exp.Select:
    """``(pos, source, target, value)`` for the kept links, heaviest first."""
    query = event_rows(
        ctx,
        rng,
        events=spec.event_filter,
        filters=spec.filters,
        cohort=spec.cohort,
    )
    if spec.event_filter is None:
        event = exp.column("event", "e")
        special = [exp.Literal.string(n) for n in DEFAULT_SPECIAL]
        plain = exp.Not(this=exp.Like(this=event, expression=exp.Literal.string("$%")))
        query = query.where(exp.or_(plain, exp.In(this=event.copy(), expressions=special)))
    rows = query.select(
        exp.alias_(person_id(ctx), "p"),
        exp.alias_(exp.column("timestamp", "e"), "ts"),
        exp.alias_(_step_name(ctx, spec), "name"),
    )
    order = "PARTITION BY p ORDER BY ts, name"
    limit = spec.step_limit
    texts = {
        "path_ordered": (
            f"SELECT p, name, row_number() OVER ({order}) AS i, lag(name) OVER ({order}) AS prev "
            "FROM path_rows"
        ),
        "path_steps": (
            "SELECT p, name, row_number() OVER (PARTITION BY p ORDER BY i) AS idx "
            "FROM path_ordered WHERE i = 1 OR name != prev"
        ),
    }
    if spec.start_event is not None:
        texts["path_anchor"] = (
            "SELECT p, min(idx) AS a FROM path_steps WHERE name = __start__ GROUP BY p"
        )
        positions = (
            "SELECT s.p AS p, s.name AS name, s.idx - a.a + 1 AS pos FROM path_steps AS s "
            f"JOIN path_anchor AS a ON s.p = a.p WHERE s.idx >= a.a AND s.idx < a.a + {limit}"
        )
    elif spec.end_event is not None:
        texts["path_anchor"] = (
            "SELECT p, max(idx) AS a FROM path_steps WHERE name = __end__ GROUP BY p"
        )
        positions = (
            f"SELECT s.p AS p, s.name AS name, {limit} - (a.a - s.idx) AS pos FROM path_steps AS s "
            f"JOIN path_anchor AS a ON s.p = a.p WHERE s.idx <= a.a AND s.idx > a.a - {limit}"
        )
    else:
        positions = f"SELECT p, name, idx AS pos FROM path_steps WHERE idx <= {limit}"
    texts["path_positions"] = positions
    links = (
        "SELECT x.pos AS pos, x.name AS source, y.name AS target, count(*) AS value "
        "FROM path_positions AS x JOIN path_positions AS y ON x.p = y.p AND y.pos = x.pos + 1 "
        f"GROUP BY x.pos, x.name, y.name HAVING count(*) >= {spec.min_edge_weight} "
        f"ORDER BY value DESC, pos, source, target LIMIT {spec.edge_limit}"
    )
    parse = ctx.dialect.parse
    anchors = {"start": spec.start_event or "", "end": spec.end_event or ""}
    select = parse(links)
    assert isinstance(select, exp.Select)
    select = select.with_("path_rows", as_=rows)
    for name, text in texts.items():
        select = select.with_(name, as_=_fill(parse(text), **anchors))
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
