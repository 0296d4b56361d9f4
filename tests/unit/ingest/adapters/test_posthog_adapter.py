"""The PostHog adapter: body shapes, encodings, key placement, replies."""

from __future__ import annotations

import base64
import gzip
from urllib.parse import urlencode

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heron.ingest.adapters import ADAPTERS, Accepted, Refused, Reply
from heron.ingest.adapters.wire import vendor_uuid
from heron.ingest.parse import BodyError, FieldError
from tests.unit.ingest.adapters.wire_requests import LZ_VECTORS, NOW_US, ingest, make_request

POSTHOG = ADAPTERS["posthog"]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def event(name: str = "pageview", distinct_id: str = "d1", **extra) -> dict:
    return {"event": name, "distinct_id": distinct_id, **extra}


def test_batch_with_api_key_passes_identity_events_through():
    body = {
        "api_key": "k",
        "batch": [
            event(
                "$identify", "user", properties={"$anon_distinct_id": "anon"}, **{"$set": {"a": 1}}
            ),
            event("$create_alias", "user", properties={"alias": "other"}),
            event("$groupidentify", properties={"$group_type": "company", "$group_key": "acme"}),
            event("purchased", properties={"$groups": {"company": "acme"}}),
        ],
    }
    events, accepted, errors, key = ingest("posthog", make_request("/batch/", body))
    assert (key, accepted, errors) == ("k", 4, [])
    identify = events[0]
    assert identify.properties == {"$anon_distinct_id": "anon", "$set": {"a": 1}}
    assert events[1].properties["alias"] == "other"
    assert events[3].properties["$groups"] == {"company": "acme"}


@pytest.mark.parametrize(
    "body",
    [
        {"api_key": "k", **event()},
        {"token": "k", **event()},
        {"$token": "k", **event()},
        event(properties={"token": "k"}),
        [event(properties={"token": "k"}), event(properties={"token": "k"})],
    ],
)
def test_the_key_may_sit_anywhere_posthog_puts_it(body):
    events, _, errors, key = ingest("posthog", make_request("/capture/", body))
    assert key == "k" and not errors
    assert all("token" not in e.properties for e in events)


def test_a_record_with_another_projects_token_is_rejected_alone():
    body = [event(properties={"token": "k"}), event(properties={"token": "other"})]
    _, accepted, errors, key = ingest("posthog", make_request("/e/", body))
    assert (key, accepted) == ("k", 1)
    assert errors == [FieldError(1, "token", "differs from the batch's project key")]


def test_distinct_id_may_come_from_properties():
    body = {"api_key": "k", "event": "e", "properties": {"distinct_id": "from-props"}}
    events, *_ = ingest("posthog", make_request("/e/", body))
    assert events[0].distinct_id == "from-props"


def test_gzip_by_header_and_gzip_js_by_query():
    raw = gzip.compress(orjson.dumps({"api_key": "k", "batch": [event()]}))
    by_header = make_request("/batch/", raw, headers={"Content-Encoding": "gzip"})
    by_query = make_request("/e/", raw, query={"compression": "gzip-js"})
    for request in (by_header, by_query):
        assert ingest("posthog", request)[1] == 1


def test_base64_form_json_form_and_get_query():
    payload = orjson.dumps({"api_key": "k", **event()})
    b64 = base64.b64encode(payload).decode()
    requests = [
        make_request(
            "/e/", urlencode({"data": b64, "compression": "base64"}).encode(), headers=FORM
        ),
        make_request("/e/", urlencode({"data": payload.decode()}).encode(), headers=FORM),
        make_request(
            "/e/", method="GET", query={"data": base64.urlsafe_b64encode(payload).decode()}
        ),
        make_request("/e/", b64.encode(), query={"compression": "base64"}),
    ]
    for request in requests:
        assert ingest("posthog", request)[1:] == (1, [], "k")


def test_lz64_form_bodies():
    text, compressed = next(v for v in LZ_VECTORS if v[0].startswith("[{"))
    request = make_request(
        "/e/", urlencode({"data": compressed, "compression": "lz64"}).encode(), headers=FORM
    )
    events, accepted, errors, key = ingest("posthog", request)
    assert (key, accepted, errors) == ("phc_key", len(orjson.loads(text)), [])
    assert events[0].properties["$current_url"].startswith("https://shop.example/p/")
    with pytest.raises(BodyError) as caught:
        POSTHOG.decode(make_request("/e/", b"data=%25%25&compression=lz64", headers=FORM))
    assert caught.value.code == "invalid_lz64"


@pytest.mark.parametrize("body", [b"nope", b"[1", b'"text"', b"data="])
def test_unusable_bodies_are_400(body):
    with pytest.raises(BodyError) as caught:
        POSTHOG.decode(make_request("/batch/", body, headers=FORM if body == b"data=" else {}))
    assert caught.value.status == 400


def test_offset_and_sent_at_fix_the_clock():
    body = {
        "api_key": "k",
        "sent_at": "2026-06-01T12:00:10+00:00",
        "batch": [event(timestamp="2026-06-01T12:00:00+00:00"), event(offset=5000)],
    }
    events, *_ = ingest("posthog", make_request("/batch/", body))
    assert events[0].timestamp_us == NOW_US - 10_000_000
    assert events[1].timestamp_us == NOW_US - 5_000_000


def test_legacy_track_takes_mixpanel_style_events():
    props = {"token": "k", "distinct_id": "d", "time": 1780000000, "$insert_id": "abc"}
    events, *_ = ingest("posthog", make_request("/track/", {"event": "e", "properties": props}))
    assert events[0].uuid == vendor_uuid("mixpanel", "abc")
    assert events[0].timestamp_us == 1780000000 * 1_000_000
    assert events[0].properties == {"distinct_id": "d"}


def test_replies():
    request = make_request("/batch/", b"{}")
    batch = POSTHOG.decode(make_request("/batch/", {"api_key": "k", "batch": [event()]}))
    assert POSTHOG.respond(Accepted(batch, 1, []), request) == Reply(200, {"status": 1})
    partial = POSTHOG.respond(Accepted(batch, 1, [FieldError(1, "event", "required")]), request)
    assert partial.status == 400 and partial.body["accepted"] == 1
    assert "1 invalid event(s)" in partial.body["detail"]
    limited = POSTHOG.respond(Refused(429, "rate_limited", "slow down", retry_after=2), request)
    assert limited.status == 429 and limited.body["detail"] == "slow down"
    assert POSTHOG.respond(Refused(503, "store_unavailable", "x"), request).status == 503


ids = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=30)
events_strategy = st.lists(
    st.builds(
        lambda name, distinct_id, n: {
            "event": name,
            "distinct_id": distinct_id,
            "properties": {"n": n},
        },
        ids,
        ids,
        st.integers(-(2**53), 2**53),
    ),
    min_size=1,
    max_size=20,
)
ENCODINGS = {
    "json": lambda b: make_request("/batch/", b),
    "gzip": lambda b: make_request(
        "/batch/", gzip.compress(b), headers={"Content-Encoding": "gzip"}
    ),
    "gzip-js": lambda b: make_request("/e/", gzip.compress(b), query={"compression": "gzip-js"}),
    "base64-form": lambda b: make_request(
        "/e/", urlencode({"data": base64.b64encode(b).decode()}).encode(), headers=FORM
    ),
    "json-form": lambda b: make_request(
        "/e/", urlencode({"data": b.decode()}).encode(), headers=FORM
    ),
}


@settings(max_examples=60, deadline=None)
@given(events_strategy, st.sampled_from(sorted(ENCODINGS)), st.booleans())
def test_every_encoding_decodes_to_the_same_events(batch, encoding, bare):
    body = batch if bare else {"api_key": "k", "batch": batch}
    if bare:
        batch[0]["properties"]["token"] = "k"
    decoded, accepted, errors, key = ingest("posthog", ENCODINGS[encoding](orjson.dumps(body)))
    assert (key, accepted, errors) == ("k", len(batch), [])
    assert [(e.event, e.distinct_id) for e in decoded] == [
        (e["event"], e["distinct_id"]) for e in batch
    ]


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200), st.sampled_from(["", "gzip-js", "base64", "lz64"]))
def test_arbitrary_bytes_never_crash_the_decoder(raw, compression):
    request = make_request("/e/", raw, query={"compression": compression} if compression else {})
    try:
        batch = POSTHOG.decode(request)
    except BodyError as exc:
        assert exc.status in (400, 413)
    else:
        assert all(isinstance(r, dict | FieldError) for r in batch.records)
