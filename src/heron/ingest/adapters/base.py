"""The wire-adapter protocol: a vendor's request in, canonical event dicts out, its reply back.

An adapter is a small declarative subclass of :class:`Adapter`: it names itself, lists the
routes it serves, decodes a request into an :class:`AdapterBatch` and renders the outcome
of ingesting it in the vendor's own success and error shapes. Defining a subclass with a
``name`` registers one instance in :data:`ADAPTERS`, which the HTTP layer turns into routes,
so the core serves its own adapters exactly as it would serve a plugin's.

Decoding is pure: it never touches a store. Whole-request problems raise
:class:`~heron.ingest.parse.BodyError`; a bad record becomes a
:class:`~heron.ingest.parse.FieldError` at its index and its batch-mates go on.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from heron.events import CanonicalEvent
from heron.ingest.parse import FieldError, Limits, parse_event


@dataclass(frozen=True, slots=True)
class Route:
    """One path an adapter serves, and the HTTP methods it accepts there."""

    path: str
    methods: tuple[str, ...] = ("POST",)


@dataclass(frozen=True, slots=True)
class WireRequest:
    """What an adapter sees of an HTTP request: nothing framework-specific."""

    method: str
    path: str
    body: bytes
    headers: Mapping[str, str]
    """Header names in lower case."""
    query: Mapping[str, str]
    received_us: int
    limits: Limits


Record = dict[str, Any] | FieldError
"""A canonical event object (as :func:`~heron.ingest.parse.parse_event` takes it) or why not."""


@dataclass(slots=True)
class AdapterBatch:
    """A decoded request: the write key and one record per vendor record, in order.

    ``records[i]`` answers the vendor's record ``i``, so errors keep the vendor's indices.
    ``derived`` holds events the adapter adds on its own (e.g. an identity link implied by
    a record carrying two ids), each with the index of the record implying it: stored if
    that record is valid, never counted or reported. ``ids`` names each record as the
    vendor's answer does, for vendors whose answer reports on every record by its id.
    """

    key: str | None
    records: list[Record]
    derived: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Accepted:
    """The batch was processed: ``accepted`` valid records are durable, ``errors`` were not."""

    batch: AdapterBatch
    accepted: int
    errors: list[FieldError]


@dataclass(frozen=True, slots=True)
class Refused:
    """Nothing of the request was stored."""

    status: int
    """Heron's own status for the problem: 400, 401, 413, 429 or 503."""
    code: str
    message: str
    retry_after: int | None = None
    batch: AdapterBatch | None = None
    """The decoded batch, when the problem came after decoding (rate limit, store)."""


Outcome = Accepted | Refused


@dataclass(frozen=True, slots=True)
class Reply:
    """An HTTP answer in the vendor's shape; ``body`` is serialised as JSON."""

    status: int
    body: Any


ADAPTERS: dict[str, Adapter] = {}
"""Every registered adapter by name, in registration order."""


class Adapter(ABC):
    """A vendor's wire format. Subclasses with a ``name`` register themselves."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    """The vendor(s) as users know them, for docs and logs."""
    page: ClassVar[str] = ""
    """The ``docs/migrate`` page documenting it, when not named after the adapter."""
    routes: ClassVar[tuple[Route, ...]] = ()
    fields: ClassVar[Mapping[str, str]] = {}
    """Canonical field name → the vendor's, to name fields in errors the vendor's way."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            if cls.name in ADAPTERS:
                raise ValueError(f"adapter {cls.name!r} is already registered")
            ADAPTERS[cls.name] = cls()

    @abstractmethod
    def decode(self, request: WireRequest) -> AdapterBatch:
        """The request as a batch; raises ``BodyError`` if it is unusable as a whole."""

    @abstractmethod
    def respond(self, outcome: Outcome, request: WireRequest) -> Reply:
        """The vendor's answer to ``outcome``: what its SDK needs to retry, or not."""

    def vendor_field(self, canonical: str) -> str:
        """The vendor's name for a canonical field (``properties.$set`` keeps its suffix)."""
        head, dot, rest = canonical.partition(".")
        mapped = self.fields.get(head, head)
        return f"{mapped}{dot}{rest}"


def to_events(
    adapter: Adapter, batch: AdapterBatch, received_us: int, limits: Limits
) -> tuple[list[CanonicalEvent], int, list[FieldError]]:
    """Validate a decoded batch.

    Returns its events (derived ones last), how many of the vendor's records are valid,
    and the invalid records' errors, fields named in the vendor's terms.
    """
    events: list[CanonicalEvent] = []
    errors: list[FieldError] = []
    invalid: set[int] = set()
    for index, record in enumerate(batch.records):
        result = (
            record
            if isinstance(record, FieldError)
            else parse_event(record, index, received_us=received_us, sent_at_us=None, limits=limits)
        )
        if isinstance(result, FieldError):
            field_name = result.field if record is result else adapter.vendor_field(result.field)
            errors.append(FieldError(index, field_name, result.message))
            invalid.add(index)
        else:
            events.append(result)
    accepted = len(events)
    for index, extra in batch.derived:
        if index in invalid:
            continue
        result = parse_event(extra, index, received_us=received_us, sent_at_us=None, limits=limits)
        if not isinstance(result, FieldError):
            events.append(result)
    return events, accepted, errors
