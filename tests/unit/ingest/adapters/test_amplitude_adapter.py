"""The Amplitude adapter: events, user property operations, identity, and coded replies."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heron.ingest.adapters import ADAPTERS, Accepted, Refused
from heron.ingest.adapters.wire import vendor_uuid
from heron.ingest.parse import BodyError, FieldError
from tests.unit.ingest.adapters.wire_requests import ingest, make_request

AMPLITUDE = ADAPTERS["amplitude"]
T_MS = 1780300000123


def body(*events: dict) -> dict:
    return {"api_key": "ak", "events": list(events)}


def test_event_fields_map_to_canonical_ones():
    event = {
        "event_type": "Purchased",
        "user_id": "user-1",
        "time": T_MS,
        "insert_id": "ins-1",
        "event_properties": {"amount": 3},
        "library": "amplitude-python/1.3.0",
        "os_name": "Linux",
        "session_id": 1780300000000,
        "price": 9.5,
        "groups": {"company": "acme"},
    }
    events, accepted, errors, key = ingest("amplitude", make_request("/2/httpapi", body(event)))
    assert (key, accepted, errors) == ("ak", 1, [])
    stored = events[0]
    assert (stored.event, stored.distinct_id, stored.timestamp_us) == (
        "Purchased",
        "user-1",
        T_MS * 1000,
    )
    assert stored.uuid == vendor_uuid("amplitude", "ins-1")
    assert stored.properties == {
        "amount": 3,
        "$lib": "amplitude-python/1.3.0",
        "$os": "Linux",
        "$price": 9.5,
        "$session_id": "1780300000000",
        "$groups": {"company": "acme"},
    }


def test_user_property_operations():
    user_properties = {
        "$set": {"plan": "pro"},
        "$setOnce": {"first": "x"},
        "$unset": {"trial": "-"},
        "$add": {"logins": 1},
        "city": "Paris",
    }
    event = {"event_type": "$identify", "device_id": "dev-1", "user_properties": user_properties}
    events, *_ = ingest("amplitude", make_request("/batch", body(event)))
    stored = events[0]
    assert (stored.event, stored.distinct_id) == ("$set", "dev-1"), (
        "an anonymous device is not identified"
    )
    assert stored.properties == {
        "$set": {"city": "Paris", "plan": "pro", "trial": None},
        "$set_once": {"first": "x"},
        "$amplitude_operations": {"$add": {"logins": 1}},
    }


def test_device_and_user_merge_once_per_pair():
    identify = {"event_type": "$identify", "user_id": "user", "device_id": "dev-1"}
    tracks = [
        {"event_type": "e", "user_id": "user", "device_id": device}
        for device in ("dev-2", "dev-2", "user")
    ]
    events, accepted, _, _ = ingest(
        "amplitude", make_request("/2/httpapi", body(identify, *tracks))
    )
    assert accepted == 4
    assert events[0].properties == {"$anon_distinct_id": "dev-1"}
    links = events[4:]
    assert len(links) == 2 and links[0].uuid == links[1].uuid, "one uuid per pair: stored once"
    link = links[0]
    assert (link.event, link.distinct_id, link.properties["$anon_distinct_id"]) == (
        "$identify",
        "user",
        "dev-2",
    )
    assert link.properties["$heron_derived"] is True


def test_groupidentify():
    event = {
        "event_type": "$groupidentify",
        "user_id": "user",
        "groups": {"company": "acme"},
        "group_properties": {"$set": {"name": "Acme"}, "$setOnce": {"founded": 1999}},
    }
    events, *_ = ingest("amplitude", make_request("/2/httpapi", body(event)))
    assert {k: events[0].properties[k] for k in ("$group_type", "$group_key", "$group_set")} == {
        "$group_type": "company",
        "$group_key": "acme",
        "$group_set": {"founded": 1999, "name": "Acme"},
    }


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"event_type": "e"}, "user_id"),
        ({"user_id": "u"}, "event_type"),
        ({"event_type": "e", "user_id": "u", "time": "soon"}, "time"),
        ({"event_type": "e", "user_id": "u", "event_properties": [1]}, "event_properties"),
        ({"event_type": "$groupidentify", "user_id": "u"}, "groups"),
        ("not an event", "event"),
    ],
)
def test_bad_events_fail_alone(event, field):
    ok = {"event_type": "ok", "user_id": "u"}
    events, accepted, errors, _ = ingest("amplitude", make_request("/2/httpapi", body(ok, event)))
    assert accepted == 1 and events[0].event == "ok"
    assert [(e.index, e.field) for e in errors] == [(1, field)]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"events": []}, "missing_api_key"),
        ({"api_key": "ak"}, "missing_events"),
        ([1], "invalid_shape"),
    ],
)
def test_missing_fields_are_400(payload, code):
    with pytest.raises(BodyError) as caught:
        AMPLITUDE.decode(make_request("/2/httpapi", payload))
    assert (caught.value.status, caught.value.code) == (400, code)


def test_replies_follow_amplitude_codes():
    request = make_request("/2/httpapi", body())
    decoded = AMPLITUDE.decode(make_request("/2/httpapi", body({}, {}, {})))
    ok = AMPLITUDE.respond(Accepted(decoded, 3, []), request)
    assert ok.status == 200 and ok.body["code"] == 200 and ok.body["events_ingested"] == 3
    assert ok.body["payload_size_bytes"] == len(request.body) and ok.body["server_upload_time"] > 0
    errors = [
        FieldError(1, "event_type", "required: a non-empty string"),
        FieldError(2, "time", "bad"),
    ]
    partial = AMPLITUDE.respond(Accepted(decoded, 1, errors), request)
    assert (partial.status, partial.body["code"], partial.body["events_ingested"]) == (200, 200, 1)
    assert partial.body["events_with_missing_fields"] == {"event_type": [1]}
    assert partial.body["events_with_invalid_fields"] == {"time": [2]}
    none_valid = AMPLITUDE.respond(Accepted(decoded, 0, errors), request)
    assert (none_valid.status, none_valid.body["code"]) == (400, 400)
    missing = AMPLITUDE.respond(
        Refused(400, "missing_api_key", "Request missing required field"), request
    )
    assert missing.body == {
        "code": 400,
        "error": "Request missing required field",
        "missing_field": "api_key",
    }
    unknown = AMPLITUDE.respond(Refused(401, "invalid_write_key", "unknown"), request)
    assert unknown.body["error"].startswith("Invalid API key:")
    throttled = AMPLITUDE.respond(Refused(429, "rate_limited", "slow", 1, decoded), request)
    assert throttled.body == {"code": 429, "error": "slow", "throttled_events": [0, 1, 2]}
    assert AMPLITUDE.respond(Refused(413, "body_too_large", "big"), request).body["code"] == 413
    assert AMPLITUDE.respond(Refused(503, "store_unavailable", "down"), request).body["code"] == 503


events_strategy = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "event_type": st.text(max_size=15),
            "user_id": st.text(max_size=8) | st.integers(0, 99),
            "device_id": st.text(max_size=8),
            "time": st.integers(0, 2_000_000_000_000),
            "insert_id": st.text(min_size=1, max_size=36),
            "user_properties": st.dictionaries(
                st.sampled_from(["$set", "$setOnce", "$add", "$unset", "plain"]),
                st.dictionaries(st.text(max_size=4), st.integers(-9, 9)),
            ),
        },
    ),
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(events_strategy)
def test_any_batch_decodes_event_by_event(events):
    request = make_request("/2/httpapi", orjson.dumps(body(*events)))
    decoded = AMPLITUDE.decode(request)
    assert len(decoded.records) == len(events)
    for raw, record in zip(events, decoded.records, strict=True):
        if isinstance(record, dict) and "insert_id" in raw:
            assert record["uuid"] == vendor_uuid("amplitude", raw["insert_id"])
    stored, accepted, errors, _ = ingest("amplitude", request)
    assert accepted + len(errors) == len(events)
    valid = {i for i in range(len(events)) if i not in {e.index for e in errors}}
    assert len(stored) - accepted == sum(1 for index, _ in decoded.derived if index in valid)
