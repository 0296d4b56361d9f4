"""What only the ClickHouse store has: its transports, Arrow normalisation, persistence of
a chdb directory, and convergence when an append fails part-way (no transactions)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from heron.store.base import StoreUnavailable, open_store
from heron.store.clickhouse import ClickHouseStore
from heron.store.clickhouse_schema import insert_events
from heron.store.clickhouse_transport import HttpTransport, normalize
from tests.support.events import raw_batch

T0 = datetime(2025, 3, 1, 12)


@pytest.fixture
def chdb_store(tmp_path: Path) -> Iterator[ClickHouseStore]:
    store = open_store(f"chdb:///{tmp_path / 'chdb'}")
    assert isinstance(store, ClickHouseStore)
    try:
        yield store
    finally:
        store.close()


def count(store: ClickHouseStore, table: str = "events") -> int:
    return store.query(f"SELECT count() AS n FROM {table}")["n"][0].as_py()


def state(store: ClickHouseStore) -> dict[str, Any]:
    return {
        table: sorted(
            store.query(f"SELECT * FROM {table}").drop_columns(drop).to_pylist(), key=repr
        )
        for table, drop in [
            ("events", ["uuid", "inserted_at"]),
            ("persons", ["updated_at"]),
            ("person_overrides", []),
        ]
    }


def identity_batch(at: datetime) -> pa.Table:
    rows = [
        {"event": "$pageview", "distinct_id": "anon", "timestamp": at},
        {
            "event": "$identify",
            "distinct_id": "user",
            "timestamp": at + timedelta(seconds=1),
            "properties": {"$anon_distinct_id": "anon", "$set": {"plan": "pro"}},
        },
    ]
    return raw_batch(rows)


# -- urls and transports --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("chdb:////abs/dir", "/abs/dir"),
        ("chdb:///abs/dir", "/abs/dir"),
        ("chdb://rel/dir", "rel/dir"),
    ],
)
def test_chdb_url_paths(url: str, path: str) -> None:
    from heron.store.clickhouse import _path

    assert _path(url) == path


def test_server_transport_parses_the_url_and_connects_lazily() -> None:
    transport = HttpTransport("clickhouse://ana:p%40ss@ch.example:8443/analytics?secure=1")
    assert (transport.host, transport.port, transport.username, transport.password) == (
        "ch.example",
        8443,
        "ana",
        "p@ss",
    )
    assert (transport.database, transport.secure) == ("analytics", True)
    plain = HttpTransport("clickhouse://ch.example")
    assert (plain.port, plain.username, plain.database, plain.secure) == (
        8123,
        "default",
        "default",
        False,
    )


def test_unreachable_server_is_unavailable() -> None:
    with pytest.raises(StoreUnavailable):
        open_store("clickhouse://127.0.0.1:9/analytics")


class Recorder:
    """Stands in for clickhouse-connect's client and keeps what would be sent."""

    def __init__(self) -> None:
        self.commands: list[tuple[str, bytes | None]] = []
        self.queries: list[tuple[str, Any]] = []

    def command(self, sql: str, data: bytes | None = None) -> None:
        self.commands.append((sql, data))

    def query_arrow(self, sql: str, external_data: Any = None, **_: Any) -> pa.Table:
        self.queries.append((sql, external_data))
        return pa.table({"_row": pa.array([], pa.int64())})


def test_server_transport_sql_runs_on_the_engine(
    chdb_store: ClickHouseStore, tmp_path: Path
) -> None:
    """The server transport's statements, replayed on the real engine with its Arrow
    bytes read from a file (``file()`` instead of ``input()`` / an external table), store
    and find what the chdb transport does."""
    server = HttpTransport("clickhouse://ch.example/analytics")
    recorder = Recorder()
    server._client = recorder
    batch = identity_batch(T0)
    server.insert_from(insert_events("toDateTime64('2025-01-01 00:00:00', 6, 'UTC')"), batch)
    sql, data = recorder.commands[-1]
    assert sql.endswith(" FORMAT Arrow") and data is not None
    body = tmp_path / "body.arrow"
    body.write_bytes(data)
    source = re.search(r"input\(('(?:[^'\\]|\\.)*')\)", sql)
    assert source is not None
    replay = sql.removesuffix(" FORMAT Arrow").replace(
        source.group(0), f"file('{body}', 'Arrow', {source.group(1)})"
    )
    chdb_store.transport.command(replay)
    replayed = state(chdb_store)["events"]
    chdb_store.transport.command("TRUNCATE TABLE events")
    assert chdb_store.append(batch, exact=True).inserted == 2
    assert state(chdb_store)["events"] == replayed

    candidates = batch.select(["project_id", "uuid", "timestamp"]).append_column(
        "_row", pa.array([0, 1], pa.int64())
    )
    server.query_with("SELECT b._row FROM {source} AS b ORDER BY b._row", candidates)
    sql, external = recorder.queries[-1]
    table = external.files[0]
    body.write_bytes(table.data)
    found = chdb_store.query(
        sql.replace(table.name, f"file('{body}', {table.fmt!r}, {table.structure!r})", 1)
    )
    assert found["_row"].to_pylist() == [0, 1]


# -- results --------------------------------------------------------------------------------


def test_results_are_typed_like_duckdb(chdb_store: ClickHouseStore) -> None:
    ids = [str(uuid.uuid4()) for _ in range(3)]
    found = chdb_store.query(
        "SELECT toUUID(id) AS u, if(n = 2, NULL, toUUID(id)) AS maybe, [toUUID(id)] AS many, "
        "toDateTime64('2025-03-01 12:00:00.5', 6, 'UTC') AS at "
        "FROM (SELECT number + 1 AS n, {ids:Array(String)}[n] AS id FROM numbers(3)) "
        "ORDER BY n",
        {"ids": "[" + ",".join(f"'{i}'" for i in ids) + "]"},
    )
    assert found.schema.field("u").type == pa.string()
    assert found.schema.field("many").type == pa.list_(pa.string())
    assert found.schema.field("at").type == pa.timestamp("us")
    assert found.column("u").to_pylist() == ids
    assert found.column("maybe").to_pylist() == [ids[0], None, ids[2]]
    assert found.column("many").to_pylist() == [[i] for i in ids]
    assert found.column("at").to_pylist() == [datetime(2025, 3, 1, 12, 0, 0, 500000)] * 3


def test_normalize_handles_sliced_chunks(chdb_store: ClickHouseStore) -> None:
    raw = chdb_store.transport.query(
        "SELECT toUUID(UUIDNumToString(MD5(toString(number)))) AS u FROM numbers(10)"
    )
    sliced = normalize(raw.slice(3, 4))
    assert sliced.column("u").to_pylist() == normalize(raw).column("u").to_pylist()[3:7]


def test_positional_parameters_are_refused(chdb_store: ClickHouseStore) -> None:
    with pytest.raises(TypeError):
        chdb_store.query("SELECT 1", [1])
    assert chdb_store.query("SELECT {x:Int32} + 1 AS y", {"x": 2})["y"].to_pylist() == [3]


# -- persistence and convergence ------------------------------------------------------------


def test_reopened_store_keeps_data_and_dedupes(tmp_path: Path) -> None:
    url = f"chdb:///{tmp_path / 'chdb'}"
    live = datetime.now(UTC).replace(tzinfo=None)
    batches = [identity_batch(live), identity_batch(T0)]
    store = open_store(url)
    for batch in batches:
        store.append(batch)
    before = state(store)
    store.close()
    store = open_store(url)
    try:
        for batch in batches:
            assert store.append(batch).duplicates == 2
        assert state(store) == before
    finally:
        store.close()


@pytest.mark.parametrize("fail_on", ["persons_log", "person_overrides_log", "events"])
@pytest.mark.parametrize("after_write", [False, True])
def test_retry_after_a_failed_step_converges(
    chdb_store: ClickHouseStore,
    monkeypatch: pytest.MonkeyPatch,
    fail_on: str,
    after_write: bool,
) -> None:
    batch = identity_batch(datetime.now(UTC).replace(tzinfo=None))
    real = chdb_store.transport.insert_from

    def failing(sql: str, rows: pa.Table) -> None:
        if f"INSERT INTO {fail_on} " in sql:
            if after_write:
                real(sql, rows)
            raise RuntimeError("disk on fire")
        real(sql, rows)

    monkeypatch.setattr(chdb_store.transport, "insert_from", failing)
    with pytest.raises(StoreUnavailable):
        chdb_store.append(batch)
    monkeypatch.undo()
    assert chdb_store.append(batch).inserted == (0 if after_write and fail_on == "events" else 2)
    assert chdb_store.append(batch).duplicates == 2
    assert count(chdb_store) == 2
    assert state(chdb_store)["persons"] == [
        {
            "project_id": 1,
            "person_id": state(chdb_store)["person_overrides"][0]["person_id"],
            "properties": '{"plan":"pro"}',
            "is_identified": True,
        }
    ]
    assert len(state(chdb_store)["person_overrides"]) == 1


def test_a_query_after_a_time_out_reads_its_own_result(chdb_store: ClickHouseStore) -> None:
    with pytest.raises(RuntimeError, match="TIMEOUT_EXCEEDED"):
        chdb_store.query(
            "SELECT count() FROM numbers(1000000000000) AS n SETTINGS max_execution_time = 1"
        )
    assert chdb_store.query("SELECT 1 AS one").to_pylist() == [{"one": 1}]
