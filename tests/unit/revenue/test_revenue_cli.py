"""``heron revenue import|rate`` and ``heron metrics define|list|map|delete``, end to end via ``query()``."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

from heron.analysis.service import query
from heron.cli import main
from heron.config import load_settings
from heron.meta.db import meta_session
from heron.meta.projects import create_project
from heron.store.duckdb import DuckDBStore
from tests.support.events import raw_batch

CSV = """subscription_id,customer_id,amount,currency,interval,started_at,ended_at,quantity
sub_1,cus_1,1000,USD,month,2025-01-05T00:00:00Z,,1
sub_2,cus_2,24000,EUR,year,2025-01-20T00:00:00Z,2025-03-10T00:00:00Z,
sub_1,cus_1,3000,USD,month,2025-02-10T00:00:00Z,,
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("HERON_DATA_DIR", str(tmp_path / "data"))
    for name in ("HERON_META_URL", "HERON_EVENTS_URL"):
        monkeypatch.delenv(name, raising=False)
    with meta_session(load_settings()) as s:
        return create_project(s, "P").id


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def mrr(project: int) -> list[int]:
    spec = {
        "kind": "RevenueQuery",
        "metrics": ["mrr"],
        "date_from": "2025-01-01",
        "date_to": "2025-03-31",
    }
    return query(spec, project)["results"]["series"]["mrr"]


def test_import_csv_is_idempotent_and_converts_currencies(project: int, tmp_path: Path) -> None:
    path = tmp_path / "subs.csv"
    path.write_text(CSV)
    assert run("revenue", "rate", "EUR", "1.5", "--project", str(project)).exit_code == 0
    first = run("revenue", "import", str(path), "--project", str(project), "--json")
    assert json.loads(first.output) == {"rows": 3, "imported": 3, "already_present": 0}
    again = run("revenue", "import", str(path), "--project", str(project), "--json")
    assert json.loads(again.output)["imported"] == 0
    assert mrr(project) == [1000 + 3000, 3000 + 3000, 3000]


def test_import_parquet(project: int, tmp_path: Path) -> None:
    table = pa.table(
        {
            "subscription_id": ["s"],
            "customer_id": ["c"],
            "amount": [5200],
            "currency": ["USD"],
            "interval": ["week"],
            "started_at": ["2025-01-01T00:00:00Z"],
        }
    )
    pq.write_table(table, tmp_path / "subs.parquet")
    assert (
        run(
            "revenue", "import", str(tmp_path / "subs.parquet"), "--project", str(project)
        ).exit_code
        == 0
    )
    assert mrr(project) == [22533] * 3


def test_import_names_the_bad_row(project: int, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(CSV.replace("year", "fortnight"))
    result = CliRunner().invoke(main, ["revenue", "import", str(path), "--project", str(project)])
    assert result.exit_code != 0
    assert "row 2, column 'interval'" in result.output


def test_custom_metric_lifecycle(project: int) -> None:
    definition = {
        "series": [
            {"event": "purchase", "math": "sum", "math_property": "amount"},
            {"event": "purchase"},
        ],
        "formula": "A / B",
        "interval": "week",
        "unit": "amount",
        "description": "average order value",
    }
    saved = run(
        "metrics", "define", "aov", json.dumps(definition), "--project", str(project), "--json"
    )
    assert saved.exit_code == 0, saved.output
    listed = json.loads(run("metrics", "list", "--project", str(project), "--json").output)[
        "metrics"
    ]
    assert {"aov", "mrr", "habit_adherence_score"} <= {m["name"] for m in listed}
    spec = {
        "kind": "MetricQuery",
        "metric": "aov",
        "date_from": "2025-01-06",
        "date_to": "2025-01-19",
    }
    result = query(spec, project)["results"]
    assert result["labels"] == ["2025-01-06", "2025-01-13"]
    bad = CliRunner().invoke(
        main,
        [
            "metrics",
            "define",
            "bad",
            json.dumps({**definition, "formula": "A / C"}),
            "--project",
            str(project),
        ],
    )
    assert bad.exit_code == 2
    assert "formula refers to series C" in bad.output
    assert run("metrics", "delete", "aov", "--project", str(project)).exit_code == 0


def test_event_map_setting(project: int) -> None:
    out = run("metrics", "map", "habit_checked", "habit_done", "--project", str(project), "--json")
    assert json.loads(out.output) == {"event_map": {"habit_checked": "habit_done"}}


def test_snapshots_refresh_command(project: int) -> None:
    store = DuckDBStore(load_settings().data_dir / "events.duckdb")
    rows = [{"event": "pageview", "distinct_id": "a", "timestamp": datetime(2025, 1, 2)}]
    store.append(raw_batch(rows, project_id=project))
    store.close()
    out = run("snapshots", "refresh", "--project", str(project), "--json")
    assert json.loads(out.output) == {"series": 5}
    again = run("snapshots", "refresh", "--json")
    assert json.loads(again.output) == {"series": 5}
