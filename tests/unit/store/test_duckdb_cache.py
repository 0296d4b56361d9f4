"""The DuckDB block cache is trimmed while only ingest runs, never under a running query."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from heron.events import RAW_SCHEMA
from heron.store import duckdb_cache
from heron.store.duckdb import DuckDBStore
from heron.store.duckdb_cache import QUIET_SECONDS, TRIM_EVERY_SECONDS, CacheTrimmer

CACHED_SQL = (
    "SELECT coalesce(sum(memory_usage_bytes), 0) AS bytes FROM duckdb_memory() "
    "WHERE tag = 'BASE_TABLE'"
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def cached_bytes(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute(CACHED_SQL).fetchall()[0][0])


def test_a_trim_evicts_the_cached_blocks_and_restores_the_limit(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "t.duckdb"), config={"memory_limit": "1GB"})
    con.execute("CREATE TABLE t AS SELECT range AS i, md5(range::VARCHAR) AS s FROM range(6000000)")
    con.execute("CHECKPOINT")
    con.execute("SELECT sum(length(s)) FROM t").fetchall()
    before = cached_bytes(con)
    clock = Clock()
    trimmer = CacheTrimmer(con, "1GB", clock=clock)
    clock.now += TRIM_EVERY_SECONDS
    assert trimmer.maybe_trim()
    assert before > 100 * 2**20
    assert cached_bytes(con) <= 32 * 2**20
    assert con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0] == "953.6 MiB"


def test_no_trim_while_a_query_runs_or_soon_after() -> None:
    clock = Clock()
    trimmer = CacheTrimmer(duckdb.connect(), "1GB", clock=clock)
    assert not trimmer.maybe_trim()  # not yet TRIM_EVERY_SECONDS since the start
    clock.now += TRIM_EVERY_SECONDS
    with trimmer.reading():
        assert not trimmer.maybe_trim()
    clock.now += QUIET_SECONDS - 1
    assert not trimmer.maybe_trim()
    clock.now += 1
    assert trimmer.maybe_trim()
    assert not trimmer.maybe_trim()  # and then not again at once
    assert trimmer.trims == 1


def test_no_trim_without_a_limit() -> None:
    clock = Clock()
    trimmer = CacheTrimmer(duckdb.connect(), None, clock=clock)
    clock.now += 10 * QUIET_SECONDS
    assert not trimmer.maybe_trim()


class HeldConnection:
    """Stands for a connection whose ``SET memory_limit`` takes until released."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def execute(self, sql: str) -> None:
        self.entered.set()
        self.release.wait(10)


def test_a_query_arriving_during_a_trim_waits_for_it() -> None:
    con = HeldConnection()
    clock = Clock()
    trimmer = CacheTrimmer(con, "1GB", clock=clock)  # type: ignore[arg-type]
    clock.now += QUIET_SECONDS
    trim = threading.Thread(target=trimmer.maybe_trim)
    trim.start()
    assert con.entered.wait(10)
    queried = threading.Event()

    def query() -> None:
        with trimmer.reading():
            queried.set()

    reader = threading.Thread(target=query)
    reader.start()
    assert not queried.wait(0.2)
    con.release.set()
    assert queried.wait(10)
    trim.join()
    reader.join()


def batch(n: int, start: int) -> pa.Table:
    return pa.table(
        {
            "project_id": pa.array([1] * n, pa.int32()),
            "uuid": pa.nulls(n, pa.string()),
            "event": ["pageview"] * n,
            "distinct_id": [f"user-{(start + i) % 50}" for i in range(n)],
            "timestamp": pa.array([1_735_689_600_000_000 + start + i for i in range(n)]).cast(
                pa.timestamp("us")
            ),
            "properties": ['{"$current_url": "https://example.com/a"}'] * n,
            "session_id": pa.nulls(n, pa.string()),
            "browser": pa.nulls(n, pa.string()),
            "os": pa.nulls(n, pa.string()),
            "device_type": pa.nulls(n, pa.string()),
        },
        schema=RAW_SCHEMA,
    )


def test_the_store_trims_between_commits_while_queries_keep_working(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(duckdb_cache, "TRIM_EVERY_SECONDS", 0.0)
    monkeypatch.setattr(duckdb_cache, "QUIET_SECONDS", 0.0)
    store = DuckDBStore(tmp_path / "e.duckdb", memory_limit="256MB")
    stop = threading.Event()
    failures: list[BaseException] = []
    counts: list[int] = []

    def query() -> None:
        while not stop.is_set():
            try:
                counts.append(store.query("SELECT count(*) AS n FROM events")["n"][0].as_py())
            except BaseException as exc:
                failures.append(exc)
            stop.wait(0.002)  # gaps in which a trim may run

    reader = threading.Thread(target=query)
    reader.start()
    try:
        for i in range(40):
            store.append(batch(3000, i * 3000))
    finally:
        stop.set()
        reader.join()
    assert not failures
    assert store._cache.trims > 0
    assert counts == sorted(counts)
    assert store.query("SELECT count(*) AS n FROM events")["n"][0].as_py() == 120_000
    store.close()
