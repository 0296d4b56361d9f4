"""The scale-out event store: ClickHouse, in-process through chdb or a server over HTTP.

``chdb:///path/to/dir`` runs ClickHouse's engine in this process with its data in that
directory; ``clickhouse://user:password@host:8123/database`` talks to a server. Both run
the same SQL (``clickhouse_schema``); only the transport differs.

Appends keep DuckDB's semantics: the same dedupe (a window of recent ids, plus a check
against the stored rows for old or ``exact`` batches), the same derived columns and
initial person ids, the same identity rules (``heron.store.identity``).

Durability and atomicity: ClickHouse has no multi-statement transaction, so an append
writes in an order where every step is idempotent under a retry of the same batch:

1. person rows (upserts, and deletions of absorbed persons) into ``persons_log``;
2. identity overrides into ``person_overrides_log``;
3. group types and group properties (:mod:`heron.store.groups_clickhouse`);
4. the events, in one INSERT.

Identity is replanned from the stored state on a retry: a merge already recorded is a
no-op, ``$set`` writes the same values again, ``$set_once`` nothing; events already
stored are dropped as duplicates. A batch that failed part-way therefore converges when
the client retries it, which it does because it never got a success. One INSERT is
atomic per part (per month of its rows); if it fails, its ids are remembered as
*unsure* and checked against the stored rows when they come again, and after a restart
the ids of the last hour's events are reloaded into the window. Parts are fsynced
before an INSERT returns, so an acknowledged batch survives a crash of the machine.
Readers may see a batch's identity rows shortly before its events.

Several writers on one server (stateless API workers) are safe for events. Person rows
are versioned by each writer's clock in microseconds, so writers' clocks must agree far
better than the time between two identity changes of one person; ``data_version``
counts this process's writes only, so a result cache shared by workers needs a time bound.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from heron.config import load_settings
from heron.store import identity
from heron.store.base import AppendResult, StoreUnavailable, register_backend
from heron.store.clickhouse_schema import DDL, EXISTING_UUIDS, insert_events
from heron.store.clickhouse_transport import ChdbTransport, HttpTransport, Transport, normalize
from heron.store.dedupe import LIVE_HORIZON, RecentIds, plan_dedupe, stored_keys
from heron.store.groups_clickhouse import ClickHouseGroups

_PERSON_ROWS = pa.schema(
    [
        pa.field("project_id", pa.int32(), nullable=False),
        pa.field("person_id", pa.string(), nullable=False),
        pa.field("properties", pa.string(), nullable=False),
        pa.field("is_identified", pa.bool_(), nullable=False),
        pa.field("updated_at", pa.timestamp("us"), nullable=False),
        pa.field("is_deleted", pa.int32(), nullable=False),
        pa.field("version", pa.int64(), nullable=False),
    ]
)
_OVERRIDE_ROWS = pa.schema(
    [
        pa.field("project_id", pa.int32(), nullable=False),
        pa.field("old_person_id", pa.string(), nullable=False),
        pa.field("person_id", pa.string(), nullable=False),
        pa.field("version", pa.int64(), nullable=False),
    ]
)
_IDS = pa.schema([pa.field("id", pa.string(), nullable=False)])


class ClickHouseStore:
    """Events, persons and identity overrides in ClickHouse."""

    dialect: ClassVar[str] = "clickhouse"

    def __init__(self, transport: Transport, *, dedupe_window: int = 1_000_000) -> None:
        self.transport = transport
        """How statements reach the engine (chdb in-process, or a server over HTTP)."""
        self._write_lock = threading.Lock()
        try:
            for statement in DDL:
                transport.command(statement)
            self._groups = ClickHouseGroups(transport)
        except transport.errors as exc:
            raise StoreUnavailable(f"cannot open the event store: {exc}") from exc
        self._versions: Counter[int] = Counter()
        self._epoch = int(datetime.now(UTC).timestamp())
        self._version = self._stored_version()
        self.recent = RecentIds(dedupe_window)
        self._unsure = RecentIds(dedupe_window)
        """Ids of events whose insert failed: possibly stored, so checked when they return."""
        self._load_recent_ids()
        self._closed = False

    # -- writes ---------------------------------------------------------------------------

    def append(self, batch: pa.Table, *, exact: bool = False) -> AppendResult:
        """Store a raw batch: dedupe, then identity, then events (see the module doc).

        Duplicates (same project and uuid as a stored event, or earlier in the batch) are
        dropped. ``exact`` checks every row against the stored rows of the batch's time
        range; otherwise only rows older than :data:`LIVE_HORIZON` (and ids of a failed
        insert) are checked there and the rest against the in-memory window.
        """
        if batch.num_rows == 0:
            return AppendResult(0, 0)
        with self._write_lock:
            if self._closed:
                raise StoreUnavailable("the event store is closed")
            try:
                keep = self._dedupe(batch, exact=exact)
                fresh = batch.take(keep) if len(keep) < batch.num_rows else batch
                self._commit(fresh)
            except self.transport.errors as exc:
                raise StoreUnavailable(f"event store write failed: {exc}") from exc
            if not exact:
                self.recent.add_many(stored_keys(fresh))
            for project_id in pc.unique(fresh["project_id"]).to_pylist():
                self._versions[project_id] += 1
            return AppendResult(fresh.num_rows, batch.num_rows - fresh.num_rows)

    def _dedupe(self, batch: pa.Table, *, exact: bool) -> np.ndarray:
        keep, candidates = plan_dedupe(batch, self.recent, exact=exact, unsure=self._unsure)
        if candidates is not None:
            lo, hi = pc.min_max(candidates["timestamp"]).values()
            sql = EXISTING_UUIDS.format(
                source="{source}", lo=_timestamp(lo.as_py()), hi=_timestamp(hi.as_py())
            )
            found = self.transport.query_with(sql, candidates)
            keep[found["_row"].to_numpy()] = False
        return np.flatnonzero(keep)

    def _commit(self, batch: pa.Table) -> None:
        ops = identity.extract_ops(batch)
        if ops:
            self._apply_identity(ops)
        now = datetime.now(UTC).replace(tzinfo=None)
        self._groups.write(batch, now)
        try:
            self.transport.insert_from(insert_events(_timestamp(now)), batch)
        except self.transport.errors:
            self._unsure.add_many(stored_keys(batch))
            raise

    def _apply_identity(self, ops: list[identity.IdentityOp]) -> None:
        by_project: dict[int, list[identity.IdentityOp]] = {}
        for op in ops:
            by_project.setdefault(op.project_id, []).append(op)
        for project_id, project_ops in by_project.items():
            state = self._identity_state(project_id, identity.involved_persons(project_ops))
            writes = identity.plan(project_id, project_ops, state)
            self._write_identity(project_id, writes)

    def _identity_state(self, project_id: int, persons: set[uuid.UUID]) -> identity.IdentityState:
        rows = self.transport.query_with(
            "SELECT old_person_id, person_id FROM person_overrides "
            f"WHERE project_id = {int(project_id)} AND old_person_id IN "
            "(SELECT toUUID(id) FROM {source})",
            _ids(persons),
        )
        state = identity.IdentityState(overrides=dict(_pairs(rows)))
        current = {*persons, *state.overrides.values()}
        rows = self.transport.query_with(
            "SELECT person_id, properties, is_identified FROM persons "
            f"WHERE project_id = {int(project_id)} AND person_id IN "
            "(SELECT toUUID(id) FROM {source})",
            _ids(current),
        )
        for row in rows.to_pylist():
            person_id = row["person_id"]
            state.properties[person_id] = orjson.loads(row["properties"])
            if row["is_identified"]:
                state.identified.add(person_id)
        return state

    def _write_identity(self, project_id: int, writes: identity.IdentityPlan) -> None:
        overrides = self._remapped_overrides(project_id, writes.merges)
        version = self._next_version()
        now = datetime.now(UTC).replace(tzinfo=None)
        persons = [
            (person_id, orjson.dumps(properties).decode(), is_identified, 0)
            for person_id, (properties, is_identified) in writes.persons.items()
        ]
        persons += [(person_id, "{}", False, 1) for person_id in writes.deleted]
        if persons:
            columns = list(zip(*persons, strict=True))
            table = pa.table(
                [
                    [project_id] * len(persons),
                    [str(p) for p in columns[0]],
                    columns[1],
                    columns[2],
                    [now] * len(persons),
                    columns[3],
                    [version] * len(persons),
                ],
                schema=_PERSON_ROWS,
            )
            self.transport.insert_from("INSERT INTO persons_log SELECT * FROM {source}", table)
        if overrides:
            table = pa.table(
                [
                    [project_id] * len(overrides),
                    [str(old) for old in overrides],
                    [str(new) for new in overrides.values()],
                    [version] * len(overrides),
                ],
                schema=_OVERRIDE_ROWS,
            )
            self.transport.insert_from(
                "INSERT INTO person_overrides_log SELECT * FROM {source}", table
            )

    def _remapped_overrides(
        self, project_id: int, merges: list[tuple[uuid.UUID, uuid.UUID]]
    ) -> dict[uuid.UUID, uuid.UUID]:
        """The override rows a list of merges changes: each absorbed person, and every
        person that pointed at one, now point at the survivor (overrides stay flat)."""
        if not merges:
            return {}
        rows = self.transport.query_with(
            "SELECT old_person_id, person_id FROM person_overrides "
            f"WHERE project_id = {int(project_id)} AND person_id IN "
            "(SELECT toUUID(id) FROM {source})",
            _ids({absorbed for absorbed, _ in merges}),
        )
        mapping = dict(_pairs(rows))
        for absorbed, survivor in merges:
            for old, new in mapping.items():
                if new == absorbed:
                    mapping[old] = survivor
            mapping[absorbed] = survivor
        return mapping

    def _next_version(self) -> int:
        """A version above every earlier one: microseconds now, or one more than the last."""
        self._version = max(self._version + 1, time.time_ns() // 1000)
        return self._version

    def _stored_version(self) -> int:
        rows = self.transport.query(
            "SELECT greatest((SELECT max(version) FROM persons_log), "
            "(SELECT max(version) FROM person_overrides_log)) AS v"
        )
        return int(rows["v"][0].as_py() or 0)

    # -- reads ----------------------------------------------------------------------------

    def query(self, sql: str, params: dict[str, Any] | list[Any] | None = None) -> pa.Table:
        """Run a statement and return Arrow, typed as DuckDB would return it (see
        :func:`~heron.store.clickhouse_transport.normalize`).

        Parameters are named: ``{name:Type}`` in the SQL, ``{"name": value}`` here.
        """
        if isinstance(params, list):
            raise TypeError("ClickHouse takes named parameters: {name:Type} with a dict")
        if self._closed:
            raise StoreUnavailable("the event store is closed")
        return normalize(self.transport.query(sql, params or None))

    def data_version(self, project_id: int) -> int:
        return self._epoch * 1_000_000_000 + self._versions[project_id]

    def close(self) -> None:
        with self._write_lock:
            if not self._closed:
                self._closed = True
                self.transport.close()

    def _load_recent_ids(self) -> None:
        """Remember the ids of events recent enough to be deduped by the window alone."""
        horizon = datetime.now(UTC).replace(tzinfo=None) - LIVE_HORIZON
        rows = self.transport.query(
            "SELECT project_id, toString(uuid) AS id FROM events "
            f"WHERE timestamp >= {_timestamp(horizon)} "
            f"ORDER BY timestamp DESC LIMIT {int(self.recent.capacity)}"
        )
        pairs = zip(rows["project_id"].to_pylist(), rows["id"].to_pylist(), strict=True)
        self.recent.add_many(reversed(list(pairs)))


def _ids(persons: Iterable[uuid.UUID]) -> pa.Table:
    return pa.table([[str(p) for p in persons]], schema=_IDS)


def _pairs(rows: pa.Table) -> Iterable[tuple[uuid.UUID, uuid.UUID]]:
    return zip(rows.column(0).to_pylist(), rows.column(1).to_pylist(), strict=True)


def _timestamp(moment: datetime) -> str:
    return f"toDateTime64('{moment.strftime('%Y-%m-%d %H:%M:%S.%f')}', 6, 'UTC')"


def _path(url: str) -> str:
    parts = urlsplit(url)
    path = f"{parts.netloc}{unquote(parts.path)}"
    if path.startswith("/"):
        path = "/" + path.lstrip("/")
    return path or ":memory:"


@register_backend("chdb")
def _open_chdb(url: str) -> ClickHouseStore:
    return ClickHouseStore(
        ChdbTransport(_path(url)), dedupe_window=load_settings().dedupe_window_events
    )


@register_backend("clickhouse")
def _open_server(url: str) -> ClickHouseStore:
    return ClickHouseStore(HttpTransport(url), dedupe_window=load_settings().dedupe_window_events)
