"""The embedded event store: one DuckDB file, written by one thread, read by many."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

import duckdb
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from heron.config import DUCKDB_CHECKPOINT_THRESHOLD, load_settings
from heron.events import RAW_SCHEMA
from heron.store import groups, identity, materialise
from heron.store.base import AppendResult, StoreUnavailable, register_backend
from heron.store.dedupe import RecentIds, plan_dedupe, stored_keys
from heron.store.duckdb_cache import CacheTrimmer
from heron.store.duckdb_schema import (
    DDL,
    EXISTING_UUIDS,
    OVERRIDES_OF_PERSONS,
    PERSON_ROWS,
    PREPARE_INSERT,
    PREPARE_INSERT_DERIVED,
)
from heron.store.groups_duckdb import DuckDBGroups
from heron.store.identity_cache import IdentityCache


class DuckDBStore:
    """Events, persons and identity overrides in one DuckDB database file."""

    dialect: ClassVar[str] = "duckdb"

    def __init__(
        self,
        path: str | Path,
        *,
        dedupe_window: int = 1_000_000,
        threads: int | None = None,
        memory_limit: str | None = None,
        checkpoint_threshold: str = DUCKDB_CHECKPOINT_THRESHOLD,
    ) -> None:
        self.path = str(path)
        config: dict[str, Any] = {"threads": threads} if threads else {}
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            if memory_limit:  # an in-memory database must hold all its data: no limit there
                config["memory_limit"] = memory_limit
            config["checkpoint_threshold"] = checkpoint_threshold
        self._con = duckdb.connect(self.path, config=config)
        self._cache = CacheTrimmer(self._con, config.get("memory_limit"))
        for statement in DDL:
            self._con.execute(statement)
        self._con.execute("SET TimeZone = 'UTC'")
        self._groups = DuckDBGroups(self._con)
        self._con.register("batch", pa.Table.from_pylist([], schema=RAW_SCHEMA))
        self._con.execute(PREPARE_INSERT)  # planned once: a commit only binds the new batch
        self._con.unregister("batch")
        self._con.register("derived", materialise.DERIVED_SCHEMA.empty_table())
        self._con.execute(PREPARE_INSERT_DERIVED)
        self._con.unregister("derived")
        self._write_lock = threading.Lock()
        self._helper = ThreadPoolExecutor(1, thread_name_prefix="heron-duckdb-insert")
        """Runs large inserts while the writer extracts identity and group facts."""
        self._versions: Counter[int] = Counter()
        self._epoch = int(datetime.now(UTC).timestamp())
        self.recent = RecentIds(dedupe_window)
        self._identity_cache = IdentityCache()
        self._load_recent_ids()
        self._closed = False

    # -- writes ---------------------------------------------------------------------------

    def append(self, batch: pa.Table, *, exact: bool = False) -> AppendResult:
        """Store a raw batch in one transaction.

        Duplicates (same project and uuid as a stored event, or earlier in the batch) are
        dropped. ``exact`` checks every row against the stored rows of the batch's time
        range; otherwise only rows older than :data:`LIVE_HORIZON` are checked there and
        the rest against the in-memory window of recent ids.
        """
        if batch.num_rows == 0:
            return AppendResult(0, 0)
        with self._write_lock:
            if self._closed:
                raise StoreUnavailable("the event store is closed")
            keep = self._dedupe(batch, exact=exact)
            fresh = batch.take(keep) if len(keep) < batch.num_rows else batch
            try:
                self._commit(fresh)
            except duckdb.Error as exc:
                raise StoreUnavailable(f"event store write failed: {exc}") from exc
            if not exact:
                self.recent.add_many(stored_keys(fresh))
            for project_id in pc.unique(fresh["project_id"]).to_pylist():
                self._versions[project_id] += 1
            self._cache.maybe_trim()
            return AppendResult(fresh.num_rows, batch.num_rows - fresh.num_rows)

    def _dedupe(self, batch: pa.Table, *, exact: bool) -> np.ndarray:
        keep, candidates = plan_dedupe(batch, self.recent, exact=exact)
        if candidates is not None:
            lo, hi = pc.min_max(candidates["timestamp"]).values()
            found = self._read(
                EXISTING_UUIDS, {"lo": lo.as_py(), "hi": hi.as_py()}, batch=candidates
            )
            keep[found["_row"].to_numpy()] = False
        return np.flatnonzero(keep)

    def _commit(self, batch: pa.Table) -> None:
        con = self._con
        derived, rest = _split_derivation(batch)
        con.execute("BEGIN TRANSACTION")
        try:
            inserting = self._start_insert(derived, rest)
            try:  # the facts are extracted while DuckDB inserts (without the GIL)
                ops = identity.extract_ops(batch)
                facts = groups.extract(batch)
            finally:
                inserting.result()
            plans = self._apply_identity(ops) if ops else []
            self._groups.write(batch, datetime.now(UTC).replace(tzinfo=None), facts)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            self._identity_cache.clear()
            raise
        for project_id, writes in plans:
            self._identity_cache.committed(project_id, writes)

    def _start_insert(self, derived: pa.Table | None, rest: pa.Table | None) -> Future[None]:
        """Insert the rows: on the helper thread when the SQL derives many of them, so the
        caller's Python work overlaps DuckDB's; otherwise here (no thread hand-off)."""
        if rest is not None and rest.num_rows > PYTHON_DERIVATION_MAX_ROWS:
            return self._helper.submit(self._insert, derived, rest)
        done: Future[None] = Future()
        try:
            self._insert(derived, rest)
        except BaseException as exc:
            done.set_exception(exc)
        else:
            done.set_result(None)
        return done

    def _insert(self, derived: pa.Table | None, rest: pa.Table | None) -> None:
        con = self._con
        for name, table, statement in (
            ("derived", derived, "insert_derived"),
            ("batch", rest, "insert_events"),
        ):
            if table is not None and table.num_rows:
                con.register(name, table)
                con.execute(f"EXECUTE {statement}")
                con.unregister(name)

    def _apply_identity(
        self, ops: list[identity.IdentityOp]
    ) -> list[tuple[int, identity.IdentityPlan]]:
        by_project: dict[int, list[identity.IdentityOp]] = {}
        for op in ops:
            by_project.setdefault(op.project_id, []).append(op)
        plans = []
        for project_id, project_ops in by_project.items():
            state = self._identity_state(project_id, identity.involved_persons(project_ops))
            writes = identity.plan(project_id, project_ops, state)
            self._write_identity(project_id, writes)
            plans.append((project_id, writes))
        return plans

    def _identity_state(self, project_id: int, persons: set[uuid.UUID]) -> identity.IdentityState:
        """The stored identity rows of ``persons``, read through the identity cache."""
        con = self._con
        cache = self._identity_cache
        overrides, missing = cache.overrides(project_id, persons)
        if missing:
            read = con.execute(
                OVERRIDES_OF_PERSONS, [project_id, [str(p) for p in missing]]
            ).fetchall()
            cache.loaded_overrides(project_id, missing, dict(read))
            overrides.update(read)
        state = identity.IdentityState(overrides=overrides)
        rows, missing = cache.persons(project_id, {*persons, *overrides.values()})
        if missing:
            stored = con.execute(PERSON_ROWS, [project_id, [str(p) for p in missing]]).fetchall()
            found = {pid: (orjson.loads(text), known) for pid, text, known in stored}
            cache.loaded_persons(project_id, missing, found)
            rows.update(found)
        for person_id, (properties, is_identified) in rows.items():
            state.properties[person_id] = properties
            if is_identified:
                state.identified.add(person_id)
        return state

    def _write_identity(self, project_id: int, writes: identity.IdentityPlan) -> None:
        """Apply a plan with a fixed number of set-based statements, whatever its size."""
        con = self._con
        redirects = writes.redirects()
        if redirects:
            con.register(
                "merges",
                pa.table(
                    {
                        "absorbed": [str(a) for a in redirects],
                        "survivor": [str(s) for s in redirects.values()],
                    }
                ),
            )
            con.execute(
                "UPDATE person_overrides SET person_id = m.survivor::UUID FROM merges AS m "
                "WHERE person_overrides.project_id = ? AND person_overrides.person_id = m.absorbed::UUID",
                [project_id],
            )
            con.execute(
                "INSERT OR REPLACE INTO person_overrides "
                "SELECT ?, absorbed::UUID, survivor::UUID FROM merges",
                [project_id],
            )
            con.unregister("merges")
        if writes.deleted:
            con.execute(
                "DELETE FROM persons WHERE project_id = ? AND person_id IN (SELECT unnest(?::UUID[]))",
                [project_id, [str(p) for p in writes.deleted]],
            )
        if writes.persons:
            con.register(
                "person_rows",
                pa.table(
                    {
                        "person_id": [str(p) for p in writes.persons],
                        "properties": [
                            orjson.dumps(p).decode() for p, _ in writes.persons.values()
                        ],
                        "is_identified": [known for _, known in writes.persons.values()],
                    }
                ),
            )
            con.execute(
                "INSERT OR REPLACE INTO persons "
                "SELECT ?, person_id::UUID, properties, is_identified, ? FROM person_rows",
                [project_id, datetime.now(UTC).replace(tzinfo=None)],
            )
            con.unregister("person_rows")

    # -- reads ----------------------------------------------------------------------------

    def query(self, sql: str, params: list[Any] | dict[str, Any] | None = None) -> pa.Table:
        """Run a statement on a fresh cursor (safe from any thread) and return Arrow."""
        with self._cache.reading():
            return self._read(sql, params)

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of its own for a query (safe from any thread), closed afterwards."""
        with self._cache.reading(), closing(self._con.cursor()) as cursor:
            yield cursor

    def _read(self, sql: str, params: Any = None, **tables: pa.Table) -> pa.Table:
        with closing(self._con.cursor()) as cursor:
            for name, table in tables.items():
                cursor.register(name, table)
            return cursor.sql(sql, params=params).to_arrow_table()

    def data_version(self, project_id: int) -> int:
        return self._epoch * 1_000_000_000 + self._versions[project_id]

    def close(self) -> None:
        with self._write_lock:
            if not self._closed:
                self._closed = True
                self._helper.shutdown()
                self._con.close()

    def _load_recent_ids(self) -> None:
        rows = self._con.execute(
            "SELECT project_id, uuid::VARCHAR FROM events "
            "WHERE inserted_at >= (SELECT max(inserted_at) FROM events) - INTERVAL 1 HOUR "
            "ORDER BY inserted_at LIMIT ?",
            [self.recent.capacity],
        ).fetchall()
        self.recent.add_many(rows)


PYTHON_DERIVATION_MAX_ROWS = 2_000
"""Batches up to this size get their materialised columns from :mod:`heron.store.materialise`
(no fixed cost per commit); larger ones (bulk imports) from the SQL (multi-threaded)."""


CLUSTER_KEYS = [("project_id", "ascending"), ("event", "ascending"), ("timestamp", "ascending")]


def clustered(batch: pa.Table) -> pa.Table:
    """A large batch in its storage order: by event within the project, then time.

    Each event's rows then fill whole DuckDB vectors, so a query on one event skips the
    other events' vectors of wide columns (docs/decisions.md). Sorting here (Arrow: the keys,
    then one gather) costs an import of 1M events nothing measurable; an ``ORDER BY`` in the
    insert cost it ~13%.
    """
    return batch.take(pc.sort_indices(batch, CLUSTER_KEYS))


CLUSTER_MIN_ROWS = 100_000
"""Commits of at least this many rows (bulk chunks; a row group is 122,880) are stored
:func:`clustered`. Smaller ones (live group commits) keep arrival order: clustering them
gains little and took ~10% of the writer thread under HTTP batch load."""


def _split_derivation(batch: pa.Table) -> tuple[pa.Table | None, pa.Table | None]:
    """``(rows derived in Python, raw rows for the SQL derivation)``; the latter of a bulk
    batch :func:`clustered`."""
    if batch.num_rows >= CLUSTER_MIN_ROWS:
        return None, clustered(batch)
    if batch.num_rows > PYTHON_DERIVATION_MAX_ROWS:
        return None, batch
    derived, sql_rows = materialise.derive(batch)
    return derived, batch.take(sql_rows) if len(sql_rows) else None


@register_backend("duckdb")
def _open(url: str) -> DuckDBStore:
    parts = urlsplit(url)
    path = unquote(parts.path) if parts.path else ":memory:"
    if parts.netloc and parts.netloc != "":
        path = f"{parts.netloc}{path}"
    settings = load_settings()
    return DuckDBStore(
        path or ":memory:",
        dedupe_window=settings.dedupe_window_events,
        memory_limit=settings.duckdb_memory_limit,
        checkpoint_threshold=settings.duckdb_checkpoint_threshold,
    )
