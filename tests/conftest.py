"""Shared fixtures. ``store`` runs a test once per event-store backend (the conformance suite)."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

from heron.store.base import EventStore

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HERON_HYPOTHESIS_PROFILE", "default"))

BACKENDS = ["duckdb", "chdb"]


def make_store(backend: str, tmp_path) -> EventStore:
    if backend == "duckdb":
        from heron.store.duckdb import DuckDBStore

        return DuckDBStore(tmp_path / "events.duckdb")
    if importlib.util.find_spec("heron.store.clickhouse") is None:
        pytest.skip("chdb backend module not present")
    from heron.store.base import open_store

    return open_store(f"chdb:///{tmp_path / 'chdb'}")


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path) -> Iterator[EventStore]:
    """An empty event store, once per backend."""
    s = make_store(request.param, tmp_path)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def duckdb_store(tmp_path) -> Iterator[EventStore]:
    s = make_store("duckdb", tmp_path)
    try:
        yield s
    finally:
        s.close()
