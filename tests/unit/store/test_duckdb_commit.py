"""A large DuckDB commit inserts on a helper thread while identity and group facts are
extracted; a failure on either side still rolls the whole commit back."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from heron.store import duckdb as duckdb_store
from heron.store import identity
from heron.store.base import StoreUnavailable
from heron.store.duckdb import PYTHON_DERIVATION_MAX_ROWS, DuckDBStore
from tests.support.events import raw_batch

START = datetime(2025, 3, 1)
ROWS = PYTHON_DERIVATION_MAX_ROWS + 500


def large_batch(offset: int = 0) -> Any:
    rows = [
        {
            "event": "$identify" if i % 100 == 0 else "pageview",
            "distinct_id": f"user-{i % 50}",
            "timestamp": START + timedelta(seconds=offset + i),
            "properties": {
                "$anon_distinct_id": f"anon-{i % 50}",
                "$set": {"plan": "pro"},
                "$groups": {"company": "acme"},
                "$current_url": "https://x.io/a?utm_source=news",
            },
        }
        for i in range(ROWS)
    ]
    return raw_batch(rows)


def counts(store: DuckDBStore) -> tuple[int, int, int, int]:
    sql = (
        "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM persons), "
        "(SELECT count(*) FROM person_overrides), (SELECT count(*) FROM group_types)"
    )
    return tuple(store.query(sql).to_pylist()[0].values())  # type: ignore[return-value]


def test_a_large_commit_stores_events_identities_and_groups(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "e.duckdb")
    try:
        assert store.append(large_batch()).inserted == ROWS
        stored = store.query("SELECT count(*) AS n FROM events WHERE utm_source = 'news'")
        assert stored["n"][0].as_py() == ROWS
        assert counts(store)[1:] == (50, 1, 1)
    finally:
        store.close()


def test_a_failed_insert_stores_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = DuckDBStore(tmp_path / "e.duckdb")
    try:

        def fail(*args: Any) -> None:
            raise duckdb.IOException("disk full")

        with monkeypatch.context() as patch:
            patch.setattr(store, "_insert", fail)
            with pytest.raises(StoreUnavailable, match="disk full"):
                store.append(large_batch())
        assert counts(store) == (0, 0, 0, 0)
        assert store.append(large_batch(ROWS)).inserted == ROWS  # the store still works
    finally:
        store.close()


def test_a_failed_extraction_rolls_back_the_insert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = DuckDBStore(tmp_path / "e.duckdb")
    try:

        def fail(*args: Any) -> None:
            raise ValueError("bad batch")

        with monkeypatch.context() as patch:
            patch.setattr(identity, "extract_ops", fail)
            with pytest.raises(ValueError, match="bad batch"):
                store.append(large_batch())
        assert counts(store) == (0, 0, 0, 0)
        store.append(large_batch(ROWS))
        assert counts(store) == (ROWS, 50, 1, 1)
    finally:
        store.close()


@pytest.mark.parametrize("bulk", [True, False])
def test_a_bulk_commit_is_stored_by_event_then_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bulk: bool
) -> None:
    monkeypatch.setattr(duckdb_store, "CLUSTER_MIN_ROWS", ROWS if bulk else ROWS + 1)
    store = DuckDBStore(tmp_path / "e.duckdb")
    store.append(large_batch())
    rows = store.query("SELECT event, timestamp FROM events ORDER BY rowid").to_pylist()
    store.close()
    keys = [(row["event"], row["timestamp"]) for row in rows]
    assert (keys == sorted(keys)) == bulk
    assert {event for event, _ in keys} == {"$identify", "pageview"}
