"""Streaming readers for ``heron import``: JSONL, CSV and Parquet files in bounded memory.

Each reader yields chunks of at most ``batch_size`` rows together with how many bytes of
the file have been consumed (for a progress bar). Nothing here validates events: a JSONL
chunk is raw lines, a CSV or Parquet chunk is an Arrow table of the file's own columns.

Row numbers are 1-based: the line number for JSONL (blank lines are skipped but keep
their numbers), the data record for CSV (the header is not a row) and Parquet.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

GZIP_MAGIC = b"\x1f\x8b"
READ_BLOCK_BYTES = 1 << 20
CHUNK_BYTES = 64 << 20
"""A chunk is cut at ``batch_size`` rows or about this many bytes, whichever comes first."""


class ImportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"
    PARQUET = "parquet"


_EXTENSIONS = {
    ".jsonl": ImportFormat.JSONL,
    ".ndjson": ImportFormat.JSONL,
    ".csv": ImportFormat.CSV,
    ".parquet": ImportFormat.PARQUET,
    ".pq": ImportFormat.PARQUET,
}


class ReadError(Exception):
    """The file cannot be read as the given format (corrupt, truncated, malformed CSV, I/O)."""


@dataclass(frozen=True, slots=True)
class LineChunk:
    """Raw JSONL lines; ``None`` stands for a line longer than the limit (not kept in memory)."""

    rows: list[int]
    lines: list[bytes | None]
    position: int


@dataclass(frozen=True, slots=True)
class TableChunk:
    """Consecutive CSV or Parquet rows, as the file's own columns."""

    first_row: int
    table: pa.Table
    position: int


Chunk = LineChunk | TableChunk


def detect_format(path: Path) -> ImportFormat:
    """The format a file name announces (``events.jsonl.gz`` → JSONL); ``ValueError`` if none."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    if suffixes and suffixes[-1] in _EXTENSIONS:
        return _EXTENSIONS[suffixes[-1]]
    known = ", ".join(sorted(_EXTENSIONS))
    raise ValueError(f"cannot tell the format of {path.name} (known extensions: {known}, +.gz)")


def read_chunks(
    path: Path, fmt: ImportFormat, *, batch_size: int, max_line_bytes: int
) -> Iterator[Chunk]:
    """Chunks of the file in order; raises :class:`ReadError` when the file is unreadable."""
    if path.stat().st_size == 0:
        return
    if fmt is ImportFormat.JSONL:
        yield from _jsonl_chunks(path, batch_size, max_line_bytes)
    elif fmt is ImportFormat.CSV:
        yield from _csv_chunks(path, batch_size, max_line_bytes)
    else:
        yield from _parquet_chunks(path, batch_size)


def _open(path: Path) -> tuple[pa.NativeFile, pa.NativeFile]:
    """``(raw file, stream to read)``: the stream decompresses when the file is gzip."""
    raw = pa.OSFile(str(path), "r")
    magic = raw.read(2)
    raw.seek(0)
    if magic == GZIP_MAGIC:
        return raw, pa.CompressedInputStream(raw, "gzip")
    return raw, raw


def _jsonl_chunks(path: Path, batch_size: int, max_line_bytes: int) -> Iterator[LineChunk]:
    raw, stream = _open(path)
    rows: list[int] = []
    lines: list[bytes | None] = []
    line_no = size = 0
    pending = b""
    skipping = False
    try:
        with raw, stream:
            while block := stream.read(READ_BLOCK_BYTES):
                parts = block.split(b"\n")
                for part in parts[:-1]:
                    line_no += 1
                    line = None if skipping else pending + part
                    pending, skipping = b"", False
                    if line is None or len(line) > max_line_bytes:
                        rows.append(line_no)
                        lines.append(None)
                    elif line.strip():
                        rows.append(line_no)
                        lines.append(line)
                if not skipping:
                    pending += parts[-1]
                    if len(pending) > max_line_bytes:
                        pending, skipping = b"", True
                size += len(block)
                while len(rows) >= batch_size or (rows and size >= CHUNK_BYTES):
                    yield LineChunk(rows[:batch_size], lines[:batch_size], raw.tell())
                    rows, lines, size = rows[batch_size:], lines[batch_size:], 0
            if skipping or pending.strip():
                rows.append(line_no + 1)
                lines.append(None if skipping else pending)
            if rows:
                yield LineChunk(rows, lines, raw.tell())
    except (OSError, pa.ArrowException) as exc:
        raise ReadError(f"cannot read {path.name} after line {line_no}: {exc}") from None


def _csv_chunks(path: Path, batch_size: int, max_line_bytes: int) -> Iterator[TableChunk]:
    block_size = max(2 * max_line_bytes, 4 * READ_BLOCK_BYTES)
    read_options = pa_csv.ReadOptions(block_size=block_size, use_threads=False)
    parse_options = pa_csv.ParseOptions(newlines_in_values=True)
    row = 1
    try:
        names = _csv_header(path, read_options, parse_options)
        if names is None:
            return
        convert = pa_csv.ConvertOptions(
            column_types={name: pa.binary() for name in names},
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            null_values=[""],
        )
        raw, stream = _open(path)
        with raw, stream:
            reader = pa_csv.open_csv(
                stream,
                read_options=read_options,
                parse_options=parse_options,
                convert_options=convert,
            )
            pending = reader.schema.empty_table()
            for batch in reader:
                pending = pa.concat_tables([pending, pa.Table.from_batches([batch])])
                while pending.num_rows >= batch_size or (
                    pending.num_rows and pending.nbytes >= CHUNK_BYTES
                ):
                    table = pending.slice(0, batch_size)
                    yield TableChunk(row, table, raw.tell())
                    row, pending = row + table.num_rows, pending.slice(table.num_rows)
            if pending.num_rows:
                yield TableChunk(row, pending, raw.tell())
    except (OSError, pa.ArrowException) as exc:
        raise ReadError(f"cannot read {path.name} after row {row - 1}: {exc}") from None


def _csv_header(
    path: Path, read_options: pa_csv.ReadOptions, parse_options: pa_csv.ParseOptions
) -> list[str] | None:
    """The CSV's column names (``None`` for a file without any), checked for duplicates."""
    raw, stream = _open(path)
    with raw, stream:
        try:
            reader = pa_csv.open_csv(stream, read_options=read_options, parse_options=parse_options)
        except pa.ArrowInvalid as exc:
            if "Empty CSV file" in str(exc):
                return None
            raise
        names = list(reader.schema.names)
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ReadError(f"{path.name}: duplicate CSV columns: {', '.join(duplicates)}")
    return names


def _parquet_chunks(path: Path, batch_size: int) -> Iterator[TableChunk]:
    size = path.stat().st_size
    row = 1
    try:
        with pq.ParquetFile(str(path)) as parquet:
            total = max(parquet.metadata.num_rows, 1)
            for batch in parquet.iter_batches(batch_size=batch_size):
                table = pa.Table.from_batches([batch])
                yield TableChunk(row, table, size * (row - 1 + table.num_rows) // total)
                row += table.num_rows
    except (OSError, pa.ArrowException) as exc:
        raise ReadError(f"cannot read {path.name} after row {row - 1}: {exc}") from None
