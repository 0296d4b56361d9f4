"""Statement results shared by the queries of one service: one scan for several widgets.

Some statements are asked for, word for word, by several different queries: the activity
masks behind DAU, WAU and MAU over the same range (:mod:`heron.analysis.active_masks`),
the signup cohort's activity behind D1, D7 and D30 retention. A dashboard showing them
side by side would otherwise scan the same rows once per widget. :class:`SharedResults`
keeps such a statement's Arrow result under its SQL text and the project's data
version, so new events make every entry miss, as they do in the result cache; and while
one query runs a statement, the others asking for it wait for that run instead of
starting their own (a browser asks for six widgets at once).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future

import pyarrow as pa

from heron.query.cache import SizedLRU


class SharedResults:
    """Statement results kept in a :class:`~heron.query.cache.SizedLRU` (bounded by count and
    Arrow bytes), with the runs in progress; thread-safe."""

    def __init__(self, max_entries: int = 64, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._kept: SizedLRU[pa.Table] = SizedLRU(max_entries, max_bytes, _table_bytes)
        self._running: dict[str, Future[pa.Table]] = {}
        self._lock = threading.Lock()

    def get_or_run(self, key: str, run: Callable[[], pa.Table]) -> pa.Table:
        """The result of ``key``: kept, or being run by another caller (then awaited), or
        computed by ``run`` now."""
        with self._lock:
            table = self._kept.get(key)
            if table is not None:
                return table
            pending = self._running.get(key)
            if pending is None:
                mine: Future[pa.Table] = Future()
                self._running[key] = mine
        if pending is not None:
            return pending.result()
        try:
            table = run()
        except BaseException as exc:
            with self._lock:
                del self._running[key]
            mine.set_exception(exc)
            raise
        with self._lock:
            del self._running[key]
            self._kept.set(key, table)
        mine.set_result(table)
        return table

    def __len__(self) -> int:
        return len(self._kept)


def _table_bytes(table: pa.Table) -> int:
    return int(table.nbytes)
