"""Runs compiled queries: scope to the project, render for the backend, execute, time."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pyarrow as pa
from sqlglot import exp

from heron.query.context import QueryContext
from heron.query.scope import scope_to_project
from heron.query.shared import SharedResults
from heron.store.base import EventStore


@dataclass(slots=True)
class Runner:
    """Executes expressions for one query; remembers the SQL it ran and how long it took.

    ``shared``: the service's results of statements several queries ask for alike
    (:mod:`heron.query.shared`); ``execute(…, shared=True)`` reads and feeds it.
    """

    store: EventStore
    ctx: QueryContext
    shared: SharedResults | None = None
    statements: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def render(self, tree: exp.Expression) -> str:
        return scope_to_project(tree, self.ctx.project_id).sql(dialect=self.ctx.dialect.name)

    def execute(self, tree: exp.Expression, *, shared: bool = False) -> pa.Table:
        sql = self.render(tree)
        self.statements.append(sql)
        started = time.perf_counter()
        try:
            if not shared or self.shared is None:
                return self.store.query(sql)
            version = self.store.data_version(self.ctx.project_id)
            return self.shared.get_or_run(f"{version}\x1f{sql}", lambda: self.store.query(sql))
        finally:
            self.seconds += time.perf_counter() - started
