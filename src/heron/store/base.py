"""The ``EventStore`` interface every event backend implements, and the registry that picks one by URL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol
from urllib.parse import urlsplit

import pyarrow as pa


@dataclass(frozen=True, slots=True)
class AppendResult:
    """What one append committed: new rows, and rows dropped as already-stored duplicates."""

    inserted: int
    duplicates: int


class StoreUnavailable(RuntimeError):
    """The store cannot take writes right now (ingest answers 503 and accepts nothing)."""


class EventStore(Protocol):
    """A backend holding events, persons and identity merges for many projects.

    ``append`` is one durable transaction: when it returns, the batch survives a crash.
    """

    dialect: ClassVar[str]
    """The sqlglot dialect queries are rendered in (``duckdb``, ``clickhouse``)."""

    def append(self, batch: pa.Table, *, exact: bool = False) -> AppendResult:
        """Store a raw batch (``heron.events.RAW_SCHEMA``): dedupe, derive columns, apply identities.

        ``exact`` checks every row against stored rows (imports); otherwise recent ids are
        checked in memory and only old events against the store.
        """
        ...

    def query(self, sql: str, params: list[Any] | None = None) -> pa.Table:
        """Run a read-only statement and return its rows."""
        ...

    def data_version(self, project_id: int) -> int:
        """A number that changes whenever the project's data changes (for result caching)."""
        ...

    def close(self) -> None: ...


BackendFactory = Callable[[str], EventStore]
_BACKENDS: dict[str, BackendFactory] = {}


def register_backend(scheme: str) -> Callable[[BackendFactory], BackendFactory]:
    """Register a factory for URLs of the given scheme (``duckdb``, ``chdb``, ``clickhouse``)."""

    def add(factory: BackendFactory) -> BackendFactory:
        _BACKENDS[scheme] = factory
        return factory

    return add


def open_store(url: str) -> EventStore:
    """Open the event store a URL names, e.g. ``duckdb:///data/events.duckdb``."""
    import heron.store.clickhouse
    import heron.store.duckdb  # noqa: F401  (each registers its schemes)

    scheme = urlsplit(url).scheme
    try:
        factory = _BACKENDS[scheme]
    except KeyError:
        known = ", ".join(sorted(_BACKENDS))
        raise ValueError(f"unknown event store scheme {scheme!r} (known: {known})") from None
    return factory(url)
