"""Amplitude's HTTP V2 and Batch APIs: ``/2/httpapi`` and ``/batch``.

A request is ``{"api_key", "events": [...]}``. Each event needs ``event_type`` and
``user_id`` or ``device_id`` (the distinct id is ``user_id``, else ``device_id``); ``time``
is in milliseconds; ``insert_id`` becomes the event uuid through a fixed name-based hash,
so a resend deduplicates. ``event_properties`` are the properties; device, location and
revenue fields become ``$``-properties; ``groups`` becomes ``$groups``.

``user_properties`` operations: ``$set`` and ``$setOnce`` update the person, ``$unset``
sets properties to null, plain keys are ``$set``; ``$add``, ``$append``, ``$prepend``,
``$preInsert``, ``$postInsert``, ``$remove`` and ``$clearAll`` are kept on the event under
``$amplitude_operations`` without changing the person. ``$identify`` with both ids merges
the device into the user; so does any event carrying both (a derived ``$identify``, once
per pair). ``$groupidentify`` keeps its meaning with ``$group_type``/``$group_key``/``$group_set``.

Answers (the SDK reads the body's ``code``, not the HTTP status): success is
``{"code": 200, "events_ingested", "payload_size_bytes", "server_upload_time"}``. A partly
invalid batch also answers ``code`` 200 — its valid events are stored, and a 400 would make
the SDK send them again — with the rejected ones listed in ``events_with_invalid_fields``
and ``events_with_missing_fields`` and an ``error``. Only a batch with no valid event gets
``code`` 400. 413 makes the SDK halve its batches; 429 lists every event as throttled.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, ClassVar

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
from heron.ingest.adapters.wire import (
    as_dict,
    check_count,
    content_uuid,
    id_text,
    identity_link,
    vendor_uuid,
)
from heron.ingest.parse import BodyError, FieldError, decode_body

_PROPERTIES = {
    "library": "$lib",
    "ip": "$ip",
    "platform": "$platform",
    "os_name": "$os",
    "os_version": "$os_version",
    "device_brand": "$device_manufacturer",
    "device_manufacturer": "$device_manufacturer",
    "device_model": "$device_model",
    "carrier": "$carrier",
    "app_version": "$app_version",
    "language": "$locale",
    "country": "$geoip_country_name",
    "region": "$geoip_subdivision_1_name",
    "city": "$geoip_city_name",
    "location_lat": "$geoip_latitude",
    "location_lng": "$geoip_longitude",
    "price": "$price",
    "quantity": "$quantity",
    "revenue": "$revenue",
    "productId": "$product_id",
    "revenueType": "$revenue_type",
    "event_id": "$amplitude_event_id",
}
_PROPERTY_RANK = {source: rank for rank, source in enumerate(_PROPERTIES)}
"""Where two fields name the same property, the earlier one in :data:`_PROPERTIES` wins."""
_PERSON_OPERATIONS = {"$set": "$set", "$setOnce": "$set_once"}
_MISSING_FIELDS = {"missing_api_key": "api_key", "missing_events": "events"}


class Amplitude(Adapter):
    name = "amplitude"
    title = "Amplitude"
    routes = (Route("/2/httpapi"), Route("/batch"))
    fields: ClassVar[Mapping[str, str]] = {
        "event": "event_type",
        "distinct_id": "user_id",
        "timestamp": "time",
        "uuid": "insert_id",
        "properties": "event_properties",
    }

    def decode(self, request: WireRequest) -> AdapterBatch:
        body = decode_body(request.body, request.headers.get("content-encoding"), request.limits)
        if not isinstance(body, dict):
            raise BodyError(400, "invalid_shape", "body must be a JSON object")
        key = id_text(body.get("api_key"), limit=1000)
        if key is None:
            raise BodyError(400, "missing_api_key", "Request missing required field")
        events = body.get("events")
        if not isinstance(events, list):
            raise BodyError(400, "missing_events", "Request missing required field")
        check_count(len(events), request.limits)
        records: list[Record] = []
        derived: list[tuple[int, dict[str, Any]]] = []
        for index, event in enumerate(events):
            record = _canonical(event, index)
            records.append(record)
            if not isinstance(record, dict) or record["event"] == "$identify":
                continue  # an $identify with both ids merges by itself
            device, user = id_text(event.get("device_id")), id_text(event.get("user_id"))
            if device and user and device != user:
                lib = str(event.get("library") or "amplitude")
                link = identity_link("amplitude", device, user, event.get("time"), lib)
                derived.append((index, link))  # one uuid per pair: the store keeps one
        return AdapterBatch(key, records, derived)

    def respond(self, outcome: Outcome, request: WireRequest) -> Reply:
        if isinstance(outcome, Accepted):
            body: dict[str, Any] = {"code": 200}
            if outcome.errors:
                body.update(_invalid(outcome.errors))
                first = outcome.errors[0]
                body["error"] = (
                    f"{len(outcome.errors)} event(s) rejected, {outcome.accepted} stored; first: "
                    f"event {first.index} {first.field}: {first.message}"
                )
            if outcome.errors and not outcome.accepted:
                body["code"] = 400
                return Reply(400, body)
            body["events_ingested"] = outcome.accepted
            body["payload_size_bytes"] = len(request.body)
            body["server_upload_time"] = int(time.time() * 1000)
            return Reply(200, body)
        if outcome.code in _MISSING_FIELDS:
            body = {"code": 400, "error": outcome.message}
            body["missing_field"] = _MISSING_FIELDS[outcome.code]
            return Reply(400, body)
        if outcome.status == 401:
            return Reply(400, {"code": 400, "error": f"Invalid API key: {outcome.message}"})
        body = {"code": outcome.status, "error": outcome.message}
        if outcome.status == 429:
            count = len(outcome.batch.records) if outcome.batch else 0
            body["throttled_events"] = list(range(count))
        return Reply(outcome.status, body)


def _invalid(errors: list[FieldError]) -> dict[str, dict[str, list[int]]]:
    invalid: dict[str, list[int]] = {}
    missing: dict[str, list[int]] = {}
    for error in errors:
        target = missing if error.message.startswith("required") else invalid
        target.setdefault(error.field or "event", []).append(error.index)
    return {"events_with_invalid_fields": invalid, "events_with_missing_fields": missing}


def _canonical(event: Any, index: int) -> Record:
    if not isinstance(event, dict):
        return FieldError(index, "event", "must be a JSON object")
    user = id_text(event.get("user_id"))
    device = id_text(event.get("device_id"))
    if user is None and device is None:
        return FieldError(index, "user_id", "required: user_id or device_id")
    raw_properties = event.get("event_properties")
    if raw_properties is not None and not isinstance(raw_properties, dict):
        return FieldError(index, "event_properties", "must be a JSON object")
    properties = dict(raw_properties or {})
    for source in sorted(_PROPERTY_RANK.keys() & event.keys(), key=_PROPERTY_RANK.__getitem__):
        value, target = event[source], _PROPERTIES[source]
        if value is not None and target not in properties:
            properties[target] = value
    session = event.get("session_id")
    if isinstance(session, int) and not isinstance(session, bool) and session > 0:
        properties["$session_id"] = str(session)
    if isinstance(event.get("groups"), dict):
        properties["$groups"] = event["groups"]
    properties.update(_person_updates(event.get("user_properties")))
    name = event.get("event_type")
    distinct_id = user or device
    if name == "$identify":
        if user is None:
            name = "$set"
        elif device is not None and device != user:
            properties["$anon_distinct_id"] = device
    elif name == "$groupidentify":
        problem = _group(event, properties)
        if problem is not None:
            return FieldError(index, "groups", problem)
    out: dict[str, Any] = {"event": name, "distinct_id": distinct_id, "properties": properties}
    stamp = event.get("time")
    if stamp is not None:
        out["timestamp"] = stamp
    event_uuid = vendor_uuid("amplitude", event.get("insert_id"))
    if event_uuid is None and stamp is not None:
        event_uuid = content_uuid("amplitude", event)
    if event_uuid is not None:
        out["uuid"] = event_uuid
    return out


def _person_updates(user_properties: Any) -> dict[str, Any]:
    """Amplitude's ``user_properties`` as ``$set``/``$set_once`` plus unsupported operations."""
    values = as_dict(user_properties)
    set_props = {k: v for k, v in values.items() if not k.startswith("$")}
    set_once: dict[str, Any] = {}
    others: dict[str, Any] = {}
    for name, value in values.items():
        if not name.startswith("$"):
            continue
        if name in _PERSON_OPERATIONS:
            target = set_props if _PERSON_OPERATIONS[name] == "$set" else set_once
            target.update(as_dict(value))
        elif name == "$unset":
            set_props.update({k: None for k in as_dict(value)})
        else:
            others[name] = value
    out: dict[str, Any] = {}
    if set_props:
        out["$set"] = set_props
    if set_once:
        out["$set_once"] = set_once
    if others:
        out["$amplitude_operations"] = others
    return out


def _group(event: dict[str, Any], properties: dict[str, Any]) -> str | None:
    """Fill ``$groupidentify``'s group properties; the problem with ``groups`` if any."""
    groups = as_dict(event.get("groups"))
    if not groups:
        return "required: one group type and name"
    group_type, group_key = next(iter(groups.items()))
    key = id_text(group_key)
    if key is None:
        return "the group name must be a non-empty string"
    updates = _person_updates(event.get("group_properties"))
    properties["$group_type"] = str(group_type)
    properties["$group_key"] = key
    properties["$group_set"] = {**updates.get("$set_once", {}), **updates.get("$set", {})}
    return None
