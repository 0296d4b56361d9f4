"""Bulk import of canonical events from JSONL, CSV and Parquet files (``heron import``).

Every row is validated by the same rules as ``POST /v1/events`` (``parse_event``; rows
are not skew-corrected, since a file has no ``sent_at``), so a rejected row is reported
with the field at fault and the rest of the file goes on. Columnar chunks are checked
in bulk first (:mod:`heron.ingest.fastpath`); only the rows that check cannot vouch for
go through ``parse_event`` one by one.

A row without a ``uuid`` gets one derived from its content
(:func:`heron.ingest.columnar.derived_uuid`), and every chunk is appended with exact
dedupe, so importing the same file twice stores its events once. (A row without a
``timestamp`` is stamped with the import's start time, as the API stamps receipt time;
a later import stamps it anew, so for such rows that guarantee does not hold.)

Memory stays bounded: the file is read in chunks of ``batch_size`` rows, one chunk is
prepared in a background thread while the previous one is committed, and nothing else
is kept but counters and the first :data:`KEPT_REJECTIONS` rejected rows.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Full, Queue
from typing import Any, Protocol, runtime_checkable

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from heron.events import RAW_SCHEMA, CanonicalEvent
from heron.ingest.columnar import derived_uuid, prepare, row_objects
from heron.ingest.enrich import Sessionizer, parse_user_agent, to_raw_batch
from heron.ingest.fastpath import FastPath
from heron.ingest.parse import FieldError, Limits, now_us, parse_event
from heron.ingest.readers import ImportFormat, LineChunk, TableChunk, detect_format, read_chunks
from heron.store.base import AppendResult

DEFAULT_BATCH_ROWS = 2 * 122_880
"""Two DuckDB row groups: a commit of full row groups writes them once, compressed, where a
partial one is rewritten by a later checkpoint (docs/decisions.md)."""
KEPT_REJECTIONS = 20
ROWS_PER_SLICE = 10_000
"""Rows decoded into Python objects at once on the per-row path (bounds its memory)."""


@runtime_checkable
class BulkSink(Protocol):
    """What an import appends to: an event store with exact (stored-row) dedupe."""

    def append(self, batch: pa.Table, *, exact: bool = False) -> AppendResult: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Rejection:
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}: {self.field}" if self.field else f"row {self.row}"
        return f"{where}: {self.message}"


@dataclass(slots=True)
class ImportReport:
    """What an import did: rows read, stored, skipped as duplicates, and rejected (why)."""

    rows_read: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    """The first :data:`KEPT_REJECTIONS` rejected rows."""
    reasons: Counter[tuple[str, str]] = field(default_factory=Counter)
    """Rejected rows per ``(field, message)``."""

    def reject(self, row: int, field_name: str, message: str) -> None:
        self.rejected += 1
        self.reasons[(field_name, message)] += 1
        if len(self.rejections) < KEPT_REJECTIONS:
            self.rejections.append(Rejection(row, field_name, message))

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows_read": self.rows_read,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "rejections": [
                {"row": r.row, "field": r.field, "message": r.message} for r in self.rejections
            ],
            "reasons": [
                {"field": f, "message": m, "count": c} for (f, m), c in self.reasons.most_common()
            ],
        }


@dataclass(frozen=True, slots=True)
class _Prepared:
    batch: pa.Table
    rejections: list[Rejection]
    rows: int
    position: int


def import_file(
    path: Path,
    project_id: int,
    store: BulkSink,
    *,
    fmt: ImportFormat | None = None,
    batch_size: int = DEFAULT_BATCH_ROWS,
    limits: Limits | None = None,
    sessions: Sessionizer | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import one file into a project; ``progress`` gets the bytes of the file read so far.

    Raises :class:`heron.ingest.readers.ReadError` when the file cannot be read (the chunks
    committed before stay; importing again is safe) and ``StoreUnavailable`` from the store.
    """
    importer = _Importer(project_id, limits or Limits(), sessions or Sessionizer())
    chunks = read_chunks(
        path,
        fmt or detect_format(path),
        batch_size=batch_size,
        max_line_bytes=4 * importer.limits.max_event_bytes,
    )
    report = ImportReport()
    prepared_chunks = _in_background(importer.prepare(chunk) for chunk in chunks)
    try:
        for prepared in prepared_chunks:
            report.rows_read += prepared.rows
            for rejection in prepared.rejections:
                report.reject(rejection.row, rejection.field, rejection.message)
            if prepared.batch.num_rows:
                result = store.append(prepared.batch, exact=True)
                report.imported += result.inserted
                report.duplicates += result.duplicates
            if progress is not None:
                progress(prepared.position)
    finally:
        prepared_chunks.close()
        importer.close()
    return report


class _Importer:
    """Turns chunks into raw batches; used by the background thread only."""

    def __init__(self, project_id: int, limits: Limits, sessions: Sessionizer) -> None:
        self.project_id = project_id
        self.limits = limits
        self.sessions = sessions
        self.received_us = now_us()
        self.fast = FastPath(limits, self.received_us)

    def close(self) -> None:
        self.fast.close()

    def prepare(self, chunk: LineChunk | TableChunk) -> _Prepared:
        rejections: list[Rejection] = []
        batches: list[pa.Table] = []
        if isinstance(chunk, LineChunk):
            rows = np.asarray(chunk.rows, dtype=np.int64)
            for start in range(0, len(rows), ROWS_PER_SLICE):
                objects = self._decode(chunk.lines[start : start + ROWS_PER_SLICE])
                batches.append(
                    self._slow(objects, rows[start : start + ROWS_PER_SLICE], rejections)
                )
        else:
            prepared = prepare(chunk.table)
            fast, slow = self.fast.check(prepared)
            if fast is not None and fast.num_rows:
                batches.append(self._fast_batch(fast))
            for start in range(0, len(slow), ROWS_PER_SLICE):
                positions = slow[start : start + ROWS_PER_SLICE]
                objects = row_objects(prepared, positions)
                batches.append(self._slow(objects, positions + chunk.first_row, rejections))
        batch = pa.concat_tables(batches) if batches else RAW_SCHEMA.empty_table()
        if not _in_time_order(batch):
            batch = batch.sort_by("timestamp")  # stable: file order breaks ties
        return _Prepared(batch, rejections, _row_count(chunk), chunk.position)

    def _decode(self, lines: list[bytes | None]) -> list[Any]:
        objects: list[Any] = []
        for line in lines:
            if line is None:
                objects.append(("", f"line longer than {4 * self.limits.max_event_bytes} bytes"))
                continue
            try:
                objects.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                objects.append(("", _json_problem(line)))
        return objects

    def _slow(self, objects: list[Any], rows: np.ndarray, rejections: list[Rejection]) -> pa.Table:
        """Event objects through ``parse_event`` into a raw batch; ``(field, message)`` items
        and invalid events are added to ``rejections``."""
        events: list[CanonicalEvent] = []
        for obj, row in zip(objects, rows.tolist(), strict=True):
            result = FieldError(row, *obj) if isinstance(obj, tuple) else self._parse(obj, row)
            if isinstance(result, FieldError):
                rejections.append(Rejection(row, result.field, result.message))
            else:
                events.append(result)
        events.sort(key=lambda ev: ev.timestamp_us)
        return to_raw_batch(self.project_id, events, self.sessions)

    def _parse(self, obj: Any, row: int) -> CanonicalEvent | FieldError:
        if isinstance(obj, dict):
            obj.pop("sent_at", None)
        result = parse_event(
            obj, row, received_us=self.received_us, sent_at_us=None, limits=self.limits
        )
        if isinstance(result, CanonicalEvent) and result.uuid is None:
            stamp = result.timestamp_us if obj.get("timestamp") is not None else None
            result.uuid = derived_uuid(
                result.event, result.distinct_id, stamp, result.properties_json
            )
        return result

    def _fast_batch(self, fast: pa.Table) -> pa.Table:
        """Rows the fast path passed → a raw batch (sessions and user agents filled in)."""
        n = fast.num_rows
        stamps = fast["timestamp_us"].to_numpy()
        sessions = fast["session"].combine_chunks()
        missing = sessions.is_null()
        if missing.true_count:
            picked = np.flatnonzero(missing.to_numpy(zero_copy_only=False))
            assigned = self.sessions.sessions_for(
                self.project_id, fast["distinct_id"].take(picked), stamps[picked]
            )
            sessions = pc.replace_with_mask(sessions, missing, assigned)
        browsers, systems, devices = _agents(fast["agent"])
        return pa.table(
            [
                pa.array(np.full(n, self.project_id, dtype=np.int32)),
                fast["uuid"],
                fast["event"],
                fast["distinct_id"],
                pa.array(stamps, pa.int64()).cast(pa.timestamp("us")),
                fast["properties"],
                sessions,
                browsers,
                systems,
                devices,
            ],
            schema=RAW_SCHEMA,
        )


def _agents(agents: pa.ChunkedArray) -> list[pa.Array]:
    """Browser, OS and device type columns, parsing each distinct user agent once."""
    distinct = pc.unique(agents.drop_null()).to_pylist()
    if not distinct:
        return [pa.nulls(len(agents), pa.string())] * 3
    parsed = [parse_user_agent(agent) for agent in distinct]
    positions = pc.index_in(agents, value_set=pa.array(distinct, pa.string()))
    return [pa.array([p[i] for p in parsed], pa.string()).take(positions) for i in range(3)]


def _in_time_order(batch: pa.Table) -> bool:
    """Whether a batch is sorted by timestamp already (then the store dedupes, merges
    identities and assigns sessions in the same order whichever path prepared it)."""
    stamps = batch["timestamp"].combine_chunks().cast(pa.int64()).to_numpy()
    return bool(np.all(stamps[1:] >= stamps[:-1]))


def _row_count(chunk: LineChunk | TableChunk) -> int:
    return len(chunk.rows) if isinstance(chunk, LineChunk) else chunk.table.num_rows


def _json_problem(line: bytes) -> str:
    try:
        line.decode()
    except UnicodeDecodeError:
        return "not valid UTF-8"
    return "not valid JSON"


_DONE = object()


def _in_background(items: Iterator[Any], depth: int = 1) -> Generator[Any, None, None]:
    """Iterate ``items`` in a worker thread, at most ``depth`` items ahead of the consumer."""
    queue: Queue[tuple[Any, BaseException | None]] = Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any, error: BaseException | None = None) -> bool:
        while not stop.is_set():
            try:
                queue.put((item, error), timeout=0.05)
                return True
            except Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:
            put(None, exc)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=work, name="heron-import-reader", daemon=True)
    worker.start()
    try:
        while True:
            try:
                item, error = queue.get(timeout=0.05)
            except Empty:
                if not worker.is_alive() and queue.empty():
                    return
                continue
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        worker.join()
