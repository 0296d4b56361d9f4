"""Vendor-compatible ingestion: every path a registered wire adapter serves.

Every path shares the native endpoint's body limits, write-key resolution, rate limiting
and :class:`~heron.ingest.service.IngestService`; only decoding and the shape of the
answer belong to the adapter (``heron.ingest.adapters``). Like ``POST /v1/events`` these
paths are the server's hottest, so the app (``heron.app.factory.HeronApp``) hands them to
:func:`answer` in plain ASGI, before FastAPI's routing and middleware.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from urllib.parse import parse_qsl

import orjson
from starlette.datastructures import State
from starlette.types import Receive, Scope, Send

from heron.app.errors import ApiError, error_body
from heron.app.routers.capture import Disconnected, read_body, send_json
from heron.app.runtime import Runtime
from heron.ingest.adapters import ADAPTERS, Accepted, Adapter, Outcome, Refused, WireRequest
from heron.ingest.adapters.base import to_events
from heron.ingest.parse import BodyError, now_us
from heron.store.base import StoreUnavailable

log = logging.getLogger(__name__)


def wire_routes(adapters: Mapping[str, Adapter]) -> dict[str, tuple[Adapter, frozenset[str]]]:
    """Every path of every adapter, with its adapter and methods (a path has one adapter)."""
    return {
        route.path: (adapter, frozenset(route.methods))
        for adapter in adapters.values()
        for route in adapter.routes
    }


WIRE_ROUTES = wire_routes(ADAPTERS)


def route_for(scope: Scope) -> tuple[Adapter, frozenset[str]] | None:
    """The adapter serving an ASGI request's path, also with its trailing slash toggled."""
    if scope["type"] != "http":
        return None
    path: str = scope["path"]
    found = WIRE_ROUTES.get(path)
    if found is None and len(path) > 1:
        found = WIRE_ROUTES.get(path[:-1] if path.endswith("/") else f"{path}/")
    return found


async def answer(
    route: tuple[Adapter, frozenset[str]], state: State, scope: Scope, receive: Receive, send: Send
) -> None:
    """Answer one request to an adapter's path (preflights stay with ``heron.app.cors``)."""
    adapter, methods = route
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:
        headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
    origin = headers.get("origin")
    if scope["method"] not in methods:
        body = error_body("method_not_allowed", f"{scope['method']} is not allowed here")
        allow = {"Allow": ", ".join(sorted(methods))}
        await send_json(send, 405, body, origin.encode("latin-1") if origin else None, allow)
        return
    try:
        status, body, extra = await handle(adapter, state.runtime, scope, headers, receive)
    except Disconnected:
        return
    except Exception:
        log.exception("%s ingest failed", adapter.name)
        status, extra = 500, {}
        body = error_body("internal_error", "an unexpected error occurred")
    await send_json(send, status, body, origin.encode("latin-1") if origin else None, extra)


async def handle(
    adapter: Adapter, runtime: Runtime, scope: Scope, headers: dict[str, str], receive: Receive
) -> tuple[int, bytes, dict[str, str]]:
    """Status, JSON body and extra headers of the adapter's answer to one request."""
    received_us = now_us()
    refused: Refused | None = None
    try:
        declared = headers.get("content-length")
        body = await read_body(receive, declared.encode() if declared else None, runtime.limits)
    except ApiError as exc:
        body, refused = b"", Refused(exc.status, exc.code, exc.message)
    query = scope["query_string"].decode("latin-1")
    wire = WireRequest(
        method=scope["method"],
        path=scope["path"],
        body=body,
        headers=headers,
        query=dict(parse_qsl(query, keep_blank_values=True)) if query else {},
        received_us=received_us,
        limits=runtime.limits,
    )
    outcome = refused or await process(adapter, wire, runtime)
    reply = adapter.respond(outcome, wire)
    extra: dict[str, str] = {}
    if isinstance(outcome, Refused) and outcome.retry_after is not None:
        extra["Retry-After"] = str(outcome.retry_after)
    return reply.status, orjson.dumps(reply.body), extra


async def process(adapter: Adapter, wire: WireRequest, runtime: Runtime) -> Outcome:
    """Decode, authorise, rate-limit and store one request; what happened, for the reply."""
    try:
        batch = adapter.decode(wire)
    except BodyError as exc:
        return Refused(exc.status, exc.code, exc.message)
    project_id = runtime.write_keys.project_for(batch.key)
    if project_id is None:
        return Refused(401, "invalid_write_key", "missing or unknown write key", batch=batch)
    wait = runtime.ingest_rate.take(project_id, max(1, len(batch.records)))
    if wait:
        return Refused(
            429,
            "rate_limited",
            "too many events for this project",
            retry_after=max(1, math.ceil(wait)),
            batch=batch,
        )
    events, accepted, errors = to_events(adapter, batch, wire.received_us, wire.limits)
    try:
        await runtime.ingest.ingest(project_id, events)
    except StoreUnavailable as exc:
        message = f"events were not stored: {exc}"
        return Refused(503, "store_unavailable", message, retry_after=1, batch=batch)
    return Accepted(batch, accepted, errors)
