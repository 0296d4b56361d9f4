"""Segment's and RudderStack's HTTP tracking API: ``/v1/track|identify|page|screen|alias|group|batch``.

Both SDK families speak the same spec; RudderStack gzips by default (``Content-Encoding``)
and sends identify traits in ``context.traits``. The write key is the Basic-auth user name
or ``writeKey`` in the body.

Mapping: ``userId`` (else ``anonymousId``) is the distinct id; ``messageId`` becomes the
event uuid through a fixed name-based hash, so a retried batch deduplicates; ``context``
becomes ``$``-properties (library, page URL, referrer, user agent, IP, campaign → UTM);
``identify`` sets ``traits`` on the person, and with both ids is an ``$identify`` merging
the anonymous visitor; ``alias`` is a ``$create_alias`` of ``previousId`` into ``userId``;
``page``/``screen`` are ``$pageview``/``$screen``; ``group`` is a ``$groupidentify`` of group
type ``traits.group_type`` (default ``company``). Time is skew-corrected:
``timestamp = receivedAt − (sentAt − timestamp)``.

Limits as Segment's: 32 KB per message (that message fails) and 500 KB per batch (400).
Both SDKs need exactly 200 to stop, and ``{"code", "message"}`` on errors: without a
``code`` RudderStack's SDK retries even a 4xx.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import orjson

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
    basic_user,
    bearer,
    check_count,
    content_uuid,
    id_text,
    vendor_uuid,
)
from heron.ingest.parse import BodyError, FieldError, decode_body

MAX_MESSAGE_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
DEFAULT_GROUP_TYPE = "company"
TYPES = ("track", "identify", "page", "screen", "alias", "group")

_CAMPAIGN = {
    "source": "utm_source",
    "medium": "utm_medium",
    "name": "utm_campaign",
    "term": "utm_term",
    "content": "utm_content",
}
_PAGE = {"url": "$current_url", "referrer": "$referrer", "path": "$pathname", "title": "$title"}


class Segment(Adapter):
    name = "segment"
    title = "Segment / RudderStack"
    routes = tuple(Route(f"/v1/{kind}") for kind in (*TYPES, "batch"))
    fields: ClassVar[Mapping[str, str]] = {"distinct_id": "userId", "uuid": "messageId"}

    def decode(self, request: WireRequest) -> AdapterBatch:
        body = decode_body(request.body, request.headers.get("content-encoding"), request.limits)
        if not isinstance(body, dict):
            raise BodyError(400, "invalid_shape", "body must be a JSON object")
        kind = request.path.rstrip("/").rsplit("/", 1)[-1]
        if kind == "batch":
            messages = body.get("batch")
            if not isinstance(messages, list):
                raise BodyError(400, "invalid_shape", "'batch' must be a list of messages")
        else:
            messages = [body]
        check_count(len(messages), request.limits)
        shared = as_dict(body.get("context")) if kind == "batch" else {}
        records: list[Record] = []
        total = 0
        for index, message in enumerate(messages):
            if not isinstance(message, dict):
                records.append(FieldError(index, "", "message must be a JSON object"))
                continue
            size = len(orjson.dumps(message, default=str))
            total += size
            if size > MAX_MESSAGE_BYTES:
                records.append(FieldError(index, "", "message larger than 32 KB"))
                continue
            default_type = None if kind == "batch" else kind
            records.append(_canonical(message, index, default_type, body.get("sentAt"), shared))
        if total > MAX_BATCH_BYTES:
            raise BodyError(400, "batch_too_large", "batch larger than 500 KB")
        key = (
            basic_user(request.headers) or bearer(request.headers) or id_text(body.get("writeKey"))
        )
        return AdapterBatch(key, records)

    def respond(self, outcome: Outcome, request: WireRequest) -> Reply:
        if isinstance(outcome, Accepted):
            if not outcome.errors:
                return Reply(200, {"success": True})
            first = outcome.errors[0]
            message = (
                f"{len(outcome.errors)} invalid message(s) were dropped and {outcome.accepted} "
                f"stored; first: message {first.index} {first.field or 'message'}: {first.message}"
            )
            body = {
                "success": False,
                "code": "invalid_request",
                "message": message,
                "accepted": outcome.accepted,
                "errors": [e.as_dict() for e in outcome.errors],
            }
            return Reply(400, body)
        return Reply(
            outcome.status, {"success": False, "code": outcome.code, "message": outcome.message}
        )


def _canonical(
    msg: dict[str, Any], index: int, default_type: str | None, sent_at: Any, shared: dict
) -> Record:
    kind = msg.get("type", default_type)
    build = _BUILDERS.get(kind) if isinstance(kind, str) else None
    if build is None:
        return FieldError(index, "type", f"must be one of {', '.join(TYPES)}")
    user = id_text(msg.get("userId"))
    anon = id_text(msg.get("anonymousId"))
    if user is None and anon is None:
        return FieldError(index, "userId", "userId or anonymousId is required")
    context = {**shared, **as_dict(msg.get("context"))}
    built = build(msg, context, user, anon)
    if isinstance(built, str):
        return FieldError(index, built, "required: a non-empty string")
    event, distinct_id, properties = built
    out: dict[str, Any] = {
        "event": event,
        "distinct_id": distinct_id,
        "properties": {**_context_properties(context), **properties},
    }
    timestamp = msg.get("timestamp", msg.get("originalTimestamp"))
    if timestamp is not None:
        out["timestamp"] = timestamp
        out["sent_at"] = msg.get("sentAt", sent_at)
    event_uuid = vendor_uuid("segment", msg.get("messageId"))
    if event_uuid is None and timestamp is not None:
        event_uuid = content_uuid("segment", msg)
    if event_uuid is not None:
        out["uuid"] = event_uuid
    return out


Built = tuple[Any, str, dict[str, Any]] | str
"""(event name, distinct id, properties), or the name of a missing field."""


def _track(msg: dict, context: dict, user: str | None, anon: str | None) -> Built:
    return msg.get("event"), user or anon or "", _properties(msg)


def _identify(msg: dict, context: dict, user: str | None, anon: str | None) -> Built:
    traits = {**as_dict(context.get("traits")), **as_dict(msg.get("traits"))}
    properties: dict[str, Any] = {"$set": traits} if traits else {}
    if user is None:
        return "$set", anon or "", properties
    if anon is not None and anon != user:
        properties["$anon_distinct_id"] = anon
    return "$identify", user, properties


def _alias(msg: dict, context: dict, user: str | None, anon: str | None) -> Built:
    previous = id_text(msg.get("previousId"))
    if previous is None:
        return "previousId"
    if user is None:
        return "userId"
    return "$create_alias", user, {"alias": previous}


def _page(msg: dict, context: dict, user: str | None, anon: str | None) -> Built:
    return "$pageview", user or anon or "", _named(msg, "name")


def _screen(msg: dict, context: dict, user: str | None, anon: str | None) -> Built:
    return "$screen", user or anon or "", _named(msg, "$screen_name")


def _group(msg: dict, context: dict, user: str | None, anon: str | None) -> Built:
    group_id = id_text(msg.get("groupId"))
    if group_id is None:
        return "groupId"
    traits = as_dict(msg.get("traits"))
    group_type = id_text(traits.get("group_type")) or DEFAULT_GROUP_TYPE
    properties = {
        "$group_type": group_type,
        "$group_key": group_id,
        "$group_set": traits,
        "$groups": {group_type: group_id},
    }
    return "$groupidentify", user or anon or "", properties


_BUILDERS: dict[str, Callable[[dict, dict, str | None, str | None], Built]] = {
    "track": _track,
    "identify": _identify,
    "alias": _alias,
    "page": _page,
    "screen": _screen,
    "group": _group,
}


def _properties(msg: dict[str, Any]) -> dict[str, Any]:
    value = msg.get("properties")
    return dict(value) if isinstance(value, dict) else {}


def _named(msg: dict[str, Any], name_property: str) -> dict[str, Any]:
    properties = _properties(msg)
    for source, target in _PAGE.items():
        if source in properties and target not in properties:
            properties[target] = properties[source]
    name = msg.get("name")
    if isinstance(name, str) and name:
        properties.setdefault(name_property, name)
    category = msg.get("category")
    if isinstance(category, str) and category:
        properties.setdefault("category", category)
    return properties


_CONTEXT_VALUES = {
    "userAgent": "$user_agent",
    "ip": "$ip",
    "locale": "$locale",
    "timezone": "$timezone",
}
_CONTEXT_OBJECTS = {
    "library": {"name": "$lib", "version": "$lib_version"},
    "page": _PAGE,
    "os": {"name": "$os"},
    "app": {"version": "$app_version"},
    "campaign": _CAMPAIGN,
}


def _context_properties(context: dict[str, Any]) -> dict[str, Any]:
    """Segment's ``context`` as Heron's ``$``-properties (visiting only the keys it has)."""
    out: dict[str, Any] = {}
    for key, value in context.items():
        if key in _CONTEXT_VALUES:
            _put(out, _CONTEXT_VALUES[key], value)
        elif key in _CONTEXT_OBJECTS and isinstance(value, dict):
            for source, target in _CONTEXT_OBJECTS[key].items():
                _put(out, target, value.get(source))
        elif key == "groupId":
            group_id = id_text(value)
            if group_id is not None:
                out["$groups"] = {DEFAULT_GROUP_TYPE: group_id}
    return out


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    if isinstance(value, str | int | float) and not isinstance(value, bool) and value != "":
        out[key] = value
