"""``heron import``: summaries, JSON output and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import orjson
import pytest
from click.testing import CliRunner, Result

from heron.cli.importing import COMMANDS
from heron.config import load_settings
from heron.meta.db import meta_session
from heron.meta.projects import create_project
from heron.store.duckdb import DuckDBStore

GOOD = {"event": "signup", "distinct_id": "u1", "timestamp": "2025-03-01T10:00:00Z"}


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> click.Group:
    monkeypatch.setenv("HERON_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("HERON_META_URL", raising=False)
    monkeypatch.delenv("HERON_EVENTS_URL", raising=False)
    group = click.Group("heron")
    for command in COMMANDS:
        group.add_command(command)
    return group


@pytest.fixture
def project_id(cli: click.Group) -> int:
    with meta_session(load_settings()) as s:
        return create_project(s, "Imports").id


def run(cli: click.Group, *args: str | Path) -> Result:
    return CliRunner().invoke(cli, ["import", *map(str, args)])


def jsonl(path: Path, *rows: dict | bytes) -> Path:
    path.write_bytes(
        b"".join((r if isinstance(r, bytes) else orjson.dumps(r)) + b"\n" for r in rows)
    )
    return path


def stored_events() -> list[str]:
    store = DuckDBStore(load_settings().resolved_events_url.removeprefix("duckdb:///"))
    try:
        return [
            r["event"] for r in store.query("SELECT event FROM events ORDER BY event").to_pylist()
        ]
    finally:
        store.close()


def test_import_prints_a_summary(cli: click.Group, project_id: int, tmp_path: Path) -> None:
    path = jsonl(
        tmp_path / "events.jsonl",
        GOOD,
        {**GOOD, "event": ""},
        b"{not json",
        {**GOOD, "event": "login", "timestamp": "soon"},
        {**GOOD, "event": "login"},
        {**GOOD, "event": ""},
    )
    result = run(cli, path, "--project", project_id)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"Imported 2 of 6 rows from events.jsonl into project {project_id}: "
        "0 duplicates skipped, 4 rejected.",
        "Rejected rows (first 4 of 4):",
        "  row 2: event: required: a non-empty string",
        "  row 3: not valid JSON",
        "  row 4: timestamp: must be ISO-8601 or epoch seconds/milliseconds",
        "  row 6: event: required: a non-empty string",
        "Rejections by reason:",
        "         2  event: required: a non-empty string",
        "         1  not valid JSON",
        "         1  timestamp: must be ISO-8601 or epoch seconds/milliseconds",
    ]
    assert stored_events() == ["login", "signup"]


def test_json_output_and_idempotent_reimport(
    cli: click.Group, project_id: int, tmp_path: Path
) -> None:
    path = tmp_path / "events.csv"
    path.write_text("event,distinct_id,timestamp,plan\nsignup,u1,2025-03-01,pro\nlogin,u1,,\n")
    first = json.loads(run(cli, path, "--project", project_id, "--json").stdout)
    assert first == {
        "file": str(path),
        "project_id": project_id,
        "rows_read": 2,
        "imported": 2,
        "duplicates": 0,
        "rejected": 0,
        "rejections": [],
        "reasons": [],
    }
    again = json.loads(run(cli, path, "--project", project_id, "--json").stdout)
    assert (again["imported"], again["duplicates"]) == (0, 2)
    assert stored_events() == ["login", "signup"]


def test_format_option_overrides_the_extension(
    cli: click.Group, project_id: int, tmp_path: Path
) -> None:
    path = jsonl(tmp_path / "export.txt", GOOD)
    assert run(cli, path, "--project", project_id).exit_code == 2
    result = run(cli, path, "--project", project_id, "--format", "jsonl", "--batch-size", "1")
    assert result.exit_code == 0, result.output
    assert stored_events() == ["signup"]


def test_missing_project(cli: click.Group, tmp_path: Path) -> None:
    result = run(cli, jsonl(tmp_path / "events.jsonl", GOOD), "--project", "999")
    assert result.exit_code == 1
    assert "no project with id 999" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["missing.jsonl", "--project", "1"],
        ["events.jsonl"],
        ["events.jsonl", "--project", "1", "--format", "xml"],
        ["events.jsonl", "--project", "1", "--batch-size", "0"],
    ],
)
def test_usage_errors(cli: click.Group, tmp_path: Path, args: list[str]) -> None:
    jsonl(tmp_path / "events.jsonl", GOOD)
    result = run(cli, *[str(tmp_path / a) if a.endswith(".jsonl") else a for a in args])
    assert result.exit_code == 2


def test_unreadable_file(cli: click.Group, project_id: int, tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    path.write_text("this is not parquet")
    result = run(cli, path, "--project", project_id)
    assert result.exit_code == 1
    assert "cannot read events.parquet" in result.stderr
    assert "importing the file again" in result.stderr


def test_locked_store(cli: click.Group, project_id: int, tmp_path: Path) -> None:
    url = load_settings().resolved_events_url
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('ready', flush=True);"
            " sys.stdin.read()",
            url.removeprefix("duckdb:///"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        result = run(cli, jsonl(tmp_path / "events.jsonl", GOOD), "--project", project_id)
    finally:
        holder.communicate("")
    assert result.exit_code == 1
    assert "is locked by another process" in result.stderr
    assert "heron serve" in result.stderr
