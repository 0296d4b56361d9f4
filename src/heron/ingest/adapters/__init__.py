"""Wire adapters: other vendors' SDKs and APIs, mapped to canonical events.

:data:`ADAPTERS` holds every adapter by name. Each vendor module registers its adapter by
defining it (see :class:`~heron.ingest.adapters.base.Adapter`); importing this package
imports the built-in ones.
"""

from heron.ingest.adapters import amplitude, mixpanel, posthog, posthog_v1, segment
from heron.ingest.adapters.base import (
    ADAPTERS,
    Accepted,
    Adapter,
    AdapterBatch,
    Outcome,
    Refused,
    Reply,
    Route,
    WireRequest,
)

__all__ = [
    "ADAPTERS",
    "Accepted",
    "Adapter",
    "AdapterBatch",
    "Outcome",
    "Refused",
    "Reply",
    "Route",
    "WireRequest",
    "amplitude",
    "mixpanel",
    "posthog",
    "posthog_v1",
    "segment",
]
