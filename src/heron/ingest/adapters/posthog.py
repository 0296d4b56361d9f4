"""PostHog's capture API: ``/batch/``, ``/capture/``, ``/e/``, ``/i/v0/e/`` and ``/track/``.

Bodies are a bare array, one event or ``{"batch": [...]}``; JSON, gzip (header or
``compression=gzip-js``), lz-string (``compression=lz64``) or
a ``data=`` form/query field holding JSON or base64 JSON.

PostHog events are nearly canonical already: ``$identify``, ``$create_alias``,
``$groupidentify`` and ``$set``/``$set_once`` (top level or in properties) pass through,
``$groups`` stays a property. The legacy ``/track/`` route also takes Mixpanel-style events
(``properties.time``, ``properties.$insert_id``), as PostHog's own does.

The SDKs need exactly ``200 {"status": 1}``; a 202 would be retried, then reported.
"""

from __future__ import annotations

from typing import Any

from heron.ingest.adapters.base import (
    Accepted,
    Adapter,
    AdapterBatch,
    Outcome,
    Record,
    Refused,
    Reply,
    Route,
    WireRequest,
)
from heron.ingest.adapters.form import form_fields, is_form
from heron.ingest.adapters.lzstring import LZStringError, LZStringTooLarge, decompress_from_base64
from heron.ingest.adapters.wire import (
    as_dict,
    b64decode,
    bearer,
    check_count,
    id_text,
    key_of,
    payload_from_text,
    vendor_uuid,
)
from heron.ingest.parse import BodyError, FieldError, Limits, decode_body

PATHS = ("/batch/", "/capture/", "/e/", "/i/v0/e/", "/track/")
_KEY_FIELDS = ("api_key", "token", "$token")
_ERROR_TYPES = {401: "authentication_error", 429: "throttled", 503: "server_error"}


class PostHog(Adapter):
    name = "posthog"
    title = "PostHog"
    routes = tuple(Route(path, ("GET", "POST")) for path in PATHS)

    def decode(self, request: WireRequest) -> AdapterBatch:
        payload, form = _payload(request)
        if isinstance(payload, list):
            raw_events: Any = payload
            outer: dict[str, Any] = {}
        elif isinstance(payload, dict):
            outer = payload
            raw_events = payload.get("batch", [payload])
            if not isinstance(raw_events, list):
                raise BodyError(400, "invalid_shape", "'batch' must be a list of events")
        else:
            raise BodyError(400, "invalid_shape", "body must be an event, a list or a batch")
        check_count(len(raw_events), request.limits)
        sent_at = outer.get("sent_at")
        if sent_at is None and request.query.get("_", "").isdigit():
            sent_at = int(request.query["_"])
        records: list[Record] = []
        tokens: list[str | None] = []
        for index, obj in enumerate(raw_events):
            if not isinstance(obj, dict):
                records.append(FieldError(index, "", "event must be a JSON object"))
                tokens.append(None)
                continue
            tokens.append(_token(obj))
            records.append(_canonical(obj, sent_at, request.received_us))
        fallback = (
            _first_text(outer, _KEY_FIELDS)
            or _first_text(form, _KEY_FIELDS)
            or _first_text(request.query, _KEY_FIELDS)
            or bearer(request.headers)
        )
        return AdapterBatch(key_of(records, tokens, fallback), records)

    def respond(self, outcome: Outcome, request: WireRequest) -> Reply:
        if isinstance(outcome, Accepted):
            if not outcome.errors:
                return Reply(200, {"status": 1})
            first = outcome.errors[0]
            detail = (
                f"{len(outcome.errors)} invalid event(s) were dropped and {outcome.accepted} "
                f"stored; first: event {first.index} {first.field or 'event'}: {first.message}"
            )
            return Reply(
                400,
                {
                    "type": "validation_error",
                    "code": "invalid_payload",
                    "detail": detail,
                    "attr": first.field or None,
                    "accepted": outcome.accepted,
                    "errors": [e.as_dict() for e in outcome.errors],
                },
            )
        return Reply(outcome.status, _error_body(outcome))


def _error_body(outcome: Refused) -> dict[str, Any]:
    kind = _ERROR_TYPES.get(outcome.status, "validation_error")
    return {"type": kind, "code": outcome.code, "detail": outcome.message, "attr": None}


def _payload(request: WireRequest) -> tuple[Any, dict[str, str]]:
    """The decoded JSON of the request and its form fields (if it was a form)."""
    raw = request.body
    form = form_fields(raw) if raw and is_form(request.headers, raw) else {}
    compression = (form.get("compression") or request.query.get("compression") or "").lower()
    data = form.get("data") or request.query.get("data")
    if compression == "lz64":
        return _lz64(data or raw.decode(errors="replace"), request.limits), form
    if data:
        return payload_from_text(data, request.limits), form
    if form or request.method == "GET":
        raise BodyError(400, "empty_body", "no event data in the request")
    if compression == "gzip-js":
        return decode_body(raw, "gzip", request.limits), form
    if compression == "base64":
        return decode_body(b64decode(raw.decode(errors="replace")), None, request.limits), form
    return decode_body(raw, request.headers.get("content-encoding"), request.limits), form


def _lz64(text: str, limits: Limits) -> Any:
    try:
        decoded = decompress_from_base64(text, limits.max_decompressed_bytes)
    except LZStringTooLarge as exc:
        raise BodyError(413, "body_too_large", str(exc)) from None
    except LZStringError as exc:
        raise BodyError(400, "invalid_lz64", str(exc)) from None
    return decode_body(decoded.encode(), None, limits)


def _canonical(obj: dict[str, Any], sent_at: Any, received_us: int) -> dict[str, Any]:
    properties = obj.get("properties")
    if properties is None:
        properties = {}
    props = as_dict(properties)  # a malformed value stays for parse_event to report
    for name in ("token", "$token"):
        props.pop(name, None)
    distinct_id = obj.get("distinct_id")
    if distinct_id is None:
        distinct_id = obj.get("$distinct_id", props.get("distinct_id"))
    out: dict[str, Any] = {
        "event": obj.get("event"),
        "distinct_id": distinct_id,
        "properties": properties,
    }
    event_uuid = obj.get("uuid")
    if event_uuid is None and "$insert_id" in props:
        event_uuid = vendor_uuid("mixpanel", props.pop("$insert_id"))
    if event_uuid is not None:
        out["uuid"] = event_uuid
    for name in ("$set", "$set_once"):
        if name in obj:
            out[name] = obj[name]
    timestamp = obj.get("timestamp")
    if timestamp is None and "time" in props:
        timestamp = props.pop("time")
    offset = obj.get("offset")
    if timestamp is None and isinstance(offset, int) and not isinstance(offset, bool):
        out["timestamp"] = received_us // 1000 - offset
    elif timestamp is not None:
        out["timestamp"] = timestamp
        out["sent_at"] = obj.get("sent_at", sent_at)
    return out


def _token(obj: dict[str, Any]) -> str | None:
    return _first_text(obj, _KEY_FIELDS) or _first_text(as_dict(obj.get("properties")), _KEY_FIELDS)


def _first_text(source: Any, names: tuple[str, ...]) -> str | None:
    for name in names:
        value = id_text(source.get(name), limit=1000)
        if value:
            return value
    return None
