"""Golden SQL: what PathsQuery specs compile to, per backend dialect.

Rewrite with ``HERON_UPDATE_GOLDEN=1 pytest tests/unit/analysis/test_paths_sql.py`` and
review the diff like any other code change.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from heron.analysis.paths import PathsQuery, compile_paths
from heron.query.context import QueryContext
from heron.query.dialects import dialect
from heron.query.runner import Runner
from heron.store.base import EventStore
from tests.support.golden import assert_golden

SPECS: dict[str, dict[str, Any]] = {
    "from_signup": {"start_event": "signup", "date_from": "2025-01-01", "date_to": "2025-04-30"},
    "to_checkout_by_person_filter": {
        "end_event": "/checkout",
        "path_type": "pathname",
        "step_limit": 3,
        "filters": [{"property": "plan", "value": "pro", "type": "person"}],
        "date_from": "2025-03-01",
        "date_to": "2025-03-31",
    },
}


def compiled(store: EventStore, name: str, dialect_name: str) -> str:
    spec = PathsQuery.model_validate(SPECS[name])
    now = datetime(2025, 6, 1, tzinfo=UTC)
    ctx = QueryContext(1, ZoneInfo("Europe/Berlin"), dialect(dialect_name), now=now)
    rng = ctx.time_range(spec.date_from, spec.date_to)
    return Runner(store, ctx).render(compile_paths(ctx, spec, rng)) + "\n"


@pytest.mark.parametrize("dialect_name", ["duckdb", "clickhouse"])
@pytest.mark.parametrize("name", sorted(SPECS))
def test_paths_sql_matches_the_golden_file(
    duckdb_store: EventStore, name: str, dialect_name: str
) -> None:
    sql = compiled(duckdb_store, name, dialect_name)
    assert_golden(f"paths_{name}.{dialect_name}.sql", sql)


def test_golden_sql_runs_on_duckdb(duckdb_store: EventStore) -> None:
    for name in SPECS:
        duckdb_store.query(compiled(duckdb_store, name, "duckdb"))
