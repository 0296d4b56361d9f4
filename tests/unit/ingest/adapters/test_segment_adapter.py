"""The Segment/RudderStack adapter: the spec's call types, context, limits, replies."""

from __future__ import annotations

import base64
import gzip

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heron.ingest.adapters import ADAPTERS, Accepted, Refused, Reply
from heron.ingest.adapters.wire import vendor_uuid
from heron.ingest.parse import BodyError, FieldError
from tests.unit.ingest.adapters.wire_requests import NOW_US, ingest, make_request

SEGMENT = ADAPTERS["segment"]
BASIC = {"Authorization": "Basic " + base64.b64encode(b"wk:").decode()}


def batch(*messages: dict, **outer) -> dict:
    return {"writeKey": "wk", "batch": list(messages), **outer}


def one(message: dict, path: str = "/v1/batch"):
    body = batch(message) if path == "/v1/batch" else {"writeKey": "wk", **message}
    events, accepted, errors, _ = ingest("segment", make_request(path, body))
    assert errors == [] and accepted == 1
    return events[0]


def test_track_maps_context_to_properties():
    context = {
        "library": {"name": "analytics-python", "version": "2.4"},
        "page": {"url": "https://a.example/p?q=1", "referrer": "https://b.example/"},
        "userAgent": "Mozilla/5.0",
        "ip": "10.0.0.1",
        "campaign": {
            "source": "news",
            "medium": "email",
            "name": "spring",
            "term": "t",
            "content": "c",
        },
        "groupId": "acme",
    }
    message = {
        "type": "track",
        "event": "Bought",
        "userId": "u",
        "properties": {"n": 1},
        "context": context,
    }
    event = one(message)
    assert (event.event, event.distinct_id) == ("Bought", "u")
    assert event.properties == {
        "n": 1,
        "$lib": "analytics-python",
        "$lib_version": "2.4",
        "$current_url": "https://a.example/p?q=1",
        "$referrer": "https://b.example/",
        "$user_agent": "Mozilla/5.0",
        "$ip": "10.0.0.1",
        "utm_source": "news",
        "utm_medium": "email",
        "utm_campaign": "spring",
        "utm_term": "t",
        "utm_content": "c",
        "$groups": {"company": "acme"},
    }


def test_identify_with_both_ids_merges_and_sets_traits():
    message = {"userId": "u", "anonymousId": "a", "traits": {"plan": "pro"}}
    event = one(message, "/v1/identify")
    assert (event.event, event.distinct_id) == ("$identify", "u")
    assert event.properties == {"$set": {"plan": "pro"}, "$anon_distinct_id": "a"}


def test_rudderstack_identify_traits_in_context_and_anonymous_only_identify():
    message = {"type": "identify", "anonymousId": "a", "context": {"traits": {"plan": "free"}}}
    event = one(message)
    assert (event.event, event.distinct_id, event.properties) == (
        "$set",
        "a",
        {"$set": {"plan": "free"}},
    )


def test_alias_page_screen_group():
    alias = one({"type": "alias", "previousId": "anon", "userId": "u"})
    assert (alias.event, alias.distinct_id, alias.properties) == (
        "$create_alias",
        "u",
        {"alias": "anon"},
    )
    page = one(
        {"type": "page", "userId": "u", "name": "Home", "properties": {"url": "https://x.example/"}}
    )
    assert (page.event, page.properties["name"], page.properties["$current_url"]) == (
        "$pageview",
        "Home",
        "https://x.example/",
    )
    screen = one({"type": "screen", "userId": "u", "name": "Settings"}, "/v1/screen")
    assert (screen.event, screen.properties["$screen_name"]) == ("$screen", "Settings")
    group = one(
        {"type": "group", "userId": "u", "groupId": "g1", "traits": {"group_type": "team", "n": 2}}
    )
    assert group.event == "$groupidentify"
    assert group.properties["$group_type"] == "team" and group.properties["$group_key"] == "g1"
    assert group.properties["$groups"] == {"team": "g1"}


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"type": "track", "event": "e"}, "userId"),
        ({"type": "alias", "userId": "u"}, "previousId"),
        ({"type": "group", "userId": "u"}, "groupId"),
        ({"type": "bogus", "userId": "u"}, "type"),
        ({"type": "track", "userId": "u"}, "event"),
        ({"type": "track", "userId": "u", "event": "e", "timestamp": "yesterday"}, "timestamp"),
    ],
)
def test_bad_messages_fail_alone(message, field):
    good = {"type": "track", "event": "ok", "userId": "u"}
    events, accepted, errors, _ = ingest("segment", make_request("/v1/batch", batch(good, message)))
    assert accepted == 1 and events[0].event == "ok"
    assert [(e.index, e.field) for e in errors] == [(1, field)]


def test_message_id_is_the_dedupe_key_and_clock_skew_is_corrected():
    message = {
        "type": "track",
        "event": "e",
        "userId": "u",
        "messageId": "m-1",
        "timestamp": "2026-06-01T11:00:00+00:00",
    }
    body = batch(message, sentAt="2026-06-01T11:00:30+00:00")
    events, *_ = ingest("segment", make_request("/v1/batch", body))
    assert events[0].uuid == vendor_uuid("segment", "m-1")
    assert events[0].timestamp_us == NOW_US - 30_000_000


def test_limits_32kb_per_message_500kb_per_batch():
    big = {"type": "track", "event": "e", "userId": "u", "properties": {"x": "y" * 33_000}}
    ok = {"type": "track", "event": "e", "userId": "u"}
    _, accepted, errors, _ = ingest("segment", make_request("/v1/batch", batch(ok, big)))
    assert accepted == 1 and errors[0].message == "message larger than 32 KB"
    medium = {"type": "track", "event": "e", "userId": "u", "properties": {"x": "y" * 30_000}}
    with pytest.raises(BodyError) as caught:
        SEGMENT.decode(make_request("/v1/batch", batch(*[medium] * 20)))
    assert (caught.value.status, caught.value.message) == (400, "batch larger than 500 KB")


def test_key_from_basic_auth_and_gzip_body():
    body = gzip.compress(orjson.dumps({"batch": [{"type": "track", "event": "e", "userId": "u"}]}))
    request = make_request("/v1/batch", body, headers={**BASIC, "Content-Encoding": "gzip"})
    assert ingest("segment", request)[1:] == (1, [], "wk")


def test_replies_carry_a_code():
    request = make_request("/v1/batch", b"{}")
    decoded = SEGMENT.decode(make_request("/v1/batch", batch()))
    assert SEGMENT.respond(Accepted(decoded, 3, []), request) == Reply(200, {"success": True})
    partial = SEGMENT.respond(Accepted(decoded, 2, [FieldError(2, "userId", "x")]), request)
    assert partial.status == 400 and partial.body["code"] == "invalid_request"
    for status in (400, 401, 413, 429, 503):
        reply = SEGMENT.respond(Refused(status, "some_code", "why"), request)
        assert reply.status == status
        assert (reply.body["code"], reply.body["message"]) == ("some_code", "why")


ids = st.text(min_size=1, max_size=20) | st.integers(0, 10**12)
messages = st.fixed_dictionaries(
    {"type": st.sampled_from(["track", "identify", "page", "screen", "alias", "group", "x"])},
    optional={
        "userId": ids,
        "anonymousId": ids,
        "previousId": ids,
        "groupId": ids,
        "messageId": st.text(min_size=1, max_size=40),
        "event": st.text(max_size=20),
        "traits": st.dictionaries(st.text(max_size=5), st.integers(-(2**53), 2**53)),
        "context": st.fixed_dictionaries(
            {}, optional={"page": st.fixed_dictionaries({"url": st.text()})}
        ),
        "timestamp": st.sampled_from(["2026-06-01T10:00:00Z", 1780000000, "nope"]),
    },
)


@settings(max_examples=150, deadline=None)
@given(st.lists(messages, max_size=15))
def test_any_batch_decodes_record_by_record(batch_messages):
    request = make_request("/v1/batch", batch(*batch_messages))
    decoded = SEGMENT.decode(request)
    assert decoded.key == "wk" and len(decoded.records) == len(batch_messages)
    for message, record in zip(batch_messages, decoded.records, strict=True):
        if isinstance(record, dict) and "messageId" in message:
            assert record["uuid"] == vendor_uuid("segment", message["messageId"])
    _, accepted, errors, _ = ingest("segment", request)
    assert accepted + len(errors) == len(batch_messages)
    assert [e.index for e in errors] == sorted(e.index for e in errors)


@given(st.text(min_size=1, max_size=60), st.text(min_size=1, max_size=60))
def test_message_ids_map_to_distinct_stable_uuids(a, b):
    assert vendor_uuid("segment", a) == vendor_uuid("segment", a)
    assert (vendor_uuid("segment", a) == vendor_uuid("segment", b)) == (a == b)
