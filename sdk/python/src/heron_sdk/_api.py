"""The capture API shared by :class:`heron_sdk.Client` and :class:`heron_sdk.AsyncClient`."""

from __future__ import annotations

import uuid as uuid_mod
from abc import ABC, abstractmethod
from collections.abc import Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, TypedDict

import httpx

from heron_sdk._events import Event, EventFactory, Properties, encode_event
from heron_sdk._wire import BATCH_OVERHEAD, Backoff, Config, Pending, Stats, log

DEFAULT_HOST = "http://127.0.0.1:8000"


class Options(TypedDict, total=False):
    """The tuning options both clients take (see :class:`BaseClient`)."""

    batch_size: int
    flush_interval: float
    max_queue_size: int
    max_batch_bytes: int
    gzip: bool
    timeout: float
    max_retries: int
    backoff_base: float
    backoff_max: float
    exit_timeout: float
    disabled: bool


class BaseClient(ABC):
    """Builds events and queues them; subclasses own the queue's lock and the sending.

    Options: ``batch_size`` events per request, sent at the latest ``flush_interval``
    seconds after the first is queued; at most ``max_queue_size`` waiting events (more are
    dropped and counted) and ``max_batch_bytes`` per body; ``gzip`` bodies; ``timeout`` per
    request; ``max_retries`` with backoff from ``backoff_base`` doubling up to
    ``backoff_max`` seconds; ``exit_timeout`` for the flush at interpreter exit;
    ``disabled`` makes every call a no-op.
    """

    def __init__(
        self,
        write_key: str,
        host: str = DEFAULT_HOST,
        *,
        batch_size: int = 100,
        flush_interval: float = 0.5,
        max_queue_size: int = 10_000,
        max_batch_bytes: int = 4 * 1024 * 1024,
        gzip: bool = True,
        timeout: float = 10.0,
        max_retries: int = 8,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        exit_timeout: float = 10.0,
        disabled: bool = False,
    ) -> None:
        if not write_key:
            raise ValueError("write_key is required")
        if batch_size < 1 or max_queue_size < 1 or max_batch_bytes <= BATCH_OVERHEAD:
            raise ValueError("batch_size, max_queue_size and max_batch_bytes must be positive")
        url = host.rstrip("/") + "/v1/events"
        if httpx.URL(url).scheme not in ("http", "https"):
            raise ValueError(f"host must be an http(s) URL, not {host!r}")
        self._config = Config(
            write_key=write_key,
            url=url,
            batch_size=batch_size,
            flush_interval=flush_interval,
            max_queue_size=max_queue_size,
            max_batch_bytes=max_batch_bytes,
            gzip=gzip,
            timeout=timeout,
            backoff=Backoff(base=backoff_base, cap=backoff_max, max_retries=max_retries),
            exit_timeout=exit_timeout,
        )
        self.disabled = disabled
        self._factory = EventFactory()
        self._pending = Pending(max_queue_size, batch_size, max_batch_bytes)
        self._stats = Stats()

    @abstractmethod
    def _push(self, item: bytes) -> bool:
        """Queue one encoded event; ``False`` (and counted as dropped) if it cannot be."""

    @abstractmethod
    def _guard(self) -> AbstractContextManager[Any]:
        """The lock that protects the queue and the counters."""

    @property
    def stats(self) -> Stats:
        """A snapshot of the event counters (see :class:`heron_sdk.Stats`)."""
        return self._stats.copy()

    @property
    def dropped(self) -> int:
        """Events not queued because the queue was full."""
        return self._stats.dropped

    @property
    def queued(self) -> int:
        """Events waiting to be sent."""
        return len(self._pending)

    def capture(
        self,
        distinct_id: str,
        event: str,
        properties: Properties | None = None,
        timestamp: datetime | None = None,
        uuid: str | uuid_mod.UUID | None = None,
        *,
        groups: Mapping[str, str] | None = None,
    ) -> str | None:
        """Queue an event; returns its uuid, or ``None`` if it was not queued."""
        built = self._factory.event(
            distinct_id, event, properties, timestamp=timestamp, uuid=uuid, groups=groups
        )
        return self._enqueue(built)

    def identify(
        self,
        distinct_id: str,
        anon_distinct_id: str | None = None,
        set: Properties | None = None,
        set_once: Properties | None = None,
    ) -> str | None:
        """``$identify``: ``distinct_id`` is the known user; the anonymous id merges into it."""
        properties: dict[str, Any] = {}
        if anon_distinct_id:
            properties["$anon_distinct_id"] = anon_distinct_id
        if set:
            properties["$set"] = dict(set)
        if set_once:
            properties["$set_once"] = dict(set_once)
        return self.capture(distinct_id, "$identify", properties)

    def alias(self, distinct_id: str, alias: str) -> str | None:
        """``$create_alias``: ``alias`` becomes another id of ``distinct_id``'s person."""
        return self.capture(distinct_id, "$create_alias", {"alias": alias})

    def group(
        self,
        distinct_id: str,
        group_type: str,
        group_key: str,
        properties: Properties | None = None,
    ) -> str | None:
        """``$groupidentify``; later events of ``distinct_id`` carry the group in ``$groups``."""
        self._factory.remember_group(distinct_id, group_type, str(group_key))
        props = {
            "$group_type": group_type,
            "$group_key": str(group_key),
            "$group_set": dict(properties or {}),
        }
        return self.capture(distinct_id, "$groupidentify", props)

    def set(self, distinct_id: str, properties: Properties) -> str | None:
        """Set person properties (overwriting)."""
        return self.capture(distinct_id, "$set", {"$set": dict(properties)})

    def set_once(self, distinct_id: str, properties: Properties) -> str | None:
        """Set person properties that are not set yet."""
        return self.capture(distinct_id, "$set_once", {"$set_once": dict(properties)})

    def _enqueue(self, event: Event) -> str | None:
        if self.disabled:
            return None
        item = encode_event(event)
        if len(item) + BATCH_OVERHEAD > self._config.max_batch_bytes:
            log.warning("heron event %r is over the batch size limit", event["event"])
            with self._guard():
                self._stats.rejected += 1
            return None
        if not self._push(item):
            return None
        return str(event["uuid"])
