"""Safe user SQL (``SQLQuery``): read-only SELECTs over the project's own views.

User SQL is parsed with sqlglot (DuckDB syntax) and must be one SELECT (CTEs,
subqueries, set operations and window functions are fine). It may read only the views
``events``, ``persons``, ``sessions`` and ``groups``; functions come from an allowlist. Then:

1. every user CTE gets a fresh internal name (so no user name can shadow a stored
   table), and every view reference becomes its definition over the stored tables;
2. :func:`~heron.query.scope.scope_to_project` injects the project predicate at each
   stored-table access, and a final check proves every table access is scoped;
3. a row limit and a time-out are applied, and the SQL is rendered for the store.
"""

from __future__ import annotations

import time
from typing import Any, Literal

import pyarrow as pa
import sqlglot
from pydantic import Field, model_validator
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, SqlglotError, TokenError

from heron.events import MATERIALISED_COLUMNS
from heron.query.context import QueryContext
from heron.query.registry import QuerySpec, register
from heron.query.runner import Runner
from heron.query.scope import SCOPED_TABLES, scope_to_project
from heron.query.source import event_rows, person_id, without_identity
from heron.query.sql_exec import QueryTimeout, SQLFailed, clickhouse_seconds, execute
from heron.query.sql_policy import UnsafeSQL, check_calls, check_nodes, describe

__all__ = ["QueryTimeout", "SQLFailed", "SQLQuery", "UnsafeSQL", "compile_sql", "views"]


MAX_SQL_CHARS = 100_000
DEFAULT_LIMIT = 10_000
MAX_LIMIT = 100_000
DEFAULT_TIMEOUT_SECONDS = 30.0
MAX_TIMEOUT_SECONDS = 300.0
VIEWS = ("events", "persons", "sessions", "groups")
_CTE_PREFIX = "_heron_cte_"


class SQLQuery(QuerySpec):
    """``{"kind": "SQLQuery", "sql": "select …", "limit": 10000, "timeout_seconds": 30}``.

    Result: ``{"columns", "types", "rows": [[…]], "row_count", "truncated"}``.
    """

    kind: Literal["SQLQuery"] = "SQLQuery"
    sql: str = Field(min_length=1, max_length=MAX_SQL_CHARS)
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    timeout_seconds: float = Field(default=DEFAULT_TIMEOUT_SECONDS, gt=0, le=MAX_TIMEOUT_SECONDS)

    @model_validator(mode="after")
    def _no_common_fields(self) -> SQLQuery:
        used = [f for f in ("date_from", "date_to", "breakdown", "cohort") if getattr(self, f)]
        if used or self.filters:
            raise ValueError(
                f"SQLQuery does not take {', '.join(used or ['filters'])}; filter in the SQL"
            )
        return self


# -- validation -----------------------------------------------------------------------------


def parse_user_sql(sql: str) -> exp.Expression:
    """Parse DuckDB-syntax SQL into one SELECT, or raise :class:`UnsafeSQL`."""
    if len(sql) > MAX_SQL_CHARS:
        raise UnsafeSQL(f"the query is longer than {MAX_SQL_CHARS} characters")
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except (ParseError, TokenError) as exc:
        raise UnsafeSQL(f"could not parse the query: {_first_line(str(exc))}") from None
    except RecursionError:
        raise UnsafeSQL("the query is nested too deeply") from None
    if len(statements) != 1:
        raise UnsafeSQL(f"expected exactly one statement, got {len(statements)}")
    tree = statements[0]
    if not isinstance(tree, exp.Query) or not isinstance(tree, exp.Expression):
        raise UnsafeSQL(f"only SELECT queries are allowed, not {describe(tree)}")
    return tree


class _Resolver:
    """Renames user CTEs and expands view references, honouring CTE scoping."""

    def __init__(self, ctx: QueryContext, *, persons: bool = True) -> None:
        self.ctx = ctx
        self.persons = persons
        self.cte_names: set[str] = set()
        self._views: dict[str, exp.Query] | None = None
        self._aliases = 0

    def alias(self, node: exp.Expression) -> None:
        """Name an anonymous subquery or series in FROM/JOIN (ClickHouse requires it)."""
        if not node.args.get("alias") and isinstance(node.parent, exp.From | exp.Join):
            self._aliases += 1
            node.set("alias", exp.TableAlias(this=exp.to_identifier(f"_heron_s{self._aliases}")))

    def view(self, name: str) -> exp.Query:
        if name == "events" and not self.persons:
            return events_view(self.ctx, persons=False)
        if self._views is None:
            self._views = views(self.ctx)
        return self._views[name].copy()

    def visit(self, node: exp.Expression, visible: dict[str, str]) -> None:
        if isinstance(node, exp.Subquery):
            self.alias(node)
        with_ = node.args.get("with_")
        if isinstance(with_, exp.With):
            visible = dict(visible)
            for cte in with_.expressions:
                self.visit(cte.this, visible)
                fresh = f"{_CTE_PREFIX}{len(self.cte_names) + 1}"
                self.cte_names.add(fresh)
                visible[cte.alias_or_name.lower()] = fresh
                cte.args["alias"].set("this", exp.to_identifier(fresh))
        for key, value in list(node.args.items()):
            if key == "with_":
                continue
            for child in list(value) if isinstance(value, list) else [value]:
                if isinstance(child, exp.Table):
                    self.table(child, visible)
                elif isinstance(child, exp.Expression):
                    self.visit(child, visible)

    def table(self, table: exp.Table, visible: dict[str, str]) -> None:
        if isinstance(table.this, exp.GenerateSeries) and not table.args.get("db"):
            self.alias(table)
            self.visit(table.this, visible)
            return
        if not isinstance(table.this, exp.Identifier):
            raise UnsafeSQL(f"table functions are not allowed: {describe(table.this)}")
        if table.args.get("db") or table.args.get("catalog"):
            raise UnsafeSQL(f"qualified table names are not allowed: {table.sql('duckdb')}")
        extra = sorted(k for k, v in table.args.items() if v and k not in ("this", "alias"))
        if extra:
            raise UnsafeSQL(f"table options are not allowed ({extra[0].rstrip('_')})")
        name = table.name.lower()
        alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(table.name))
        if name in visible:
            table.set("this", exp.to_identifier(visible[name]))
            table.set("alias", alias)
        elif name in VIEWS:
            table.replace(exp.Subquery(this=self.view(name), alias=alias))
        else:
            known = ", ".join(VIEWS)
            raise UnsafeSQL(f"unknown table {table.name!r}; queries can read {known}")


def _check_scoped(tree: exp.Expression, project_id: int, cte_names: set[str]) -> None:
    """Prove every table access is a renamed CTE or a stored table behind the predicate."""
    predicate = f"WHERE project_id = {int(project_id)}"
    for table in tree.find_all(exp.Table):
        name = table.name
        series = isinstance(table.this, exp.GenerateSeries)
        if (name in cte_names or series) and not table.args.get("db"):
            continue
        select = table.parent.parent if table.parent else None
        scoped = (
            name in SCOPED_TABLES
            and isinstance(table.this, exp.Identifier)
            and isinstance(table.parent, exp.From)
            and isinstance(select, exp.Select)
            and not select.args.get("joins")
            and select.args.get("where") is not None
            and select.args["where"].sql() == predicate
        )
        if not scoped:
            raise UnsafeSQL("the query reads a table outside the project's views")


# -- views ----------------------------------------------------------------------------------

_SESSIONS = """
SELECT session_id, arg_min(person_id, timestamp) AS person_id,
    arg_min(distinct_id, timestamp) AS distinct_id,
    min(timestamp) AS start_timestamp, max(timestamp) AS end_timestamp,
    date_diff('second', min(timestamp), max(timestamp)) AS duration_seconds,
    count(*) AS event_count,
    CAST(count_if(event IN ('$pageview', 'pageview')) AS BIGINT) AS pageview_count,
    arg_min(pathname, timestamp) AS entry_pathname,
    arg_max(pathname, timestamp) AS exit_pathname,
    arg_min(current_url, timestamp) AS entry_current_url,
    arg_min(referring_domain, timestamp) AS referring_domain,
    arg_min(utm_source, timestamp) AS utm_source,
    arg_min(utm_medium, timestamp) AS utm_medium,
    arg_min(utm_campaign, timestamp) AS utm_campaign,
    arg_min(browser, timestamp) AS browser, arg_min(os, timestamp) AS os,
    arg_min(device_type, timestamp) AS device_type
FROM _heron_events WHERE session_id IS NOT NULL GROUP BY session_id
"""
_PERSONS = """
SELECT r.person_id, coalesce(p.properties, '{}') AS properties,
    coalesce(p.is_identified, FALSE) AS is_identified,
    r.first_seen, r.last_seen
FROM (SELECT person_id, min(timestamp) AS first_seen, max(timestamp) AS last_seen
      FROM _heron_events GROUP BY person_id) AS r
LEFT JOIN persons AS p ON p.person_id = r.person_id
"""
_GROUPS = """
SELECT g.group_type, t.group_type_index, g.group_key, g.properties, g.created_at, g.updated_at
FROM groups AS g JOIN group_types AS t ON t.group_type = g.group_type
"""


def views(ctx: QueryContext) -> dict[str, exp.Query]:
    """The user-facing views, as queries over the stored tables (not yet scoped).

    - ``events``: uuid, event, distinct_id, person_id (resolved through merges),
      timestamp (UTC), session_id, properties (JSON) and the materialised columns
      (current_url, pathname, referrer, referring_domain, utm_*, browser, os,
      device_type, lib);
    - ``persons``: one row per person with events: person_id, properties,
      is_identified, first_seen, last_seen;
    - ``sessions``: one row per session_id: person_id and distinct_id (of its first
      event), start_timestamp, end_timestamp, duration_seconds, event_count,
      pageview_count, entry/exit pathname, entry_current_url, and the first event's
      referring_domain, utm_source/medium/campaign, browser, os and device_type;
    - ``groups``: one row per group with properties (set by ``$groupidentify``):
      group_type, group_type_index, group_key, properties, created_at, updated_at.
    """
    events = events_view(ctx)
    groups = sqlglot.parse_one(_GROUPS, read="duckdb")
    assert isinstance(groups, exp.Query)
    return {
        "events": events,
        "persons": _over_events(_PERSONS, events),
        "sessions": _over_events(_SESSIONS, events),
        "groups": groups,
    }


def events_view(ctx: QueryContext, *, persons: bool = True) -> exp.Select:
    """The ``events`` view; without ``persons`` it has no ``person_id`` column and no
    identity join, for a query that never reads it (:func:`reads_person_id`)."""
    rows = event_rows(ctx, None)
    person = [exp.alias_(person_id(ctx), "person_id")]
    if not persons:
        without_identity(rows)
        person = []
    return rows.select(
        *(exp.column(c, "e") for c in ["uuid", "event", "distinct_id"]),
        *person,
        *(exp.column(c, "e") for c in ["timestamp", "session_id", "properties"]),
        *(exp.column(c, "e") for c in MATERIALISED_COLUMNS),
    )


def reads_person_id(tree: exp.Expression) -> bool:
    """Whether user SQL may read the ``events`` view's ``person_id`` (resolved through the
    identity join, the costliest part of a scan): it names ``person_id`` anywhere, selects
    every column (``*`` outside an aggregate, ``COLUMNS(…)``), or reads a whole row by its
    table's name (``row_to_json(e)``). A query that does none of these cannot tell the
    view without that column from the full one."""
    tables = {
        name.lower()
        for node in tree.find_all(exp.Table, exp.TableAlias)
        for name in (node.name, node.alias_or_name)
        if name
    }
    for node in tree.walk():
        if isinstance(node, exp.Identifier) and node.name.lower() == "person_id":
            return True
        if isinstance(node, exp.Star) and not isinstance(node.parent, exp.AggFunc):
            return True
        if isinstance(node, exp.Columns):
            return True
        if isinstance(node, exp.Column) and node.name.lower() in tables:
            return True
    return False


def _over_events(template: str, events: exp.Query) -> exp.Query:
    tree = sqlglot.parse_one(template, read="duckdb")
    for table in list(tree.find_all(exp.Table)):
        if table.name == "_heron_events":
            table.replace(exp.Subquery(this=events.copy(), alias=exp.TableAlias(this="ev")))
    assert isinstance(tree, exp.Query)
    return tree


# -- compile and run ------------------------------------------------------------------------


def compile_sql(
    sql: str, ctx: QueryContext, *, limit: int = DEFAULT_LIMIT, timeout_seconds: float = 30.0
) -> str:
    """Validate user SQL and return it scoped, limited to ``limit + 1`` rows, for the store."""
    tree = parse_user_sql(sql)
    try:
        check_nodes(tree)
        resolver = _Resolver(ctx, persons=reads_person_id(tree))
        resolver.visit(tree, {})
    except RecursionError:
        raise UnsafeSQL("the query is nested too deeply") from None
    scoped = scope_to_project(tree, ctx.project_id)
    _check_scoped(scoped, ctx.project_id, resolver.cte_names)
    outer = exp.select("*").from_(exp.Subquery(this=scoped, alias=exp.TableAlias(this="q")))
    outer = outer.limit(limit + 1)
    _pin_limits(outer)
    name = ctx.dialect.name
    if name == "clickhouse":
        outer = _clickhouse_series(outer)
        seconds = exp.Literal.number(clickhouse_seconds(timeout_seconds))
        outer.set("settings", [exp.EQ(this=exp.var("max_execution_time"), expression=seconds)])
    try:
        rendered = outer.sql(dialect=name, unsupported_level=ErrorLevel.RAISE, comments=False)
    except SqlglotError as exc:
        raise UnsafeSQL(f"not supported on this backend: {_first_line(str(exc))}") from None
    check_calls(rendered, name)
    return rendered


def _clickhouse_series(tree: exp.Select) -> exp.Select:
    """``generate_series`` / ``range`` in FROM → ClickHouse's (case-sensitive, inclusive) one."""

    def rewrite(node: exp.Expression) -> exp.Expression:
        if not (isinstance(node, exp.Table) and isinstance(node.this, exp.GenerateSeries)):
            return node
        series = node.this
        end = series.args["end"]
        if series.args.get("is_end_exclusive"):
            end = exp.Sub(this=end, expression=exp.Literal.number(1))
        args = [
            series.args["start"],
            end,
            *([series.args["step"]] if series.args.get("step") else []),
        ]
        node.set("this", exp.Anonymous(this="generate_series", expressions=args))
        return node

    transformed = tree.transform(rewrite)
    assert isinstance(transformed, exp.Select)
    return transformed


def _pin_limits(tree: exp.Expression) -> None:
    """Give every bare LIMIT an ``OFFSET 0``.

    DuckDB 2.0.0 drops a bare LIMIT that sits above a LEFT JOIN whose right side its
    statistics prove empty (the overrides of a project without merges); with an
    offset the limit is kept.
    """
    for query in tree.find_all(exp.Query):
        if query.args.get("limit") and not query.args.get("offset"):
            query.set("offset", exp.Offset(expression=exp.Literal.number(0)))


@register(SQLQuery)
def run_sql(spec: SQLQuery, runner: Runner) -> dict[str, Any]:
    """Run a validated query; rows beyond ``limit`` are cut and ``truncated`` says so."""
    sql = compile_sql(spec.sql, runner.ctx, limit=spec.limit, timeout_seconds=spec.timeout_seconds)
    runner.statements.append(sql)
    started = time.perf_counter()
    try:
        table = execute(runner.store, sql, spec.timeout_seconds)
    finally:
        runner.seconds += time.perf_counter() - started
    return rows_result(table, spec.limit)


def rows_result(table: pa.Table, limit: int) -> dict[str, Any]:
    shown = table.slice(0, limit)
    names = shown.column_names
    columns = [shown.column(i).to_pylist() for i in range(len(names))]
    return {
        "columns": names,
        "types": [str(t) for t in shown.schema.types],
        "rows": [list(row) for row in zip(*columns, strict=True)],
        "row_count": shown.num_rows,
        "truncated": table.num_rows > limit,
    }


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "unknown error"
