"""Mixpanel's ingestion API: ``/track``, ``/engage``, ``/groups`` and ``/import``.

Records come as ``data=`` (a form field or a query parameter) holding a JSON object or
array, or its base64; ``/import`` also takes a JSON or NDJSON body. The project key is
``properties.token`` (``$token`` on profile updates), else the ``api_key`` field or the
Basic-auth user name that ``/import`` uses.

Mapping:

- events: ``properties.distinct_id`` (else ``$user_id``/``$device_id``), ``time`` in
  seconds or milliseconds, ``$insert_id`` → the event uuid (a fixed name-based hash, so
  retries deduplicate), ``mp_lib`` → ``$lib``. ``$identify`` and ``$create_alias`` keep
  their meaning; ``$merge`` becomes a ``$create_alias``; an event carrying both
  ``$device_id`` and ``$user_id`` also links the two (a derived ``$identify``).
- ``/engage`` profile updates become a ``$set`` event of that distinct id: ``$set`` and
  ``$set_once`` update person properties, ``$unset`` sets the named properties to null.
  ``$add``, ``$append``, ``$union``, ``$remove`` and ``$delete`` are stored on the event
  under ``$mixpanel_operations`` and do not change person properties.
- ``/groups`` updates become ``$groupidentify`` events (``$group_key`` is the group type,
  ``$group_id`` the key).

Answers: ``{"status": 1, "error": null}`` with ``verbose=1`` (else ``1``); ``status: 0`` and
the reason otherwise. ``/import`` adds ``num_records_imported`` and ``failed_records``; with
``strict=1`` a partly invalid import answers 400 (the valid records are imported).
"""

from __future__ import annotations

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
from heron.ingest.adapters.form import form_field, form_fields, is_form
from heron.ingest.adapters.wire import (
    as_dict,
    basic_user,
    check_count,
    content_uuid,
    id_text,
    identity_link,
    key_of,
    payload_from_text,
    vendor_uuid,
)
from heron.ingest.parse import BodyError, FieldError, decode_body

PERSON_OPERATIONS = ("$add", "$append", "$union", "$remove", "$delete")
_DROPPED = ("token", "distinct_id", "time", "$insert_id")


class Mixpanel(Adapter):
    name = "mixpanel"
    title = "Mixpanel"
    routes = tuple(
        Route(path, ("GET", "POST"))
        for name in ("track", "engage", "groups", "import")
        for path in (f"/{name}", *((f"/{name}/",) if name != "track" else ()))
    )
    fields: ClassVar[Mapping[str, str]] = {
        "distinct_id": "properties.distinct_id",
        "timestamp": "properties.time",
    }

    def decode(self, request: WireRequest) -> AdapterBatch:
        payload, options = _payload(request)
        raw_records = payload if isinstance(payload, list) else [payload]
        check_count(len(raw_records), request.limits)
        endpoint = _endpoint(request.path)
        canonical = _CANONICAL[endpoint]
        records: list[Record] = []
        tokens: list[str | None] = []
        derived: list[tuple[int, dict[str, Any]]] = []
        for index, obj in enumerate(raw_records):
            if not isinstance(obj, dict):
                records.append(FieldError(index, "", "record must be a JSON object"))
                tokens.append(None)
                continue
            tokens.append(_token(obj))
            record = canonical(obj, index)
            records.append(record)
            if isinstance(record, dict):
                derived.extend((index, link) for link in _links(obj))
        fallback = id_text(options.get("api_key"), limit=1000) or basic_user(request.headers)
        return AdapterBatch(key_of(records, tokens, fallback), records, derived)

    def respond(self, outcome: Outcome, request: WireRequest) -> Reply:
        verbose = _flag(request, "verbose")
        importing = _endpoint(request.path) == "import"
        if isinstance(outcome, Accepted):
            error = _summary(outcome) if outcome.errors else None
            strict_failure = importing and error is not None and _flag(request, "strict")
            failed = error is not None and not importing
            status = 400 if strict_failure or failed else 200
            ok = 0 if strict_failure or failed else 1
            if importing:
                body: dict[str, Any] = {
                    "code": status,
                    "status": ok,
                    "error": error,
                    "num_records_imported": outcome.accepted,
                }
                if outcome.errors:
                    body["failed_records"] = [e.as_dict() for e in outcome.errors]
                return Reply(status, body)
            return Reply(status, {"status": ok, "error": error} if verbose else ok)
        body = {"status": 0, "error": outcome.message}
        if importing:
            body = {"code": outcome.status, **body}
        return Reply(outcome.status, body if verbose or importing else 0)


def _endpoint(path: str) -> str:
    return path.strip("/").rsplit("/", 1)[-1]


def _flag(request: WireRequest, name: str) -> bool:
    """An option such as ``verbose=1``, from the query or the form (even an unusable one)."""
    value = request.query.get(name)
    if value is None and request.body and is_form(request.headers, request.body):
        try:
            value = form_field(request.body, name)
        except BodyError:
            return False
    return value == "1"


def _payload(request: WireRequest) -> tuple[Any, dict[str, str]]:
    raw = request.body
    if raw and is_form(request.headers, raw):
        form = form_fields(raw)
        data = form.get("data") or request.query.get("data")
        if not data:
            raise BodyError(400, "empty_body", "no 'data' field in the request")
        return payload_from_text(data, request.limits), form
    if request.query.get("data"):
        return payload_from_text(request.query["data"], request.limits), {}
    if not raw.strip() and request.method == "GET":
        raise BodyError(400, "empty_body", "no 'data' parameter in the request")
    content_type = request.headers.get("content-type", "").lower()
    encoding = request.headers.get("content-encoding")
    if "ndjson" in content_type:
        text = decode_body(b"[" + b",".join(_lines(raw)) + b"]", encoding, request.limits)
        return text, {}
    return decode_body(raw, encoding, request.limits), {}


def _lines(raw: bytes) -> list[bytes]:
    return [line for line in raw.splitlines() if line.strip()]


def _token(obj: dict[str, Any]) -> str | None:
    return id_text(obj.get("$token"), limit=1000) or id_text(
        as_dict(obj.get("properties")).get("token"), limit=1000
    )


def _event(obj: dict[str, Any], index: int) -> Record:
    properties = obj.get("properties")
    if not isinstance(properties, dict):
        return FieldError(index, "properties", "must be a JSON object")
    props = {k: v for k, v in properties.items() if k not in _DROPPED}
    event = obj.get("event")
    distinct_id = properties.get("distinct_id")
    if id_text(distinct_id) is None:
        distinct_id = id_text(properties.get("$user_id")) or properties.get("$device_id")
    if "mp_lib" in props and "$lib" not in props:
        props["$lib"] = props["mp_lib"]
    if event == "$merge":
        ids = properties.get("$distinct_ids")
        if not (isinstance(ids, list) and len(ids) == 2):
            return FieldError(index, "properties.$distinct_ids", "must list two distinct ids")
        event, distinct_id, props["alias"] = "$create_alias", ids[0], ids[1]
    out: dict[str, Any] = {"event": event, "distinct_id": distinct_id, "properties": props}
    if "time" in properties:
        out["timestamp"] = properties["time"]
    event_uuid = vendor_uuid("mixpanel", properties.get("$insert_id"))
    if event_uuid is None and "time" in properties:
        event_uuid = content_uuid("mixpanel", obj)
    if event_uuid is not None:
        out["uuid"] = event_uuid
    return out


def _profile(obj: dict[str, Any], index: int) -> Record:
    distinct_id = obj.get("$distinct_id")
    if id_text(distinct_id) is None:
        return FieldError(index, "$distinct_id", "required: a non-empty string")
    props: dict[str, Any] = {}
    set_props = dict(as_dict(obj.get("$set")))
    unset = obj.get("$unset")
    if isinstance(unset, list):
        set_props.update({name: None for name in unset if isinstance(name, str)})
    if set_props:
        props["$set"] = set_props
    if "$set_once" in obj:
        props["$set_once"] = obj["$set_once"]
    operations = {name: obj[name] for name in PERSON_OPERATIONS if name in obj}
    if operations:
        props["$mixpanel_operations"] = operations
    return _dated(obj, {"event": "$set", "distinct_id": distinct_id, "properties": props})


def _group(obj: dict[str, Any], index: int) -> Record:
    group_type = id_text(obj.get("$group_key"))
    group_key = id_text(obj.get("$group_id"))
    if group_type is None:
        return FieldError(index, "$group_key", "required: a non-empty string")
    if group_key is None:
        return FieldError(index, "$group_id", "required: a non-empty string")
    group_set = {**as_dict(obj.get("$set_once")), **as_dict(obj.get("$set"))}
    props = {"$group_type": group_type, "$group_key": group_key, "$group_set": group_set}
    out = {
        "event": "$groupidentify",
        "distinct_id": f"{group_type}:{group_key}",
        "properties": props,
    }
    return _dated(obj, out)


def _dated(obj: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
    if "$time" in obj:
        out["timestamp"] = obj["$time"]
        out["uuid"] = content_uuid("mixpanel", obj)
    return out


def _imported(obj: dict[str, Any], index: int) -> Record:
    if "time" not in as_dict(obj.get("properties")):
        return FieldError(index, "properties.time", "required for imports")
    return _event(obj, index)


_CANONICAL = {"track": _event, "import": _imported, "engage": _profile, "groups": _group}


def _links(obj: dict[str, Any]) -> list[dict[str, Any]]:
    properties = as_dict(obj.get("properties"))
    device = id_text(properties.get("$device_id"))
    user = id_text(properties.get("$user_id"))
    if device is None or user is None or device == user:
        return []
    return [identity_link("mixpanel", device, user, properties.get("time"), "mixpanel")]


def _summary(outcome: Accepted) -> str:
    first = outcome.errors[0]
    return (
        f"{len(outcome.errors)} record(s) rejected, {outcome.accepted} stored; first: "
        f"record {first.index} {first.field or 'record'}: {first.message}"
    )
