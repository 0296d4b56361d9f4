"""Group commit: concurrent submissions share transactions, failures reach every waiter."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest

from heron.events import CanonicalEvent
from heron.ingest.enrich import Sessionizer, raw_batch_of
from heron.ingest.parse import now_us
from heron.ingest.writer import GroupCommitWriter
from heron.store.base import AppendResult, StoreUnavailable
from heron.store.duckdb import DuckDBStore
from tests.support.events import raw_batch


def batch(n: int, prefix: str):
    now = datetime.now(UTC)
    return raw_batch(
        [{"event": "e", "distinct_id": f"{prefix}{i}", "timestamp": now} for i in range(n)]
    )


def test_many_threads_share_few_commits(tmp_path):
    store = DuckDBStore(tmp_path / "e.duckdb")
    writer = GroupCommitWriter(store, linger_ms=20)
    writer.start()
    results: list[AppendResult] = []
    threads = [
        threading.Thread(target=lambda i=i: results.append(writer.write_sync(batch(10, f"t{i}-"))))
        for i in range(20)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writer.stop()
    assert sum(r.inserted for r in results) == 200
    assert store.query("select count(*) as n from events").to_pylist()[0]["n"] == 200
    assert writer.commits < 20
    store.close()


class FailingStore:
    dialect = "duckdb"

    def append(self, batch):
        raise RuntimeError("disk on fire")


def test_a_failed_commit_fails_every_waiter():
    writer = GroupCommitWriter(FailingStore())  # type: ignore[arg-type]
    writer.start()
    with pytest.raises(StoreUnavailable, match="disk on fire"):
        writer.write_sync(batch(3, "x"))
    writer.stop()


def test_overload_is_refused_up_front(tmp_path):
    store = DuckDBStore(tmp_path / "e.duckdb")
    writer = GroupCommitWriter(store, max_queued_events=5)
    writer.start()
    with pytest.raises(StoreUnavailable, match="overloaded"):
        writer.submit(batch(6, "y"))
    writer.stop()
    store.close()


def test_stopped_writer_refuses_work(tmp_path):
    store = DuckDBStore(tmp_path / "e.duckdb")
    writer = GroupCommitWriter(store)
    writer.start()
    writer.stop()
    with pytest.raises(StoreUnavailable):
        writer.submit(batch(1, "z"))
    store.close()


def _events(n: int, prefix: str) -> list[CanonicalEvent]:
    stamp = now_us()
    return [
        CanonicalEvent(None, "e", f"{prefix}{i}", stamp, {"$lib": "web"}, '{"$lib":"web"}')
        for i in range(n)
    ]


def test_event_parts_are_assembled_once_per_group(tmp_path):
    store = DuckDBStore(tmp_path / "e.duckdb")
    assembled: list[int] = []

    def assemble(parts):
        assembled.append(len(parts))
        return raw_batch_of(parts, Sessionizer())

    writer = GroupCommitWriter(store, linger_ms=50, assemble=assemble)
    writer.start()
    futures = [writer.submit_events(p, _events(3, f"p{p}-")) for p in (1, 2, 1)]
    futures.append(writer.submit(batch(2, "table-")))
    results = [f.result() for f in futures]
    writer.stop()
    assert [r.inserted for r in results] == [3, 3, 3, 2]
    assert sum(assembled) == 3 and writer.commits == len(assembled)
    counts = store.query(
        "SELECT project_id, count(*) AS n FROM events GROUP BY ALL ORDER BY ALL"
    ).to_pylist()
    assert [(c["project_id"], c["n"]) for c in counts] == [(1, 8), (2, 3)]
    store.close()


def test_event_parts_need_an_assemble_function(tmp_path):
    store = DuckDBStore(tmp_path / "e.duckdb")
    writer = GroupCommitWriter(store)
    writer.start()
    with pytest.raises(TypeError, match="assemble"):
        writer.submit_events(1, _events(1, "x"))
    writer.stop()
    store.close()


class GatedStore:
    """Records each appended batch's distinct ids; the first append waits for a gate."""

    dialect = "duckdb"

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.appended: list[list[str]] = []

    def append(self, batch):
        if not self.appended:
            self.entered.set()
            assert self.gate.wait(10)
        self.appended.append(batch["distinct_id"].to_pylist())
        return AppendResult(batch.num_rows, 0)


def test_the_next_group_is_assembled_while_one_commits():
    store = GatedStore()
    assembled: list[list[str]] = []

    def assemble(parts):
        assembled.append([e.distinct_id for _, events in parts for e in events])
        return raw_batch_of(parts, Sessionizer())

    writer = GroupCommitWriter(store, linger_ms=0, assemble=assemble)  # type: ignore[arg-type]
    writer.start()
    first = writer.submit_events(1, _events(1, "a"))
    assert store.entered.wait(10)
    later = [writer.submit_events(1, _events(1_000, f"b{i}-")) for i in range(3)]
    deadline = time.monotonic() + 10
    while sum(len(a) for a in assembled) < 3_001 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sum(len(a) for a in assembled) == 3_001  # assembled while the first group commits
    assert len(store.appended) == 0
    store.gate.set()
    assert [f.result(10).inserted for f in [first, *later]] == [1, 1_000, 1_000, 1_000]
    writer.stop()
    assert [len(ids) for ids in store.appended] == [1, 3_000]  # one group for all that waited
    assert [ids[0] for ids in store.appended] == ["a0", "b0-0"]  # in the order submitted


def test_a_request_that_fails_to_assemble_fails_alone(tmp_path):
    store = DuckDBStore(tmp_path / "e.duckdb")

    def assemble(parts):
        if any(project_id == 666 for project_id, _ in parts):
            raise ValueError("cannot assemble project 666")
        return raw_batch_of(parts, Sessionizer())

    writer = GroupCommitWriter(store, linger_ms=50, assemble=assemble)
    writer.start()
    good = writer.submit(batch(2, "table-"))
    bad = writer.submit_events(666, _events(3, "x"))
    with pytest.raises(StoreUnavailable, match="666"):
        bad.result(10)
    assert good.result(10).inserted == 2
    assert writer.submit_events(1, _events(4, "y")).result(10).inserted == 4
    writer.stop()
    assert store.query("select count(*) as n from events").to_pylist()[0]["n"] == 6
    store.close()


def test_stop_commits_every_queued_group(tmp_path):
    store = DuckDBStore(tmp_path / "e.duckdb")
    writer = GroupCommitWriter(store, max_events=5)
    writer.start()
    futures = [writer.submit(batch(3, f"s{i}-")) for i in range(10)]
    writer.stop()
    assert sum(f.result(10).inserted for f in futures) == 30
    assert store.query("select count(*) as n from events").to_pylist()[0]["n"] == 30
    assert writer.commits == 5  # a group takes requests until it holds five events
    store.close()
