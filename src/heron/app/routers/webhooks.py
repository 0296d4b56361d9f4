"""``POST /webhooks/stripe/{project_id}`` and ``/webhooks/revenuecat/{project_id}`` (CONTRACTS.md).

The provider's own payload, authenticated per project: Stripe's ``Stripe-Signature``
is verified with the ``stripe`` library against the project's
``stripe_webhook_secret`` (timestamps older than the replay window are refused);
RevenueCat's ``Authorization`` header must equal the project's
``revenuecat_authorization``. Each accepted event is appended once to the project's
revenue log (:mod:`heron.revenue.store`); a redelivery answers 200 and changes nothing.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any

import orjson
import stripe
from fastapi import APIRouter, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from heron.app.errors import ApiError
from heron.meta.models import Project
from heron.revenue import revenuecat_events, stripe_events
from heron.revenue.store import record_event

STRIPE_TOLERANCE_SECONDS = 300
"""Stripe's own default: a signed timestamp older than five minutes is a replay."""

router = APIRouter()


def _setting(meta: sessionmaker[Session], project_id: int, key: str) -> str:
    with meta() as s:
        project = s.get(Project, project_id)
        if project is None:
            raise ApiError(404, "not_found", f"no project with id {project_id}")
        value = (project.settings or {}).get(key)
    if not value:
        raise ApiError(
            404,
            "webhook_not_configured",
            f"this project has no {key}; set it with `heron project set {project_id} {key} VALUE`",
        )
    return str(value)


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ApiError(400, "invalid_json", "the body is not JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_payload", "the body must be a JSON object")
    return data


def _record(
    meta: sessionmaker[Session],
    project_id: int,
    provider: str,
    event_id: Any,
    event_type: str,
    occurred_at: datetime | None,
    payload: dict[str, Any],
) -> bool:
    if not isinstance(event_id, str) or not event_id or occurred_at is None:
        raise ApiError(400, "invalid_payload", "the event needs an id and a time")
    with meta.begin() as s:
        return record_event(s, project_id, provider, event_id, event_type, occurred_at, payload)


def _answer(stored: bool | None) -> Response:
    body = {"received": True, "duplicate": stored is False, "ignored": stored is None}
    return Response(orjson.dumps(body), media_type="application/json")


@router.post("/webhooks/stripe/{project_id}", include_in_schema=True)
async def stripe_webhook(project_id: int, request: Request) -> Response:
    meta = request.app.state.runtime.meta
    body = await request.body()
    secret = await run_in_threadpool(_setting, meta, project_id, "stripe_webhook_secret")
    try:
        stripe.WebhookSignature.verify_header(
            body.decode("utf-8"),
            request.headers.get("stripe-signature"),
            secret,
            tolerance=STRIPE_TOLERANCE_SECONDS,
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
        message = getattr(exc, "user_message", None) or "signature verification failed"
        raise ApiError(400, "invalid_signature", str(message)) from None
    event = _json(body)
    kind = str(event.get("type", ""))
    if not stripe_events.relevant(kind):
        return _answer(None)
    at = stripe_events.instant(event.get("created"))
    stored = await run_in_threadpool(
        _record, meta, project_id, "stripe", event.get("id"), kind, at, event
    )
    return _answer(stored)


@router.post("/webhooks/revenuecat/{project_id}")
async def revenuecat_webhook(project_id: int, request: Request) -> Response:
    meta = request.app.state.runtime.meta
    expected = await run_in_threadpool(_setting, meta, project_id, "revenuecat_authorization")
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(401, "unauthorized", "the Authorization header does not match")
    payload = _json(await request.body())
    event = payload.get("event")
    if not isinstance(event, dict):
        raise ApiError(400, "invalid_payload", "the body needs an event object")
    kind = str(event.get("type", ""))
    if kind not in revenuecat_events.KNOWN:
        return _answer(None)
    at = revenuecat_events.event_time(event)
    stored = await run_in_threadpool(
        _record, meta, project_id, "revenuecat", event.get("id"), kind, at, payload
    )
    return _answer(stored)
