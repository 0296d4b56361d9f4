"""The identity cache never changes what the DuckDB store writes: with it, with a tiny one
(constant eviction) and without one, the same commits leave the same identity rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heron.store.duckdb import DuckDBStore
from heron.store.identity_cache import IdentityCache
from tests.support.events import raw_batch

T0 = datetime(2025, 3, 1, tzinfo=UTC)
IDS = ["a", "b", "c", "d", "e"]
PERSONS = "SELECT person_id::VARCHAR AS p, properties, is_identified FROM persons ORDER BY p"
OVERRIDES = (
    "SELECT old_person_id::VARCHAR AS o, person_id::VARCHAR AS p FROM person_overrides ORDER BY o"
)

_event = st.one_of(
    st.tuples(st.just("$identify"), st.sampled_from(IDS), st.sampled_from(IDS)),
    st.tuples(st.just("$create_alias"), st.sampled_from(IDS), st.sampled_from(IDS)),
    st.tuples(st.just("$set"), st.sampled_from(IDS), st.sampled_from(["x", "y"])),
    st.tuples(st.just("pageview"), st.sampled_from(IDS), st.just("")),
)


def _row(i: int, kind: str, distinct_id: str, other: str) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "$identify": {"$anon_distinct_id": other},
        "$create_alias": {"alias": other},
        "$set": {"$set": {"plan": other}, "$set_once": {"first": other}},
    }.get(kind, {})
    return {
        "event": kind,
        "distinct_id": distinct_id,
        "timestamp": T0 + timedelta(seconds=i),
        "properties": properties,
    }


@pytest.fixture(scope="module")
def stores() -> Iterator[list[DuckDBStore]]:
    opened = [DuckDBStore(":memory:") for _ in range(3)]
    opened[1]._identity_cache = IdentityCache(capacity=2)
    opened[2]._identity_cache = IdentityCache(capacity=0)
    yield opened
    for store in opened:
        store.close()


def _replay(stores: list[DuckDBStore], commits: list[list[dict[str, Any]]]) -> list[Any]:
    """Each store emptied, then given the commits: the persons and overrides it wrote."""
    for store in stores:
        for table in ("events", "persons", "person_overrides"):
            store.query(f"DELETE FROM {table}")
        store._identity_cache.clear()
        for commit in commits:
            store.append(raw_batch(commit))
    return [
        (store.query(PERSONS).to_pylist(), store.query(OVERRIDES).to_pylist()) for store in stores
    ]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    events=st.lists(_event, min_size=1, max_size=24),
    cuts=st.lists(st.integers(1, 6), min_size=1, max_size=8),
)
def test_cached_and_uncached_stores_write_the_same_identities(
    stores: list[DuckDBStore], events: list[tuple[str, str, str]], cuts: list[int]
) -> None:
    rows = [_row(i, *event) for i, event in enumerate(events)]
    commits: list[list[dict[str, Any]]] = []
    while rows:
        size = cuts[len(commits) % len(cuts)]
        commits.append(rows[:size])
        rows = rows[size:]
    written = _replay(stores, commits)
    assert written[0] == written[2]
    assert written[1] == written[2]


def test_a_failed_commit_empties_the_cache(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    store = DuckDBStore(tmp_path / "e.duckdb")
    store.append(raw_batch([_row(0, "$identify", "user", "visitor")]))
    assert len(store._identity_cache) > 0

    def fail(*args: Any) -> None:
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(store._groups, "write", fail)  # after the identity writes
        with pytest.raises(OSError):
            store.append(raw_batch([_row(1, "$create_alias", "user", "other")]))
    assert len(store._identity_cache) == 0
    assert store.query(OVERRIDES).num_rows == 1  # the failed merge was rolled back
    store.close()


def test_a_merge_moves_cached_overrides_that_point_at_the_absorbed_person(
    stores: list[DuckDBStore],
) -> None:
    commits = [
        [_row(0, "$identify", "a", "x")],  # x → a
        [_row(1, "$create_alias", "b", "a")],  # a → b, so x → b
        [_row(2, "$set", "x", "pro")],  # must update b, not the absorbed a
    ]
    written = _replay(stores, commits)
    assert written[0] == written[1] == written[2]
    assert len(written[0][0]) == 1  # one person left, with the $set applied
