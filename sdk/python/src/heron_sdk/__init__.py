"""Heron's Python SDK: send product-analytics events to a Heron server.

>>> from heron_sdk import Client
>>> heron = Client("phc_write_key", host="https://heron.example.com")
>>> heron.capture("user-1", "signed_up", {"plan": "pro"})

``AsyncClient`` has the same API for asyncio programs (``await heron.flush()``).
"""

from heron_sdk._events import LIB, VERSION
from heron_sdk._wire import Backoff, Stats
from heron_sdk.aio import AsyncClient
from heron_sdk.client import Client

__all__ = ["LIB", "VERSION", "AsyncClient", "Backoff", "Client", "Stats"]
__version__ = VERSION
