"""Group commit: many requests' events share one store transaction.

Request handlers hand a raw batch to :meth:`GroupCommitWriter.write` and wait. One
thread takes whatever is queued (up to ``max_events``, lingering a moment for more) and
hands it to a committer thread, which appends it in a single transaction, then wakes every
waiter. A request is answered only after the transaction holding its events has committed,
so an acknowledged event is durable; throughput stays high because the commit cost is
shared, and because the next group's Python work overlaps the store's work on this one.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import pyarrow as pa

from heron.events import CanonicalEvent
from heron.store.base import AppendResult, EventStore, StoreUnavailable

EventPart = tuple[int, Sequence[CanonicalEvent]]
"""One request's validated events: ``(project_id, events)``."""
ASSEMBLE_EVENTS = 2_000
"""While a group commits, the next one's requests are assembled once this many wait."""


@dataclass(slots=True)
class _Pending:
    batch: pa.Table | EventPart
    rows: int
    done: Future[AppendResult]


class _Signal:
    """A message from the committer thread to the writer thread, through the queue."""


_COMMITTED = _Signal()
"""The group being committed is done: the next may go."""


@dataclass(slots=True)
class _Group:
    """Requests that will share one transaction, and the Arrow tables of those assembled."""

    items: list[_Pending] = field(default_factory=list)
    tables: list[pa.Table] = field(default_factory=list)
    size: int = 0
    assembled: int = 0

    def add(self, pending: _Pending) -> None:
        self.items.append(pending)
        self.size += pending.rows

    @property
    def unassembled(self) -> int:
        return sum(p.rows for p in self.items[self.assembled :])


class GroupCommitWriter:
    """The writer thread (gathers and assembles groups) and the committer thread (stores
    them, one at a time) in front of a store."""

    def __init__(
        self,
        store: EventStore,
        *,
        max_events: int = 50_000,
        linger_ms: float = 2.0,
        max_queued_events: int = 500_000,
        on_commit: Callable[[pa.Table], None] | None = None,
        assemble: Callable[[Sequence[EventPart]], pa.Table] | None = None,
    ) -> None:
        self.store = store
        self.assemble = assemble
        """Turns the event parts of requests into one raw batch (on the writer thread)."""
        self.on_commit = on_commit
        """Called on the committer thread with each committed batch; must return quickly."""
        self.max_events = max_events
        self.linger = linger_ms / 1000
        self.max_queued_events = max_queued_events
        self._queue: queue.Queue[_Pending | _Signal | None] = queue.Queue()
        self._queued_events = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="heron-writer", daemon=True)
        self._committer = ThreadPoolExecutor(1, thread_name_prefix="heron-commit")
        """Appends one group at a time to the store, while the writer gathers the next."""
        self._stopping = False
        self.commits = 0
        self.failure: BaseException | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Commit everything already queued, then stop the thread."""
        self._stopping = True
        self._queue.put(None)
        self._thread.join()

    @property
    def healthy(self) -> bool:
        return self._thread.is_alive() and not self._stopping

    def submit(self, batch: pa.Table) -> Future[AppendResult]:
        """Queue a batch; the future resolves once it is committed (or fails)."""
        return self._enqueue(batch, batch.num_rows)

    def submit_events(
        self, project_id: int, events: Sequence[CanonicalEvent]
    ) -> Future[AppendResult]:
        """Queue one request's events; the writer builds one raw batch for the whole group
        (with ``assemble``), so a small request costs no Arrow work of its own."""
        if self.assemble is None:
            raise TypeError("this writer was built without an assemble function")
        return self._enqueue((project_id, events), len(events))

    def _enqueue(self, batch: pa.Table | EventPart, rows: int) -> Future[AppendResult]:
        done: Future[AppendResult] = Future()
        if not self.healthy:
            raise StoreUnavailable("the event writer is not running")
        with self._lock:
            if self._queued_events + rows > self.max_queued_events:
                raise StoreUnavailable("ingest is overloaded: too many events waiting to be stored")
            self._queued_events += rows
        self._queue.put(_Pending(batch, rows, done))
        return done

    async def write(self, batch: pa.Table) -> AppendResult:
        """Queue a batch from async code and wait until it is durable."""
        return await asyncio.wrap_future(self.submit(batch))

    async def write_events(self, project_id: int, events: Sequence[CanonicalEvent]) -> AppendResult:
        """Queue one request's events from async code and wait until they are durable."""
        return await asyncio.wrap_future(self.submit_events(project_id, events))

    def write_sync(self, batch: pa.Table) -> AppendResult:
        return self.submit(batch).result()

    def _run(self) -> None:
        """Gather groups from the queue and hand each to the committer thread.

        While one group commits, the next is gathered and its requests assembled, so the
        Python work of a group overlaps the store's work on the one before it. A group is
        handed over only when no other is committing: it then holds every request that
        arrived meanwhile (up to ``max_events``), as when one thread did both.
        """
        backlog: deque[_Pending] = deque()
        group = _Group()
        committing = stopping = False
        while not (stopping and not committing and not group.items and not backlog):
            for item in self._take(block=committing or not (backlog or group.items)):
                if item is None:
                    stopping = True
                elif item is _COMMITTED:
                    committing = False
                elif isinstance(item, _Pending):
                    backlog.append(item)
            while backlog and group.size < self.max_events:
                group.add(backlog.popleft())
            if committing:
                if group.unassembled >= ASSEMBLE_EVENTS:
                    self._assemble(group)
                continue
            if not group.items:
                continue
            if not stopping:
                stopping = self._linger(group)
            self._assemble(group)
            if group.items:
                committing = True
                self._committer.submit(self._commit, group)
                group = _Group()
        self._committer.shutdown()

    def _take(self, *, block: bool) -> list[_Pending | _Signal | None]:
        """Everything waiting in the queue; with ``block``, at least one item."""
        items = [self._queue.get()] if block else []
        while True:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                return items

    def _linger(self, group: _Group) -> bool:
        """Wait a moment for more requests to join an idle writer's group; True on stop."""
        deadline = time.monotonic() + self.linger
        while group.size < self.max_events:
            timeout = deadline - time.monotonic()
            try:
                item = self._queue.get(timeout=timeout) if timeout > 0 else self._queue.get_nowait()
            except queue.Empty:
                return False
            if item is None:
                return True
            if isinstance(item, _Pending):
                group.add(item)
        return False

    def _assemble(self, group: _Group) -> None:
        """Turn the group's newest requests into Arrow; a request that cannot be assembled
        fails alone (the others are then assembled one by one)."""
        fresh = group.items[group.assembled :]
        if not fresh:
            return
        try:
            group.tables.append(self._batch_of(fresh))
        except BaseException:
            kept = []
            for pending in fresh:
                try:
                    group.tables.append(self._batch_of([pending]))
                except BaseException as exc:
                    self._fail([pending], exc)
                    group.size -= pending.rows
                    self._done(pending.rows)
                else:
                    kept.append(pending)
            group.items[group.assembled :] = kept
        group.assembled = len(group.items)

    def _commit(self, group: _Group) -> None:
        """On the committer thread: store the group's rows, then answer every waiter."""
        try:
            tables = group.tables
            batch = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
            total = self.store.append(batch)
        except BaseException as exc:  # every waiter must learn the outcome
            self._fail(group.items, exc)
        else:
            self.commits += 1
            single = len(group.items) == 1
            for pending in group.items:
                pending.done.set_result(total if single else AppendResult(pending.rows, 0))
            if self.on_commit is not None:
                self.on_commit(batch)
        finally:
            self._done(group.size)
            self._queue.put(_COMMITTED)

    def _fail(self, pendings: list[_Pending], exc: BaseException) -> None:
        error = exc if isinstance(exc, StoreUnavailable) else StoreUnavailable(str(exc))
        self.failure = exc
        for pending in pendings:
            pending.done.set_exception(error)

    def _done(self, rows: int) -> None:
        with self._lock:
            self._queued_events -= rows

    def _batch_of(self, group: list[_Pending]) -> pa.Table:
        tables = [p.batch for p in group if isinstance(p.batch, pa.Table)]
        parts = [p.batch for p in group if not isinstance(p.batch, pa.Table)]
        if parts:
            assert self.assemble is not None  # submit_events checked it
            tables.append(self.assemble(parts))
        return pa.concat_tables(tables) if len(tables) > 1 else tables[0]
