"""Group commit: many requests' events share one store transaction.

Request handlers hand a raw batch to :meth:`GroupCommitWriter.write` and wait. One
thread takes whatever is queued (up to ``max_events``, lingering a moment for more),
appends it in a single transaction, then wakes every waiter. A request is answered only
after the transaction holding its events has committed, so an acknowledged event is
durable; throughput stays high because the commit cost is shared.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass

import pyarrow as pa

from heron.events import CanonicalEvent
from heron.store.base import AppendResult, EventStore, StoreUnavailable

EventPart = tuple[int, Sequence[CanonicalEvent]]
"""One request's validated events: ``(project_id, events)``."""


@dataclass(slots=True)
class _Pending:
    batch: pa.Table | EventPart
    rows: int
    done: Future[AppendResult]


class GroupCommitWriter:
    """The single writer thread in front of a store."""

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
        """Turns the event parts of a group into one raw batch (on the writer thread)."""
        self.on_commit = on_commit
        """Called on the writer thread with each committed batch; must return quickly."""
        self.max_events = max_events
        self.linger = linger_ms / 1000
        self.max_queued_events = max_queued_events
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._queued_events = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="heron-writer", daemon=True)
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
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            size = first.rows
            deadline = time.monotonic() + self.linger
            stop = False
            while size < self.max_events:
                timeout = deadline - time.monotonic()
                try:
                    item = (
                        self._queue.get(timeout=timeout)
                        if timeout > 0
                        else self._queue.get_nowait()
                    )
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                group.append(item)
                size += item.rows
            self._commit(group, size)
            if stop:
                return

    def _commit(self, group: list[_Pending], size: int) -> None:
        try:
            batch = self._batch_of(group)
            total = self.store.append(batch)
        except BaseException as exc:  # every waiter must learn the outcome
            error = exc if isinstance(exc, StoreUnavailable) else StoreUnavailable(str(exc))
            self.failure = exc
            for pending in group:
                pending.done.set_exception(error)
        else:
            self.commits += 1
            for pending in group:
                pending.done.set_result(AppendResult(pending.rows, 0) if len(group) > 1 else total)
            if self.on_commit is not None:
                self.on_commit(batch)
        finally:
            with self._lock:
                self._queued_events -= size

    def _batch_of(self, group: list[_Pending]) -> pa.Table:
        tables = [p.batch for p in group if isinstance(p.batch, pa.Table)]
        parts = [p.batch for p in group if not isinstance(p.batch, pa.Table)]
        if parts:
            assert self.assemble is not None  # submit_events checked it
            tables.append(self.assemble(parts))
        return pa.concat_tables(tables) if len(tables) > 1 else tables[0]
