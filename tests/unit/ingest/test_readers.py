"""Streaming readers: chunking, row numbers, compression, limits and unreadable files."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from heron.ingest.readers import (
    ImportFormat,
    LineChunk,
    ReadError,
    TableChunk,
    detect_format,
    read_chunks,
)


def chunks(path: Path, fmt: ImportFormat, batch_size: int = 2, max_line_bytes: int = 100):
    return list(read_chunks(path, fmt, batch_size=batch_size, max_line_bytes=max_line_bytes))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("events.jsonl", ImportFormat.JSONL),
        ("events.NDJSON", ImportFormat.JSONL),
        ("events.jsonl.gz", ImportFormat.JSONL),
        ("2025.events.csv", ImportFormat.CSV),
        ("events.csv.gz", ImportFormat.CSV),
        ("events.parquet", ImportFormat.PARQUET),
        ("events.pq", ImportFormat.PARQUET),
    ],
)
def test_detect_format(name: str, expected: ImportFormat) -> None:
    assert detect_format(Path(name)) is expected


@pytest.mark.parametrize("name", ["events.json", "events.txt", "events", "events.gz"])
def test_unknown_extensions_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="cannot tell the format"):
        detect_format(Path(name))


def test_jsonl_lines_keep_their_numbers(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"a":1}\n\n{"a":2}\r\n   \n{"a":3}\n{"a":4}\n{"a":5}')
    got = chunks(path, ImportFormat.JSONL)
    assert all(isinstance(c, LineChunk) for c in got)
    assert [c.rows for c in got] == [[1, 3], [5, 6], [7]]
    assert [line for c in got for line in c.lines] == [
        b'{"a":1}',
        b'{"a":2}\r',
        b'{"a":3}',
        b'{"a":4}',
        b'{"a":5}',
    ]
    assert got[-1].position == path.stat().st_size


def test_long_lines_are_dropped_without_being_kept(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"x" * 100 + b"\n" + b"y" * 101 + b"\n" + b"z" * 3_000_000 + b"\nok")
    got = chunks(path, ImportFormat.JSONL, batch_size=10)
    assert [(c.rows, c.lines) for c in got] == [([1, 2, 3, 4], [b"x" * 100, None, None, b"ok"])]


def test_a_long_last_line_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"ok\n" + b"z" * 3_000_000)
    assert [c.lines for c in chunks(path, ImportFormat.JSONL, batch_size=10)] == [[b"ok", None]]


def test_gzip_is_recognised_by_its_magic_bytes(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(gzip.compress(b'{"a":1}\n{"a":2}\n'))
    got = chunks(path, ImportFormat.JSONL)
    assert got[0].lines == [b'{"a":1}', b'{"a":2}']
    assert got[0].position == path.stat().st_size


def test_truncated_gzip_is_a_read_error(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"a":1}\n' * 1000)[:-20])
    with pytest.raises(ReadError, match=r"events\.jsonl\.gz"):
        chunks(path, ImportFormat.JSONL, batch_size=10_000)


def test_csv_columns_are_bytes_in_exact_chunks(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text('event,distinct_id,note\nsignup,1,"a, ""quoted""\nvalue"\nlogin,2,\nx,3,z\n')
    got = chunks(path, ImportFormat.CSV)
    assert all(isinstance(c, TableChunk) for c in got)
    assert [(c.first_row, c.table.num_rows) for c in got] == [(1, 2), (3, 1)]
    table = got[0].table
    assert table.schema == pa.schema([(n, pa.binary()) for n in ("event", "distinct_id", "note")])
    assert table.to_pylist()[0] == {
        "event": b"signup",
        "distinct_id": b"1",
        "note": b'a, "quoted"\nvalue',
    }
    assert table["note"][1].as_py() is None


def test_gzip_csv(tmp_path: Path) -> None:
    path = tmp_path / "events.csv.gz"
    path.write_bytes(gzip.compress(b"event\na\nb\nc\n"))
    assert sum(c.table.num_rows for c in chunks(path, ImportFormat.CSV)) == 3


@pytest.mark.parametrize("text", ["", "event,distinct_id\n"])
def test_csv_without_rows(tmp_path: Path, text: str) -> None:
    path = tmp_path / "events.csv"
    path.write_text(text)
    assert chunks(path, ImportFormat.CSV) == []


def test_csv_errors(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("event,event\na,b\n")
    with pytest.raises(ReadError, match="duplicate CSV columns: event"):
        chunks(path, ImportFormat.CSV)
    path.write_text("event,distinct_id\na,b\nc,d,e\n")
    with pytest.raises(ReadError, match="Expected 2 columns, got 3"):
        chunks(path, ImportFormat.CSV, batch_size=1)


def test_parquet_chunks(tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    pq.write_table(pa.table({"event": ["a", "b", "c", "d", "e"]}), path, row_group_size=2)
    got = chunks(path, ImportFormat.PARQUET)
    assert [(c.first_row, c.table.column("event").to_pylist()) for c in got] == [
        (1, ["a", "b"]),
        (3, ["c", "d"]),
        (5, ["e"]),
    ]
    assert got[-1].position == path.stat().st_size


def test_a_file_that_is_not_parquet_is_a_read_error(tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    path.write_text("event\nsignup\n")
    with pytest.raises(ReadError, match=r"cannot read events\.parquet"):
        chunks(path, ImportFormat.PARQUET)


def test_empty_files_have_no_chunks(tmp_path: Path) -> None:
    path = tmp_path / "events"
    path.write_bytes(b"")
    for fmt in ImportFormat:
        assert chunks(path, fmt) == []
