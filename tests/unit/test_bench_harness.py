"""The benchmark harness's pure functions (no timing is asserted anywhere)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import orjson
import pyarrow.parquet as pq
import pytest

from bench import data, harness, wrk
from bench.ingest import BulkRow, Config, HttpRow, Run, SoakResult
from bench.ingest_report import render


def test_median_and_ratio() -> None:
    assert harness.median([3.0, 1.0, 2.0]) == 2.0
    assert harness.median([4.0, 1.0, 2.0, 3.0]) == 2.5
    with pytest.raises(ValueError):
        harness.median([])
    assert harness.ratio(3, 4) == 0.75
    assert harness.ratio(None, 4) is None
    assert harness.ratio(3, 0) is None


def test_repeat_runs_the_function_each_time() -> None:
    calls: list[int] = []
    seconds = harness.repeat(lambda: calls.append(1), 3)
    assert len(seconds) == 3 and len(calls) == 3
    assert all(s >= 0 for s in seconds)
    with pytest.raises(ValueError):
        harness.repeat(lambda: None, 0)


def test_parse_proc_status_reads_vm_lines_as_bytes() -> None:
    text = "Name:\tpython\nVmPeak:\t  2000 kB\nVmHWM:\t  1536 kB\nVmRSS:\t 1024 kB\nThreads:\t4\n"
    sizes = harness.parse_proc_status(text)
    assert sizes == {"VmPeak": 2000 * 1024, "VmHWM": 1536 * 1024, "VmRSS": 1024 * 1024}


def test_proc_memory_of_this_process() -> None:
    import os

    memory = harness.proc_memory(os.getpid())
    assert memory["VmHWM"] >= memory["VmRSS"] > 0


def test_formatting() -> None:
    assert harness.fmt_count(1234567.4) == "1,234,567"
    assert harness.fmt_count(None) == "–"
    assert harness.fmt_bytes(3 * 2**20) == "3 MiB"
    assert harness.fmt_ms(1.234) == "1.23 ms"
    assert harness.fmt_ms(123.4) == "123 ms"
    assert harness.fmt_ratio(0.456) == "0.46×"
    assert harness.fmt_ratio(None) == "–"
    assert harness.fmt_target(150_000, 100_000) == "≥ 100,000 ✓"
    assert harness.fmt_target(50_000, 100_000) == "≥ 100,000 ✗"


def test_table_markdown() -> None:
    table = harness.Table("Title", ["a", "b"], notes=["a note"])
    table.add("x|y", 1234)
    table.add(None, 0.5)
    with pytest.raises(ValueError):
        table.add("only one")
    assert harness.to_markdown(table).splitlines() == [
        "**Title**",
        "",
        "| a | b |",
        "|---|---|",
        "| x\\|y | 1,234 |",
        "| – | 0.50 |",
        "",
        "- a note",
    ]


def test_replace_section_appends_then_replaces_in_place() -> None:
    start, end = harness.section_markers("ingest")
    document = "# Benchmarks\n\nintro\n"
    first = harness.replace_section(document, "ingest", "one")
    assert first == f"# Benchmarks\n\nintro\n\n{start}\none\n{end}\n"
    around = first.replace(
        "# Benchmarks",
        "# Benchmarks\n\n"
        + f"{start.replace('ingest', 'queries')}\nq\n{end.replace('ingest', 'queries')}",
    )
    second = harness.replace_section(around + "tail\n", "ingest", "two\n")
    assert f"{start}\ntwo\n{end}\ntail\n" in second
    assert "one" not in second and "\nq\n" in second
    assert harness.replace_section("", "ingest", "x") == f"{start}\nx\n{end}\n"
    with pytest.raises(ValueError):
        harness.replace_section(f"{start}\nunterminated", "ingest", "x")


def test_write_docs_section_creates_the_file(tmp_path: Path) -> None:
    path = tmp_path / "docs" / "benchmarks.md"
    harness.write_docs_section("ingest", "body", path)
    harness.write_docs_section("ingest", "body 2", path)
    text = path.read_text()
    assert text.startswith("# Benchmarks") and "body 2" in text and "body\n" not in text


WRK_STDOUT = """Running 5s test @ http://127.0.0.1:1
BENCH-DRAINED
  Latency 1.0ms
BENCH-JSON {"duration_us":2000000,"sent":10,"answered":10,"ok":9,"failed":1,"accepted":900,"socket_errors":0,"timeouts":0,"p50_us":1500,"p99_us":9000,"mean_us":2.5}
"""


def test_parse_wrk_output() -> None:
    result = wrk.parse_output(WRK_STDOUT)
    assert result.seconds == 2.0 and result.ok == 9 and result.failed == 1
    assert result.requests_per_second == 4.5
    assert result.events_per_second == 450.0
    assert result.p50_ms == 1.5 and result.p99_ms == 9.0
    assert result.drained
    with pytest.raises(ValueError):
        wrk.parse_output("no result here")


def test_wrk_command_caps_threads_and_passes_script_args(tmp_path: Path) -> None:
    cmd = wrk.command(
        "http://h", tmp_path / "s.lua", tmp_path / "b.txt", "key", connections=16, seconds=3
    )
    assert cmd[1] in {"-t1", "-t2"} and "-c16" in cmd
    assert cmd[-4:] == ["--", str(tmp_path / "b.txt"), "key", "3"]


def test_http_bodies_drop_uuid_and_timestamp(tmp_path: Path) -> None:
    table = data.synthetic_batch(np.random.default_rng(0), 10, 1_700_000_000_000_000, 10**9)
    path = tmp_path / "events.parquet"
    pq.write_table(table, path)
    singles = data.http_bodies(path, 1, 10)
    assert len(singles) == 10
    event = orjson.loads(singles[0])
    assert set(event) == {"event", "distinct_id", "properties"}
    assert event["properties"] == orjson.loads(table["properties"][0].as_py())
    batches = data.http_bodies(path, 4, 10)
    assert len(batches) == 2 and all(len(orjson.loads(b)["batch"]) == 4 for b in batches)
    written = data.write_bodies(batches, tmp_path / "bodies.txt")
    assert written.read_bytes().count(b"\n") == 2
    with pytest.raises(ValueError):
        data.write_bodies([b"{\n}"], tmp_path / "bad.txt")


def test_synthetic_batch_shape() -> None:
    table = data.synthetic_batch(np.random.default_rng(1), 50, 0, 10**9)
    assert table.column_names == data.CANONICAL
    assert table.num_rows == 50 and len(set(table["uuid"].to_pylist())) == 50
    stamps = table["timestamp"].to_pylist()
    assert stamps == sorted(stamps)
    assert all(isinstance(orjson.loads(p), dict) for p in table["properties"].to_pylist())


def _result(ok: int, accepted: int) -> wrk.WrkResult:
    return wrk.WrkResult(2.0, ok, ok, ok, 0, accepted, 0, 0, 1.0, 5.0)


def test_render_ingest_tables() -> None:
    run = Run(
        config=Config(quick=True, events=1000, seconds=2.0, repeat=1),
        source="synthetic",
        parquet=Path("x.parquet"),
        load_before="1.00, 1.00, 1.00",
        load_after="1.00, 1.00, 1.00",
    )
    run.http = [
        HttpRow(1, 4, _result(20_000, 20_000), 20_000, 100, 2**28, 2**29),
        HttpRow(1000, 4, _result(300, 300_000), 299_000, 30, 2**28, 2**29),
        HttpRow(1, 1, wrk.WrkResult(2.0, 9, 9, 9, 0, 9, 1, 0, 1.0, 5.0), 9, 9, 2**28, 2**29),
    ]
    run.bulk = [
        BulkRow("heron import (CLI process)", 1000, [0.002], [2**27], 1000),
        BulkRow("DuckDB Arrow append (ceiling)", 1000, [0.001], [2**26], 1000),
    ]
    samples = [(float(t), 100 if t <= 60 else 120) for t in range(10, 190, 10)]
    samples[3] = (40.0, 150)  # a transient peak
    run.soak = SoakResult(180.0, 10.0, samples, _result(10, 1000), 1000)
    context, http, bulk, soak = render(run)
    assert "1.00, 1.00, 1.00" in harness.to_markdown(context)
    assert http.rows[0][-1] == "req/s ≥ 5,000 ✓"
    assert http.rows[1][9] == "✗ stored 299,000 vs 300,000"
    assert http.rows[2][9] == "✗ not drained (socket errors 1; stored 9)"
    assert http.rows[1][-3] == "0.15×"
    assert bulk.rows[0][4] == "1.00×" and bulk.rows[1][4] == "0.50×"
    assert bulk.rows[0][-1] == "target ≥ 500,000 ✓"
    assert "last minute ÷ first minute (median RSS) = 1.20×" in soak.notes[0]
    assert "max / first = 1.50×" in soak.notes[1]


def test_parse_proc_stat_ticks_counts_after_the_command_name() -> None:
    stat = "42 (a (b) c) S 1 42 42 0 -1 4194560 10 0 0 0 250 31 0 0 20 0 3 0 99 1000 20"
    assert harness.parse_proc_stat_ticks(stat) == 281


def test_proc_cpu_seconds_of_this_process() -> None:
    assert harness.proc_cpu_seconds(os.getpid()) > 0
