"""The DuckDB store's settings: memory cap (``HERON_DUCKDB_MEMORY_LIMIT``), checkpoint threshold
(``HERON_DUCKDB_CHECKPOINT_THRESHOLD``) and dedupe window."""

from __future__ import annotations

from pathlib import Path

import pytest

from heron.config import load_settings
from heron.store.base import EventStore, open_store
from heron.store.duckdb import DuckDBStore


def setting_of(store: EventStore, name: str) -> str:
    try:
        return str(store.query(f"SELECT current_setting('{name}') AS value")["value"][0])
    finally:
        store.close()


def limit_of(store: EventStore) -> str:
    return setting_of(store, "memory_limit")


def test_a_file_store_is_capped(tmp_path: Path) -> None:
    assert limit_of(DuckDBStore(tmp_path / "e.duckdb", memory_limit="100MiB")) == "100.0 MiB"


def test_an_in_memory_store_is_not_capped() -> None:
    uncapped = limit_of(DuckDBStore(":memory:"))
    assert limit_of(DuckDBStore(":memory:", memory_limit="100MiB")) == uncapped


def test_open_store_applies_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HERON_DUCKDB_MEMORY_LIMIT", "64MiB")
    assert limit_of(open_store(f"duckdb:///{tmp_path / 'e.duckdb'}")) == "64.0 MiB"


def test_the_default_is_1gb(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HERON_DUCKDB_MEMORY_LIMIT", raising=False)
    assert load_settings().duckdb_memory_limit == "1GB"


def test_a_file_store_checkpoints_every_256mb_of_log(tmp_path: Path) -> None:
    assert setting_of(DuckDBStore(tmp_path / "e.duckdb"), "checkpoint_threshold") == "244.1 MiB"


def test_open_store_applies_the_checkpoint_threshold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HERON_DUCKDB_CHECKPOINT_THRESHOLD", "32MiB")
    store = open_store(f"duckdb:///{tmp_path / 'e.duckdb'}")
    assert setting_of(store, "checkpoint_threshold") == "32.0 MiB"


def test_open_store_applies_the_dedupe_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HERON_DEDUPE_WINDOW_EVENTS", "1234")
    store = open_store(f"duckdb:///{tmp_path / 'e.duckdb'}")
    try:
        assert isinstance(store, DuckDBStore)
        assert store.recent.capacity == 1234
    finally:
        store.close()
