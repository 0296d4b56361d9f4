"""Golden SQL: what small TrendsQuery specs compile to, per backend dialect.

A change to the compiled SQL fails here until the golden files are rewritten with
``HERON_UPDATE_GOLDEN=1 pytest tests/unit/analysis/test_trends_sql.py`` and the diff is
reviewed like any other code change.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from heron.analysis.trends import TrendsQuery, compile_trends
from heron.query.context import QueryContext
from heron.query.dialects import dialect
from heron.query.runner import Runner
from heron.store.base import EventStore
from tests.support.golden import assert_golden

NOW = datetime(2025, 6, 1, tzinfo=UTC)
SPECS: dict[str, dict[str, Any]] = {
    "daily_breakdown": {
        "series": [
            {"event": "pageview"},
            {"event": "signup", "math": "dau", "filters": [{"property": "plan", "value": "pro"}]},
        ],
        "breakdown": {"property": "$browser", "limit": 5},
        "date_from": "2025-03-08",
        "date_to": "2025-03-10",
    },
    "weekly_active_and_p90": {
        "series": [
            {"event": "pageview", "math": "weekly_active"},
            {"event": "checkout", "math": "p90", "math_property": "duration_ms"},
        ],
        "interval": "week",
        "date_from": "2025-03-03",
        "date_to": "2025-03-16",
    },
    "monthly_active_long_breakdown": {
        "series": [{"event": "pageview", "math": "monthly_active"}],
        "breakdown": {"property": "plan", "limit": 3},
        "date_from": "2023-10-01",
        "date_to": "2025-04-10",
    },
    "one_scan": {
        "series": [
            {"event": "pageview"},
            {"event": "pageview", "math": "unique_session"},
            {"event": "pageview", "math": "avg", "math_property": "duration_ms"},
        ],
        "date_from": "2025-03-08",
        "date_to": "2025-03-10",
    },
    "total_and_dau": {
        "series": [{"event": "pageview"}, {"event": "pageview", "math": "dau"}],
        "date_from": "2025-03-08",
        "date_to": "2025-03-10",
    },
    "hourly_compare": {
        "series": [{"math": "sum", "math_property": "amount"}],
        "interval": "hour",
        "compare": True,
        "date_from": "2025-03-09",
        "date_to": "2025-03-09",
    },
}


def compiled(store: EventStore, name: str, dialect_name: str) -> str:
    spec = TrendsQuery.model_validate(SPECS[name])
    ctx = QueryContext(1, ZoneInfo("America/New_York"), dialect(dialect_name), now=NOW)
    runner = Runner(store, ctx)
    return "".join(f"{runner.render(tree)};\n" for tree in compile_trends(ctx, spec))


@pytest.mark.parametrize("dialect_name", ["duckdb", "clickhouse"])
@pytest.mark.parametrize("name", sorted(SPECS))
def test_trends_sql_matches_the_golden_file(
    duckdb_store: EventStore, name: str, dialect_name: str
) -> None:
    sql = compiled(duckdb_store, name, dialect_name)
    assert_golden(f"trends_{name}.{dialect_name}.sql", sql)


def test_golden_sql_runs_on_duckdb(duckdb_store: EventStore) -> None:
    for name in SPECS:
        for statement in compiled(duckdb_store, name, "duckdb").splitlines():
            duckdb_store.query(statement.rstrip(";"))
