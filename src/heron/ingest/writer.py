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
from concurrent.futures import Future
from dataclasses import dataclass

import pyarrow as pa

from heron.store.base import AppendResult, EventStore, StoreUnavailable


@dataclass(slots=True)
class _Pending:
    batch: pa.Table
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
    ) -> None:
        self.store = store
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
        done: Future[AppendResult] = Future()
        if not self.healthy:
            raise StoreUnavailable("the event writer is not running")
        with self._lock:
            if self._queued_events + batch.num_rows > self.max_queued_events:
                raise StoreUnavailable("ingest is overloaded: too many events waiting to be stored")
            self._queued_events += batch.num_rows
        self._queue.put(_Pending(batch, done))
        return done

    async def write(self, batch: pa.Table) -> AppendResult:
        """Queue a batch from async code and wait until it is durable."""
        return await asyncio.wrap_future(self.submit(batch))

    def write_sync(self, batch: pa.Table) -> AppendResult:
        return self.submit(batch).result()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            size = first.batch.num_rows
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
                size += item.batch.num_rows
            self._commit(group, size)
            if stop:
                return

    def _commit(self, group: list[_Pending], size: int) -> None:
        try:
            batch = pa.concat_tables([p.batch for p in group]) if len(group) > 1 else group[0].batch
            total = self.store.append(batch)
        except BaseException as exc:  # every waiter must learn the outcome
            error = exc if isinstance(exc, StoreUnavailable) else StoreUnavailable(str(exc))
            self.failure = exc
            for pending in group:
                pending.done.set_exception(error)
        else:
            self.commits += 1
            for pending in group:
                rows = pending.batch.num_rows
                pending.done.set_result(AppendResult(rows, 0) if len(group) > 1 else total)
        finally:
            with self._lock:
                self._queued_events -= size
