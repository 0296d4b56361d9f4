"""How SQL reaches ClickHouse: in-process through chdb, or a server through clickhouse-connect.

The store writes one SQL text for both; a transport only decides how a statement runs
and how a batch of rows is handed to it. Statements that read a batch name it
``{source}``: chdb reads the Arrow table in place through its ``Python()`` table
function; a server receives it as Arrow bytes (``input()`` for an INSERT, an external
table for a SELECT).
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from heron.store.clickhouse_schema import SETTINGS, quote

SOURCE = "{source}"


class Transport(Protocol):
    """Runs ClickHouse SQL; ``errors`` are the exceptions the engine raises."""

    errors: tuple[type[BaseException], ...]

    def query(self, sql: str, params: dict[str, Any] | None = None) -> pa.Table: ...

    def command(self, sql: str) -> None:
        """Run a statement without a result (DDL)."""
        ...

    def query_with(self, sql: str, batch: pa.Table) -> pa.Table:
        """Run a SELECT that reads ``batch`` where the SQL says ``{source}``."""
        ...

    def insert_from(self, sql: str, batch: pa.Table) -> None:
        """Run an ``INSERT … SELECT … FROM {source}`` over ``batch``."""
        ...

    def close(self) -> None: ...


class ChdbTransport:
    """ClickHouse's engine in this process, its data in one directory.

    chdb serves one data directory per process; opening a second path while the first
    is open fails (as chdb itself reports). Calls are serialised by a lock.
    """

    def __init__(self, path: str) -> None:
        from chdb.session import Session

        # chdb's sessions raise a RuntimeError subclass (not ``chdb.ChdbError``).
        self.errors: tuple[type[BaseException], ...] = (RuntimeError,)
        self.path = path
        self._lock = threading.Lock()
        self._session = Session(path)
        for name, value in SETTINGS.items():
            self._session.query(f"SET {name} = {quote(value)}")

    def query(self, sql: str, params: dict[str, Any] | None = None) -> pa.Table:
        return self._run(sql, params)

    def command(self, sql: str) -> None:
        self._run(sql)

    def query_with(self, sql: str, batch: pa.Table) -> pa.Table:
        heron_batch = batch  # noqa: F841  (found by name by chdb's Python() table function)
        return self._run(sql.replace(SOURCE, "Python(heron_batch)"))

    def insert_from(self, sql: str, batch: pa.Table) -> None:
        heron_batch = batch  # noqa: F841  (found by name by chdb's Python() table function)
        self._run(sql.replace(SOURCE, "Python(heron_batch)"))

    def close(self) -> None:
        with self._lock:
            self._session.close()

    def _run(self, sql: str, params: dict[str, Any] | None = None) -> pa.Table:
        with self._lock:
            try:
                return self._session.query(sql, "ArrowTable", params=params)
            except Exception:
                # After a query fails mid-output (a time-out), chdb 4.4 hands its stale
                # bytes to the next query; a throwaway query takes them.
                with contextlib.suppress(Exception):
                    self._session.query("SELECT 1", "Arrow")
                raise


class HttpTransport:
    """A ClickHouse server over HTTP: ``clickhouse://user:password@host:8123/database``,
    with ``?secure=1`` for HTTPS.

    The client connects on first use, so constructing a store never blocks on the network.
    """

    def __init__(self, url: str) -> None:
        from clickhouse_connect.driver.exceptions import ClickHouseError

        self.errors: tuple[type[BaseException], ...] = (ClickHouseError, OSError)
        parts = urlsplit(url)
        self.host = parts.hostname or "localhost"
        self.port = parts.port or 8123
        self.username = unquote(parts.username or "default")
        self.password = unquote(parts.password or "")
        self.database = unquote(parts.path.strip("/")) or "default"
        self.secure = parse_qs(parts.query).get("secure", ["0"])[0].lower() in ("1", "true")
        self._client: Any = None
        self._lock = threading.Lock()

    def _connect(self) -> Any:
        with self._lock:
            if self._client is None:
                import clickhouse_connect

                client = clickhouse_connect.get_client(
                    host=self.host,
                    port=self.port,
                    username=self.username,
                    password=self.password,
                    secure=self.secure,
                    settings=SETTINGS,
                )
                client.command(f"CREATE DATABASE IF NOT EXISTS `{self.database}`")
                client.database = self.database
                self._client = client
            return self._client

    def query(self, sql: str, params: dict[str, Any] | None = None) -> pa.Table:
        return self._connect().query_arrow(sql, parameters=params)

    def command(self, sql: str) -> None:
        self._connect().command(sql)

    def query_with(self, sql: str, batch: pa.Table) -> pa.Table:
        from clickhouse_connect.driver.external import ExternalData

        data = ExternalData(
            file_name="heron_batch", data=arrow_file(batch), fmt="Arrow", structure=structure(batch)
        )
        return self._connect().query_arrow(sql.replace(SOURCE, "heron_batch"), external_data=data)

    def insert_from(self, sql: str, batch: pa.Table) -> None:
        source = f"input({quote(structure(batch))})"
        self._connect().command(
            f"{sql.replace(SOURCE, source)} FORMAT Arrow", data=arrow_file(batch)
        )

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


def arrow_file(batch: pa.Table) -> bytes:
    """A batch in ClickHouse's ``Arrow`` format (the Arrow IPC file format)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, batch.schema) as writer:
        writer.write_table(batch)
    return sink.getvalue().to_pybytes()


_CLICKHOUSE_TYPES = {
    pa.int32(): "Int32",
    pa.int64(): "Int64",
    pa.string(): "String",
    pa.bool_(): "Bool",
    pa.timestamp("us"): "DateTime64(6, 'UTC')",
}


def structure(batch: pa.Table) -> str:
    """The ClickHouse structure of a batch this store builds (a few plain column types)."""
    columns = []
    for field in batch.schema:
        kind = _CLICKHOUSE_TYPES[field.type]
        columns.append(f"`{field.name}` {f'Nullable({kind})' if field.nullable else kind}")
    return ", ".join(columns)


# -- results --------------------------------------------------------------------------------

_HEX = np.frombuffer(b"".join(f"{i:02x}".encode() for i in range(256)), np.uint8).reshape(256, 2)
_UUID_SLOTS = np.r_[0:8, 9:13, 14:18, 19:23, 24:36]


def normalize(table: pa.Table) -> pa.Table:
    """ClickHouse's Arrow types as DuckDB returns them: UUIDs as canonical text,
    UTC timestamps without a zone (values unchanged)."""
    columns = [_normalize_column(column) for column in table.columns]
    if all(new is old for new, old in zip(columns, table.columns, strict=True)):
        return table
    return pa.Table.from_arrays(columns, names=table.column_names)


def _normalize_column(column: pa.ChunkedArray) -> pa.ChunkedArray:
    target = _normal_type(column.type)
    if target == column.type:
        return column
    return pa.chunked_array([_normalize_array(chunk) for chunk in column.chunks], type=target)


def _normal_type(kind: pa.DataType) -> pa.DataType:
    if isinstance(kind, pa.UuidType):
        return pa.string()
    if pa.types.is_timestamp(kind) and kind.tz is not None:
        return pa.timestamp(kind.unit)
    if pa.types.is_list(kind):
        return pa.list_(_normal_type(kind.value_type))
    return kind


def _normalize_array(array: pa.Array) -> pa.Array:
    kind = array.type
    if isinstance(kind, pa.UuidType):
        return _uuid_text(array.storage)
    if pa.types.is_timestamp(kind) and kind.tz is not None:
        return array.cast(pa.timestamp(kind.unit))
    if pa.types.is_list(kind) and _normal_type(kind) != kind:
        values = _normalize_array(array.values)
        mask = array.is_null() if array.null_count else None
        return pa.ListArray.from_arrays(array.offsets, values, mask=mask)
    return array


def _uuid_text(storage: pa.FixedSizeBinaryArray) -> pa.Array:
    """16-byte UUIDs → ``xxxxxxxx-xxxx-…`` text, vectorised."""
    count = len(storage)
    raw = np.frombuffer(storage.buffers()[1], np.uint8)
    raw = raw[storage.offset * 16 : (storage.offset + count) * 16].reshape(count, 16)
    text = np.full((count, 36), ord("-"), np.uint8)
    text[:, _UUID_SLOTS] = _HEX[raw].reshape(count, 32)
    offsets = np.arange(0, 36 * count + 1, 36, dtype=np.int32)
    strings = pa.StringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(text))
    if storage.null_count:
        return pc.if_else(storage.is_valid(), strings, pa.scalar(None, pa.string()))
    return strings
