"""Live updates: the ingest writer's commits → per-project notifications for SSE clients.

The writer calls :meth:`LiveFeed.committed` on its own thread after each commit. With
nobody listening it returns at once; otherwise it counts the batch's rows per project
(one vectorised pass) and hands the counts to the event loop. Each subscriber has a
queue; a slow one only accumulates counts, it never blocks ingest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc

log = logging.getLogger(__name__)


class LiveFeed:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subscribers: dict[int, set[asyncio.Queue[int]]] = {}
        self._lock = threading.Lock()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Deliver notifications on ``loop`` (the server's)."""
        self._loop = loop

    def committed(self, batch: pa.Table) -> None:
        """Commit hook (called on the writer's committer thread): never raises, never waits."""
        loop = self._loop
        if loop is None or not self._subscribers:
            return
        try:
            counts = pc.value_counts(batch.column("project_id")).to_pylist()
            wanted = {int(c["values"]): int(c["counts"]) for c in counts}
            loop.call_soon_threadsafe(self._publish, wanted)
        except Exception:  # a notification is best effort; ingest must go on
            log.exception("live feed: could not publish a commit")

    def _publish(self, counts: dict[int, int]) -> None:
        with self._lock:
            targets = [
                (q, counts[p]) for p, qs in self._subscribers.items() if p in counts for q in qs
            ]
        for queue, count in targets:
            queue.put_nowait(count)

    @contextlib.contextmanager
    def subscribe(self, project_id: int) -> Iterator[asyncio.Queue[int]]:
        """A queue receiving the number of newly committed events of ``project_id``."""
        queue: asyncio.Queue[int] = asyncio.Queue()
        with self._lock:
            self._subscribers.setdefault(project_id, set()).add(queue)
        try:
            yield queue
        finally:
            with self._lock:
                subscribers = self._subscribers.get(project_id, set())
                subscribers.discard(queue)
                if not subscribers:
                    self._subscribers.pop(project_id, None)
