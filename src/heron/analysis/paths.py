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
path. DuckDB then collapses and numbers the steps with window functions; ClickHouse with
array functions over each person's sorted list (each engine's faster shape).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator
from sqlglot import exp

from heron.analysis.funnels_lang import lang
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


def _window_links(_ctx: QueryContext, source: str, limit: int, ends: bool) -> dict[str, str]:
    """``path_links`` by window functions over each person's time-ordered rows (DuckDB:
    sorting rows beats aggregating lists of strings)."""
    order = "PARTITION BY p ORDER BY ts, name"
    direction = " DESC" if ends else ""
    steps = f"PARTITION BY p ORDER BY ts{direction}, name{direction}"
    pos, first, second = (f"{limit} - idx", "other", "name") if ends else ("idx", "name", "other")
    return {
        "path_ordered": (
            f"SELECT p, ts, name, row_number() OVER ({order}) AS i, "
            f"lag(name) OVER ({order}) AS prev FROM {source}"
        ),
        "path_steps": (
            f"SELECT name, row_number() OVER ({steps}) AS idx, lead(name) OVER ({steps}) AS "
            f"other, lead(1, 1, 0) OVER ({steps}) AS more "
            "FROM path_ordered WHERE i = 1 OR name != prev"
        ),
        "path_links": (
            f"SELECT {pos} AS pos, {first} AS source, {second} AS target "
            f"FROM path_steps WHERE more = 1 AND idx < {limit}"
        ),
    }


def _array_links(ctx: QueryContext, source: str, limit: int, ends: bool) -> dict[str, str]:
    """``path_links`` from each person's sorted list of steps (ClickHouse: its array
    functions beat its window functions several times over)."""
    L = lang(ctx.dialect.name)
    entry = L.struct({"t": L.epoch_us("ts"), "n": "name"}, "{t: int, n: text}")
    ordered = L.map(L.func("sort", L.func("agg_list", entry)), "x", "x.n")
    steps = L.filter_indexed("names", "x", "i", "i = 1 OR x != names[i - 1]")
    size = L.cast(L.func("length", "s"), "int")
    if ends:
        bounds, pos = f"greatest({size} - {limit - 1}, 1), {size}", f"{limit} - {size} + i"
    else:
        bounds, pos = f"1, least({size}, {limit})", "i"
    pairs = L.func("unnest", L.func("range", bounds))
    return {
        "path_steps": (
            f"SELECT {steps} AS s FROM (SELECT {ordered} AS names FROM {source} GROUP BY p) "
            "AS path_names"
        ),
        "path_links": (
            f"SELECT {pos} AS pos, s[i] AS source, s[i + 1] AS target FROM "
            f"(SELECT s, {pairs} AS i FROM path_steps) AS path_pairs"
        ),
    }


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
    source, ends = "path_rows", spec.end_event is not None
    texts: dict[str, str] = {}
    if spec.start_event is not None or ends:
        first, after = ("max", "<") if ends else ("min", ">")
        texts["path_anchor"] = (
            f"SELECT p, {first}(ts) AS t FROM path_rows WHERE name = __anchor__ GROUP BY p"
        )
        texts["path_kept"] = (
            "SELECT r.p AS p, r.ts AS ts, r.name AS name FROM path_rows AS r "
            "JOIN path_anchor AS a ON r.p = a.p "
            f"WHERE r.ts {after} a.t OR (r.ts = a.t AND r.name {after}= __anchor__)"
        )
        source = "path_kept"
    links_of = _array_links if ctx.dialect.name == "clickhouse" else _window_links
    texts.update(links_of(ctx, source, spec.step_limit, ends))
    links = (
        "SELECT pos, source, target, count(*) AS value FROM path_links "
        f"GROUP BY pos, source, target HAVING count(*) >= {spec.min_edge_weight} "
        f"ORDER BY value DESC, pos, source, target LIMIT {spec.edge_limit}"
    )
    parse = ctx.dialect.parse
    anchor = spec.end_event if ends else spec.start_event
    select = parse(links)
    assert isinstance(select, exp.Select)
    select = select.with_("path_rows", as_=rows)
    for name, text in texts.items():
        select = select.with_(name, as_=_fill(parse(text), anchor=anchor or ""))
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
