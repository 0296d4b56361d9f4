"""Keeping a DuckDB store's memory flat under ingest: its block cache is trimmed while no
query needs it.

DuckDB keeps every block it writes in its buffer pool until ``memory_limit`` forces an
eviction, so a server that only ingests grows towards the limit with the data it stores
(~100 MiB per million events) although nothing will read those blocks soon. Lowering the
limit evicts them; raising it again leaves queries the whole limit. A query running while
the limit is low could fail to allocate, so the trim takes a gate that queries hold while
they run: it happens only when no query is running and none has run for a while (a
dashboard's queries keep their cache), and queries arriving during the few milliseconds of
a trim wait for it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

import duckdb

TRIM_EVERY_SECONDS = 5.0
"""At most one trim per this many seconds (a trim costs ~10–30 ms of the writer thread)."""
QUIET_SECONDS = 30.0
"""No trim until this long after the last query ended: a querying server keeps its cache."""
TRIM_LIMIT = "32MB"
"""The momentary limit that evicts the unpinned blocks."""


class CacheTrimmer:
    """The query gate and the trim of one DuckDB connection (and its cursors)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        memory_limit: str | None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._con = con
        self._limit = memory_limit
        self._clock = clock
        self._gate = threading.Condition()
        self._readers = 0
        self._trimming = False
        self._last_read = float("-inf")
        self._last_trim = clock()
        self.trims = 0

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold while a query runs: no trim starts meanwhile."""
        with self._gate:
            while self._trimming:
                self._gate.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._gate:
                self._readers -= 1
                self._last_read = self._clock()
                self._gate.notify_all()

    def maybe_trim(self) -> bool:
        """Evict the block cache if it is time and no query runs or ran recently.

        Called by the writer thread after a commit; returns whether it trimmed.
        """
        if self._limit is None:
            return False
        now = self._clock()
        if now - self._last_trim < TRIM_EVERY_SECONDS:
            return False
        with self._gate:
            if self._readers or now - self._last_read < QUIET_SECONDS:
                return False
            self._trimming = True
        try:
            with suppress(duckdb.Error):  # pinned memory (indexes) above it: evicts what it can
                self._con.execute(f"SET memory_limit = '{TRIM_LIMIT}'")
            self._con.execute(f"SET memory_limit = '{self._limit}'")
        finally:
            with self._gate:
                self._trimming = False
                self._last_trim = self._clock()
                self._gate.notify_all()
        self.trims += 1
        return True
