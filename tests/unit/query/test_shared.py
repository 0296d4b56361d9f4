"""Shared statement results: kept by key, run once for concurrent askers, bounded."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import pytest

from heron.query.shared import SharedResults


def table(n: int) -> pa.Table:
    return pa.table({"x": list(range(n))})


def test_a_result_is_kept_under_its_key() -> None:
    shared = SharedResults()
    runs: list[str] = []

    def run(key: str) -> pa.Table:
        runs.append(key)
        return table(len(key))

    assert shared.get_or_run("a", lambda: run("a")).num_rows == 1
    assert shared.get_or_run("a", lambda: run("a")).num_rows == 1
    assert shared.get_or_run("bb", lambda: run("bb")).num_rows == 2
    assert runs == ["a", "bb"] and len(shared) == 2


def test_concurrent_askers_wait_for_one_run() -> None:
    shared = SharedResults()
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow() -> pa.Table:
        calls.append(1)
        started.set()
        release.wait(10)
        return table(3)

    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(shared.get_or_run, "k", slow)
        started.wait(10)
        others = [pool.submit(shared.get_or_run, "k", slow) for _ in range(3)]
        release.set()
        results = [first.result(10), *(f.result(10) for f in others)]
    assert len(calls) == 1
    assert all(r.num_rows == 3 for r in results)


def test_a_failed_run_reaches_its_waiters_and_is_not_kept() -> None:
    shared = SharedResults()
    started, release = threading.Event(), threading.Event()

    def failing() -> pa.Table:
        started.set()
        release.wait(10)
        raise RuntimeError("backend gone")

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(shared.get_or_run, "k", failing)
        started.wait(10)
        waiter = pool.submit(shared.get_or_run, "k", failing)
        release.set()
        for future in (first, waiter):
            with pytest.raises(RuntimeError, match="backend gone"):
                future.result(10)
    assert len(shared) == 0
    assert shared.get_or_run("k", lambda: table(1)).num_rows == 1


def test_entries_are_bounded_by_count_and_bytes() -> None:
    shared = SharedResults(max_entries=2)
    for key in "abc":
        shared.get_or_run(key, lambda: table(1))
    assert len(shared) == 2
    reran: list[str] = []
    shared.get_or_run("a", lambda: reran.append("a") or table(1))
    assert reran == ["a"]  # the oldest entry went first

    small = SharedResults(max_bytes=table(100).nbytes)
    small.get_or_run("big", lambda: table(1000))
    assert len(small) == 0  # larger than the whole budget: answered, not kept
    small.get_or_run("x", lambda: table(60))
    small.get_or_run("y", lambda: table(60))
    assert len(small) == 1


def test_shared_results_need_room() -> None:
    with pytest.raises(ValueError, match="at least one entry"):
        SharedResults(max_entries=0)
