"""In-process cost of turning SDK requests into canonical events and answering them.

This is the only work that differs between a compatible endpoint and the native one (both
then store through the same ingest service), so it isolates the adapters' overhead from
the store and from the HTTP server. CPU time of this process, best of a few repeats (on a
shared machine other work slows a run down but hardly adds to the best one), with the
garbage collector paused: the benchmark's own large heap would otherwise bill its
collections to whichever endpoint happens to allocate.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Sequence
from urllib.parse import parse_qsl, urlsplit

import orjson

from bench.compat_bodies import WireCall
from heron.ingest.adapters import ADAPTERS, Accepted, Adapter, WireRequest
from heron.ingest.adapters.base import to_events
from heron.ingest.parse import Limits, decode_body, envelope, now_us, parse_events

NATIVE_PATH = "/v1/events"
REPEATS = 5


def wire_request(call: WireCall, limits: Limits) -> WireRequest:
    """What the compat router hands an adapter for ``call``."""
    target = urlsplit(call.target)
    headers = {name.lower(): value for name, value in call.headers}
    query = dict(parse_qsl(target.query))
    return WireRequest(call.method, target.path, call.body, headers, query, now_us(), limits)


def adapter_for(path: str) -> Adapter:
    return next(a for a in ADAPTERS.values() if any(route.path == path for route in a.routes))


def handle(call: WireCall, limits: Limits) -> int:
    """Decode, validate and answer one request as its endpoint does; events accepted."""
    request = wire_request(call, limits)
    if request.path == NATIVE_PATH:
        body = decode_body(request.body, request.headers.get("content-encoding"), limits)
        events, errors = parse_events(
            envelope(body, limits), received_us=request.received_us, limits=limits
        )
        orjson.dumps({"accepted": len(events), "errors": [e.as_dict() for e in errors]})
        return len(events)
    adapter = adapter_for(request.path)
    batch = adapter.decode(request)
    events, accepted, errors = to_events(adapter, batch, request.received_us, limits)
    orjson.dumps(adapter.respond(Accepted(batch, accepted, errors), request).body)
    return accepted


def cost_us_per_event(calls: Sequence[WireCall], repeats: int = REPEATS) -> float:
    """Best-of-``repeats`` CPU microseconds per accepted event to handle ``calls``."""
    limits = Limits()
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        gc.disable()  # the benchmark's own heap is no part of an endpoint's cost
        try:
            start = time.process_time()
            accepted = sum(handle(call, limits) for call in calls)
            best = min(best, (time.process_time() - start) / max(1, accepted) * 1e6)
        finally:
            gc.enable()
    return best
