"""Vendor-compatible ingestion: one route for each path a registered wire adapter serves.

Every route shares the native endpoint's body limits, write-key resolution, rate limiting
and :class:`~heron.ingest.service.IngestService`; only decoding and the shape of the
answer belong to the adapter (``heron.ingest.adapters``).
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from heron.app.errors import ApiError
from heron.app.routers.capture import read_body
from heron.app.runtime import Runtime
from heron.ingest.adapters import ADAPTERS, Accepted, Adapter, Outcome, Refused, WireRequest
from heron.ingest.adapters.base import to_events
from heron.ingest.parse import BodyError, now_us
from heron.store.base import StoreUnavailable


def build_router(adapters: Mapping[str, Adapter]) -> APIRouter:
    """Routes for every path of every adapter (a path belongs to exactly one adapter)."""
    router = APIRouter()
    for adapter in adapters.values():
        for route in adapter.routes:
            router.add_api_route(
                route.path,
                _endpoint(adapter),
                methods=list(route.methods),
                include_in_schema=False,
                name=f"{adapter.name}:{route.path}",
            )
    return router


def _endpoint(adapter: Adapter) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await handle(adapter, request)

    return endpoint


async def handle(adapter: Adapter, request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    received_us = now_us()
    refused: Refused | None = None
    try:
        body = await read_body(request, runtime.limits)
    except ApiError as exc:
        body, refused = b"", Refused(exc.status, exc.code, exc.message)
    wire = WireRequest(
        method=request.method,
        path=request.url.path,
        body=body,
        headers=dict(request.headers),
        query=dict(request.query_params),
        received_us=received_us,
        limits=runtime.limits,
    )
    outcome = refused or await process(adapter, wire, runtime)
    reply = adapter.respond(outcome, wire)
    headers = None
    if isinstance(outcome, Refused) and outcome.retry_after is not None:
        headers = {"Retry-After": str(outcome.retry_after)}
    return Response(
        orjson.dumps(reply.body),
        status_code=reply.status,
        media_type="application/json",
        headers=headers,
    )


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


router = build_router(ADAPTERS)
