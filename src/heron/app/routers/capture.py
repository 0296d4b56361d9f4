"""``POST /v1/events``: Heron's native capture endpoint (CONTRACTS.md, Ingestion)."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from heron.app.errors import ApiError
from heron.app.ratelimit import retry_after_header
from heron.app.runtime import Runtime
from heron.ingest.parse import BodyError, Limits, decode_body, envelope, now_us, parse_events
from heron.store.base import StoreUnavailable

router = APIRouter()


async def read_body(request: Request, limits: Limits) -> bytes:
    """The raw body, refusing (413) as soon as it passes the size limit."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limits.max_body_bytes:
        raise _too_large(limits)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limits.max_body_bytes:
            raise _too_large(limits)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limits: Limits) -> ApiError:
    return ApiError(
        413, "body_too_large", f"request body exceeds the limit of {limits.max_body_bytes} bytes"
    )


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


@router.post("/v1/events")
async def capture(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    limits = runtime.limits
    try:
        body = decode_body(
            await read_body(request, limits), request.headers.get("content-encoding"), limits
        )
        env = envelope(body, limits)
    except BodyError as exc:
        raise ApiError(exc.status, exc.code, exc.message) from None
    project_id = runtime.write_keys.project_for(bearer_token(request) or env.api_key)
    if project_id is None:
        raise ApiError(401, "invalid_write_key", "missing or unknown write key")
    wait = runtime.ingest_rate.take(project_id, max(1, len(env.events)))
    if wait:
        raise ApiError(
            429,
            "rate_limited",
            "too many events for this project",
            headers=retry_after_header(wait),
        )
    events, errors = parse_events(env, received_us=now_us(), limits=limits)
    try:
        await runtime.ingest.ingest(project_id, events)
    except StoreUnavailable as exc:
        raise ApiError(
            503, "store_unavailable", f"events were not stored: {exc}", headers={"Retry-After": "1"}
        ) from None
    payload = {"accepted": len(events), "errors": [e.as_dict() for e in errors]}
    return Response(orjson.dumps(payload), media_type="application/json")
