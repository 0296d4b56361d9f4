"""Result caches: serialized query results by key, bounded, shared by every query path.

A key names everything a result depends on (project, canonical spec, data version, …;
see :func:`cache_key`), so entries are never invalidated explicitly: when the project's
data changes its version does, new keys miss, and stale entries age out of the LRU.
Values are bytes (serialized JSON), so a cached result cannot be mutated by a reader.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

import orjson

V = TypeVar("V")


class QueryCache(Protocol):
    """Get and set serialized results by key."""

    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes) -> None: ...


def cache_key(*parts: Any) -> str:
    """A short stable key for JSON-serializable parts (dict keys are sorted)."""
    blob = orjson.dumps(parts, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return hashlib.sha256(blob).hexdigest()


class SizedLRU(Generic[V]):
    """An in-process LRU bounded by entry count and total size; thread-safe.

    ``size`` measures a value (bytes for :class:`MemoryCache`, an Arrow table's buffers for
    :class:`heron.query.shared.SharedResults`); a value larger than the whole budget is not
    kept.
    """

    def __init__(self, max_entries: int, max_bytes: int, size: Callable[[V], int]) -> None:
        if max_entries < 1 or max_bytes < 1:
            raise ValueError("a cache needs room for at least one entry")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._size = size
        self._entries: OrderedDict[str, V] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> V | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def set(self, key: str, value: V) -> None:
        if self._size(value) > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= self._size(old)
            self._entries[key] = value
            self._bytes += self._size(value)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= self._size(evicted)

    def __len__(self) -> int:
        return len(self._entries)


class MemoryCache(SizedLRU[bytes]):
    """Serialized results in this process (the default :class:`QueryCache`)."""

    def __init__(self, max_entries: int = 1024, max_bytes: int = 256 * 1024 * 1024) -> None:
        super().__init__(max_entries, max_bytes, len)


class RedisCache:
    """Results in Redis under ``prefix``, each expiring after ``ttl_seconds``.

    For several API workers sharing one cache. Redis' own eviction policy bounds memory.
    """

    def __init__(self, url: str, *, prefix: str = "heron:query:", ttl_seconds: int = 3600) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.prefix = prefix
        self.ttl_seconds = ttl_seconds

    def get(self, key: str) -> bytes | None:
        value = self.client.get(self.prefix + key)
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes) -> None:
        self.client.set(self.prefix + key, value, ex=self.ttl_seconds)

    def close(self) -> None:
        self.client.close()
