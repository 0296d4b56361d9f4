"""``heron query --project ID SPEC.json``: runs a spec and prints the JSON envelope."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from heron.cli.data import COMMANDS
from heron.config import load_settings
from heron.meta.db import meta_session
from heron.meta.projects import create_project
from heron.store.duckdb import DuckDBStore
from tests.support.events import raw_batch


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("HERON_DATA_DIR", str(tmp_path / "data"))
    for name in ("HERON_META_URL", "HERON_EVENTS_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    with meta_session(settings) as s:
        project_id = create_project(s, "P").id
    store = DuckDBStore(settings.data_dir / "events.duckdb")
    rows = [
        {"event": "e", "distinct_id": f"d{i}", "timestamp": datetime(2025, 1, 1)} for i in range(4)
    ]
    store.append(raw_batch(rows, project_id=project_id))
    store.close()
    return project_id


def run(*args: str, stdin: str | None = None) -> Result:
    group = click.Group("heron")
    for command in COMMANDS:
        group.add_command(command)
    return CliRunner().invoke(group, list(args), input=stdin)


def test_query_from_a_file_prints_the_envelope(project: int, tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"kind": "SQLQuery", "sql": "select count(*) as n from events"}))
    result = run("query", "--project", str(project), str(spec))
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["results"]["rows"] == [[4]] and payload["cached"] is False
    assert set(payload["timings"]) == {"total_ms", "sql_ms"}


def test_query_from_stdin(project: int) -> None:
    spec = {"kind": "CohortQuery", "definition": {"distinct_ids": ["d1", "d2", "ghost"]}}
    result = run("query", "--project", str(project), "-", stdin=json.dumps(spec))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["results"]["count"] == 2


def test_errors_are_reported_without_tracebacks(project: int) -> None:
    bad_sql = json.dumps({"kind": "SQLQuery", "sql": "select * from read_csv('/etc/passwd')"})
    result = run("query", "--project", str(project), "-", stdin=bad_sql)
    assert result.exit_code == 1 and "read_csv() is not allowed" in result.stderr
    result = run("query", "--project", "999", "-", stdin=bad_sql)
    assert result.exit_code == 1 and "no project with id 999" in result.stderr
    result = run("query", "--project", str(project), "-", stdin="{not json")
    assert result.exit_code == 2 and "not JSON" in result.stderr
