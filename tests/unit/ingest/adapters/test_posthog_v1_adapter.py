"""PostHog's capture v1 (``/i/v1/analytics/events``): the SDK's body back to canonical events,
per-event answers keyed by uuid, and request failures the SDK treats as final or retries."""

from __future__ import annotations

import gzip
import zlib
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heron.ingest.adapters import ADAPTERS, Accepted, Refused
from heron.ingest.parse import BodyError, FieldError
from tests.unit.ingest.adapters.wire_requests import NOW_US, ingest, make_request

V1 = ADAPTERS["posthog-v1"]
PATH = "/i/v1/analytics/events"
HEADERS = {"Authorization": "Bearer phc_key", "PostHog-Sdk-Info": "posthog-python/7.91.1"}
SENT = "2026-06-01T12:00:00+00:00"
"""The batch's ``created_at``: the test requests are received at that instant (NOW_US)."""


def v1_event(uuid: str = "0195594d-7ef3-79cc-b125-79f249062c0d", **extra: Any) -> dict:
    """An event as posthog-python's ``_to_v1_event`` shapes it."""
    return {
        "event": "pageview",
        "uuid": uuid,
        "distinct_id": "user-1",
        "timestamp": "2026-06-01T11:59:58+00:00",
        "options": {},
        "properties": {"plan": "pro"},
        **extra,
    }


def request(events: list[Any], encoding: str | None = None, headers: dict | None = None):
    raw = orjson.dumps({"created_at": SENT, "batch": events})
    extra = {}
    if encoding == "gzip":
        raw, extra = gzip.compress(raw), {"Content-Encoding": "gzip"}
    elif encoding == "deflate":
        raw, extra = zlib.compress(raw), {"Content-Encoding": "deflate"}
    return make_request(PATH, raw, headers={**HEADERS, **extra, **(headers or {})})


@pytest.mark.parametrize("encoding", [None, "gzip", "deflate"])
def test_the_sdks_event_comes_back_whole(encoding):
    event = v1_event(
        session_id="s-1",
        window_id="w-1",
        options={"process_person_profile": False, "cookieless_mode": True},
        properties={"plan": "pro", "$set": {"email": "a@b.c"}},
    )
    events, accepted, errors, key = ingest("posthog-v1", request([event], encoding))
    assert (key, accepted, errors) == ("phc_key", 1, [])
    [stored] = events
    assert (stored.uuid, stored.event, stored.distinct_id) == (event["uuid"], "pageview", "user-1")
    assert stored.properties == {
        "$lib": "posthog-python",
        "$lib_version": "7.91.1",
        "plan": "pro",
        "$set": {"email": "a@b.c"},
        "$session_id": "s-1",
        "$window_id": "w-1",
        "$process_person_profile": False,
        "$cookieless_mode": True,
    }
    assert stored.timestamp_us == NOW_US - 2_000_000, "skew-corrected against created_at"


def test_skew_correction_can_be_turned_off():
    event = v1_event(options={"disable_skew_correction": True}, timestamp="2026-06-01T10:00:00Z")
    [stored], *_ = ingest("posthog-v1", request([event]))
    assert stored.timestamp_us == NOW_US - 2 * 3600 * 1_000_000


def test_properties_the_app_set_win_over_restored_ones():
    event = v1_event(session_id="s-top", properties={"$session_id": "s-app", "$lib": "mine"})
    [stored], *_ = ingest("posthog-v1", request([event]))
    assert stored.properties["$session_id"] == "s-app" and stored.properties["$lib"] == "mine"


def test_every_event_is_answered_by_its_uuid():
    good, bad = v1_event("a" * 8 + "-0000-4000-8000-" + "0" * 12), v1_event("u-2", event="")
    wire = request([good, bad, v1_event(uuid=""), "not an event"])
    batch = V1.decode(wire)
    errors = [r for r in batch.records if isinstance(r, FieldError)]
    reply = V1.respond(Accepted(batch, 1, errors), wire)
    assert reply.status == 200
    results = reply.body["results"]
    assert list(results) == [good["uuid"], "u-2", "2", "3"]
    assert results[good["uuid"]] == {"result": "ok"}
    assert results["2"] == {"result": "drop", "details": "uuid: required: the event's UUID"}
    assert results["3"]["result"] == "drop"


def test_an_invalid_field_is_dropped_with_its_name():
    wire = request([v1_event(), v1_event("u-2", distinct_id="")])
    _, accepted, errors, _ = ingest("posthog-v1", wire)
    assert accepted == 1 and [e.field for e in errors] == ["distinct_id"]
    batch = V1.decode(wire)
    reply = V1.respond(Accepted(batch, accepted, errors), wire)
    assert reply.body["results"]["u-2"] == {
        "result": "drop",
        "details": "distinct_id: required: a non-empty string",
    }


@pytest.mark.parametrize(
    ("refused", "status"),
    [
        (Refused(401, "invalid_write_key", "missing or unknown write key"), 401),
        (Refused(400, "unsupported_encoding", "unsupported Content-Encoding 'br'"), 415),
        (Refused(429, "rate_limited", "too many events", retry_after=2), 429),
        (Refused(503, "store_unavailable", "events were not stored"), 503),
    ],
)
def test_request_failures_carry_error_and_description(refused, status):
    reply = V1.respond(refused, request([v1_event()]))
    assert reply.status == status
    assert reply.body == {"error": refused.code, "error_description": refused.message}


@pytest.mark.parametrize(
    "body", [b"[]", b'{"batch": {}}', b'{"created_at": "x"}', b"not json", b""]
)
def test_bodies_without_a_batch_are_refused(body):
    with pytest.raises(BodyError) as raised:
        V1.decode(make_request(PATH, body, headers=HEADERS))
    assert raised.value.status == 400


def test_the_key_is_only_the_bearer_token():
    assert V1.decode(request([v1_event()], headers={"Authorization": ""})).key is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


@settings(max_examples=50)
@given(st.lists(st.dictionaries(st.sampled_from([*v1_event(), "x"]), json_values)))
def test_any_batch_decodes_to_one_record_per_event(events):
    wire = request(events)
    batch = V1.decode(wire)
    assert len(batch.records) == len(batch.ids) == len(events)
    events_out, accepted, errors, _ = ingest("posthog-v1", wire)
    assert accepted + len(errors) == len(events) == len(events_out) + len(errors)
