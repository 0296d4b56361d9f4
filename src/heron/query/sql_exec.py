"""Running validated user SQL under a time-out, per backend.

DuckDB has no statement time-out, so the query runs on its own cursor and a timer thread
interrupts that cursor. ClickHouse enforces ``max_execution_time`` itself (the compiler
adds the setting); here its error is recognised and reported as a time-out.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pyarrow as pa

from heron.query.registry import SpecError
from heron.store.base import EventStore


class SQLFailed(SpecError):
    """The engine refused or failed a validated query (unknown column, bad cast, …)."""

    def __init__(self, message: str) -> None:
        super().__init__([{"loc": ["sql"], "msg": message, "type": "sql_error"}])


class QueryTimeout(RuntimeError):
    """The query ran longer than its time-out and was stopped."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the query ran longer than {seconds:g} seconds and was stopped")
        self.seconds = seconds


Executor = Callable[[EventStore, str, float], pa.Table]
_EXECUTORS: dict[str, Executor] = {}


def executor(dialect: str) -> Callable[[Executor], Executor]:
    def add(fn: Executor) -> Executor:
        _EXECUTORS[dialect] = fn
        return fn

    return add


def execute(store: EventStore, sql: str, timeout_seconds: float) -> pa.Table:
    """Run ``sql`` on ``store``, stopping it after ``timeout_seconds``."""
    try:
        run = _EXECUTORS[store.dialect]
    except KeyError:
        raise SQLFailed(f"SQL queries are not supported on the {store.dialect} backend") from None
    return run(store, sql, timeout_seconds)


@executor("duckdb")
def _run_duckdb(store: EventStore, sql: str, timeout_seconds: float) -> pa.Table:
    import duckdb

    from heron.store.duckdb import DuckDBStore

    if not isinstance(store, DuckDBStore):
        raise SQLFailed("this DuckDB store does not support interruptible queries")
    with store.cursor() as cursor:  # a cursor of our own, so the timer interrupts only this query
        timer = threading.Timer(timeout_seconds, cursor.interrupt)
        timer.daemon = True
        timer.start()
        try:
            result: pa.Table = cursor.sql(sql).to_arrow_table()
            return result
        except duckdb.InterruptException:
            raise QueryTimeout(timeout_seconds) from None
        except duckdb.Error as exc:
            raise SQLFailed(_engine_message(str(exc))) from None
        finally:
            timer.cancel()


def clickhouse_seconds(timeout_seconds: float) -> int:
    """ClickHouse's ``max_execution_time`` for a time-out (whole seconds, at least one)."""
    return max(1, round(timeout_seconds))


@executor("clickhouse")
def _run_clickhouse(store: EventStore, sql: str, timeout_seconds: float) -> pa.Table:
    started = time.monotonic()
    try:
        return store.query(sql)
    except Exception as exc:
        text = str(exc)
        ran_out = time.monotonic() - started >= clickhouse_seconds(timeout_seconds) * 0.95
        if "TIMEOUT_EXCEEDED" in text or "Timeout exceeded" in text or ran_out:
            raise QueryTimeout(timeout_seconds) from None
        raise SQLFailed(_engine_message(text)) from None


def _engine_message(text: str) -> str:
    """The engine's first line, without the echo of the (rewritten) SQL that follows it."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0][:500] if lines else "the query failed"
