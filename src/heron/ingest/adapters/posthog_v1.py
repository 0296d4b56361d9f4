"""PostHog's capture v1 protocol: ``POST /i/v1/analytics/events`` (``capture_mode="v1"``).

The body is ``{"created_at", "batch": [...], "historical_migration"?}``, gzip or deflate
per ``Content-Encoding``, with the project key only in ``Authorization: Bearer``. Each
event has ``event``, ``uuid``, ``distinct_id``, an RFC 3339 ``timestamp``, ``options``,
``properties`` and optionally ``session_id`` and ``window_id``.

The SDK takes a few properties out of ``properties``; they are put back: ``session_id``
and ``window_id`` as ``$session_id`` and ``$window_id``, ``options`` as the ``$``-properties
they came from (``process_person_profile``, ``cookieless_mode``, ``product_tour_id``),
and ``$lib``/``$lib_version`` from the ``PostHog-Sdk-Info: name/version`` header.
``created_at`` is when the batch was sent, for clock-skew correction, unless an event's
``options.disable_skew_correction`` is true. ``$set``/``$set_once`` sit in ``properties``.

Answers name every event by its uuid: 200 ``{"results": {uuid: {"result": "ok"}}}``, an
invalid event ``{"result": "drop", "details": why}`` (final: the SDK does not resend it)
while its batch-mates are stored. A whole request fails with ``{"error",
"error_description"}``: 400, 401, 413 and 415 are final for the SDK; 429 and 503 (with
``Retry-After``) make it resend the batch, whose uuids then dedupe.
"""

from __future__ import annotations

from typing import Any

from heron.ingest.adapters.base import (
    Accepted,
    Adapter,
    AdapterBatch,
    Outcome,
    Record,
    Reply,
    Route,
    WireRequest,
)
from heron.ingest.adapters.wire import as_dict, bearer, check_count
from heron.ingest.parse import BodyError, FieldError, decode_body

PATH = "/i/v1/analytics/events"
SDK_INFO_HEADER = "posthog-sdk-info"
_TOP_LEVEL = {"session_id": "$session_id", "window_id": "$window_id"}
_OPTIONS = {
    "process_person_profile": "$process_person_profile",
    "cookieless_mode": "$cookieless_mode",
    "product_tour_id": "$product_tour_id",
}
_STATUS_BY_CODE = {"unsupported_encoding": 415}


class PostHogV1(Adapter):
    name = "posthog-v1"
    title = "PostHog (capture v1)"
    page = "posthog"
    routes = (Route(PATH),)

    def decode(self, request: WireRequest) -> AdapterBatch:
        body = decode_body(request.body, request.headers.get("content-encoding"), request.limits)
        if not isinstance(body, dict) or not isinstance(body.get("batch"), list):
            raise BodyError(400, "invalid_shape", 'body must be {"created_at", "batch": [...]}')
        events = body["batch"]
        check_count(len(events), request.limits)
        library = _library(request.headers.get(SDK_INFO_HEADER, ""))
        records: list[Record] = []
        ids: list[str] = []
        for index, event in enumerate(events):
            ids.append(_event_id(event, index))
            records.append(_canonical(event, index, body.get("created_at"), library))
        return AdapterBatch(bearer(request.headers), records, ids=ids)

    def respond(self, outcome: Outcome, request: WireRequest) -> Reply:
        if isinstance(outcome, Accepted):
            dropped = {error.index: error for error in outcome.errors}
            results: dict[str, dict[str, str]] = {}
            for index, event_id in enumerate(outcome.batch.ids):
                error = dropped.get(index)
                if error is None:
                    results[event_id] = {"result": "ok"}
                else:
                    details = f"{error.field or 'event'}: {error.message}"
                    results[event_id] = {"result": "drop", "details": details}
            return Reply(200, {"results": results})
        status = _STATUS_BY_CODE.get(outcome.code, outcome.status)
        return Reply(status, {"error": outcome.code, "error_description": outcome.message})


def _event_id(event: Any, index: int) -> str:
    """How the answer names an event: its uuid as sent, else its position."""
    value = event.get("uuid") if isinstance(event, dict) else None
    return value if isinstance(value, str) and value else str(index)


def _library(sdk_info: str) -> dict[str, str]:
    """``$lib``/``$lib_version`` from ``PostHog-Sdk-Info: posthog-python/7.0.0``."""
    name, _, version = sdk_info.strip().partition("/")
    library = {"$lib": name} if name else {}
    if name and version:
        library["$lib_version"] = version
    return library


def _canonical(
    event: Any, index: int, created_at: Any, library: dict[str, str]
) -> dict[str, Any] | FieldError:
    if not isinstance(event, dict):
        return FieldError(index, "", "event must be a JSON object")
    if not event.get("uuid"):
        return FieldError(index, "uuid", "required: the event's UUID")
    properties = event.get("properties")
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        return FieldError(index, "properties", "must be a JSON object")
    options = as_dict(event.get("options"))
    merged = {**library, **properties}
    for source, target in _TOP_LEVEL.items():
        if isinstance(event.get(source), str):
            merged.setdefault(target, event[source])
    for source, target in _OPTIONS.items():
        if source in options:
            merged.setdefault(target, options[source])
    out: dict[str, Any] = {
        "event": event.get("event"),
        "distinct_id": event.get("distinct_id"),
        "uuid": event["uuid"],
        "properties": merged,
    }
    if event.get("timestamp") is not None:
        out["timestamp"] = event["timestamp"]
        if options.get("disable_skew_correction") is not True:
            out["sent_at"] = created_at
    return out
