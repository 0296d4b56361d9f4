"""``POST /v1/events``: Heron's native capture endpoint (CONTRACTS.md, Ingestion).

It is the hottest path of the server, so the app (``heron.app.factory.HeronApp``) hands
it to :func:`answer` before FastAPI's per-request machinery: no routing, telemetry hooks,
dependency injection, request object or middleware stack — the body is read from
``receive``, the answer written to ``send``. Errors have the standard body (``heron.app.errors``) and the answers carry
the same CORS headers as every ingest path (``heron.app.cors``, which still answers the
preflights).
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import Request
from starlette.datastructures import State
from starlette.types import Receive, Scope, Send

from heron.app.errors import ApiError, error_body
from heron.app.ratelimit import retry_after_header
from heron.app.runtime import Runtime
from heron.ingest.parse import BodyError, Limits, decode_body, envelope, now_us, parse_events
from heron.store.base import StoreUnavailable

CAPTURE_PATH = "/v1/events"
log = logging.getLogger(__name__)


def _too_large(limits: Limits) -> ApiError:
    return ApiError(
        413, "body_too_large", f"request body exceeds the limit of {limits.max_body_bytes} bytes"
    )


def bearer_token(request: Request) -> str | None:
    return _bearer(request.headers.get("authorization", ""))


def _bearer(header: str) -> str | None:
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


class Disconnected(Exception):
    """The client went away before its body arrived: nothing to answer."""


def is_capture(scope: Scope) -> bool:
    """Whether an ASGI request is ``POST /v1/events``."""
    return (
        scope["type"] == "http"
        and scope["method"] == "POST"
        and scope["path"].rstrip("/") == CAPTURE_PATH
    )


async def answer(state: State, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer one capture request in plain ASGI; ``state`` is the app's (its ``runtime``)."""
    headers = {
        name: value
        for name, value in scope["headers"]
        if name in (b"content-length", b"content-encoding", b"authorization", b"origin")
    }
    extra: dict[str, str] = {}
    try:
        status, body = 200, await capture(state.runtime, headers, receive)
    except Disconnected:
        return
    except ApiError as exc:
        status, body = exc.status, error_body(exc.code, exc.message, exc.details)
        extra = exc.headers or {}
    except Exception:
        log.exception("capture failed")
        status, body = 500, error_body("internal_error", "an unexpected error occurred")
    await send_json(send, status, body, headers.get(b"origin"), extra)


async def send_json(
    send: Send, status: int, body: bytes, origin: bytes | None, extra: dict[str, str]
) -> None:
    """Write a JSON answer carrying the ingest paths' CORS headers (``heron.app.cors``)."""
    response_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"access-control-allow-origin", origin or b"*"),
        (b"vary", b"Origin"),
        *((name.lower().encode(), value.encode()) for name, value in extra.items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": response_headers})
    await send({"type": "http.response.body", "body": body})


async def read_body(receive: Receive, declared: bytes | None, limits: Limits) -> bytes:
    """The raw body from ``receive``, refusing (413) as soon as it passes the size limit."""
    if declared and declared.isdigit() and int(declared) > limits.max_body_bytes:
        raise _too_large(limits)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limits.max_body_bytes:
            raise _too_large(limits)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def capture(runtime: Runtime, headers: dict[bytes, bytes], receive: Receive) -> bytes:
    """Validate, store durably and answer one capture request (the 200 body)."""
    limits = runtime.limits
    raw = await read_body(receive, headers.get(b"content-length"), limits)
    encoding = headers.get(b"content-encoding")
    try:
        body = decode_body(raw, encoding.decode("latin-1") if encoding else None, limits)
        env = envelope(body, limits)
    except BodyError as exc:
        raise ApiError(exc.status, exc.code, exc.message) from None
    authorization = headers.get(b"authorization", b"").decode("latin-1")
    project_id = runtime.write_keys.project_for(_bearer(authorization) or env.api_key)
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
    payload: dict[str, Any] = {"accepted": len(events), "errors": [e.as_dict() for e in errors]}
    return orjson.dumps(payload)
