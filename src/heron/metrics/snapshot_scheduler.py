"""The snapshot scheduler inside ``heron serve``: refreshes every project's snapshots.

One daemon thread wakes every ``snapshot_refresh_seconds`` (0 disables it) and refreshes
each project's configured series (:func:`heron.metrics.snapshots.refresh_project`). A
refresh only recomputes buckets that new events can have changed, so a quiet project
costs one small query per series. Errors are logged and retried at the next round.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import Session, sessionmaker

from heron.meta.projects import list_projects
from heron.metrics.snapshots import refresh_project
from heron.store.base import EventStore

log = logging.getLogger(__name__)


def refresh_all(store: EventStore, meta: sessionmaker[Session]) -> int:
    """Refresh every project's snapshots; returns how many series were refreshed."""
    with meta() as s:
        ids = [p.id for p in list_projects(s)]
    done = 0
    for project_id in ids:
        try:
            done += len(refresh_project(store, meta, project_id))
        except Exception:
            log.exception("snapshot refresh of project %s failed", project_id)
    return done


class SnapshotScheduler:
    def __init__(
        self, store: EventStore, meta: sessionmaker[Session], every_seconds: float
    ) -> None:
        self.store = store
        self.meta = meta
        self.every_seconds = every_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.every_seconds <= 0:
            return
        self._thread = threading.Thread(target=self._loop, name="heron-snapshots", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.every_seconds):
            refresh_all(self.store, self.meta)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
