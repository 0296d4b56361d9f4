"""Runs compiled queries: scope to the project, render for the backend, execute, time."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pyarrow as pa
from sqlglot import exp

from heron.query.context import QueryContext
from heron.query.scope import scope_to_project
from heron.store.base import EventStore


@dataclass(slots=True)
class Runner:
    """Executes expressions for one query; remembers the SQL it ran and how long it took."""

    store: EventStore
    ctx: QueryContext
    statements: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def render(self, tree: exp.Expression) -> str:
        return scope_to_project(tree, self.ctx.project_id).sql(dialect=self.ctx.dialect.name)

    def execute(self, tree: exp.Expression) -> pa.Table:
        sql = self.render(tree)
        self.statements.append(sql)
        started = time.perf_counter()
        try:
            return self.store.query(sql)
        finally:
            self.seconds += time.perf_counter() - started
