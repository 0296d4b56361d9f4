"""Fixtures: a migrated metadata database with two projects (USD and EUR rates set)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from heron.query.context import QueryContext
from heron.query.dialects import dialect
from heron.query.registry import KINDS, parse_spec
from heron.query.runner import Runner
from heron.revenue import query as revenue_query
from heron.revenue.source import EXTENSION, MetaRevenue
from heron.revenue.store import set_rate
from tests.support.meta import migrated_meta

assert revenue_query  # registers RevenueQuery
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def meta(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    with migrated_meta(tmp_path) as factory:
        with factory.begin() as s:
            for project_id in (1, 2):
                set_rate(s, project_id, "EUR", 1.1)
        yield factory


def revenue(
    meta: sessionmaker[Session], project_id: int, spec: dict[str, Any], tz: str = "UTC"
) -> Any:
    """Run a RevenueQuery of the project's stored log."""
    ctx = QueryContext(project_id, ZoneInfo(tz), dialect("duckdb"), now=NOW)
    ctx.extensions[EXTENSION] = MetaRevenue(meta, project_id)
    parsed = parse_spec({"kind": "RevenueQuery", **spec})
    return KINDS["RevenueQuery"].run(parsed, Runner(None, ctx))  # type: ignore[arg-type]
