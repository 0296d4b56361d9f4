"""The Mixpanel adapter: data= encodings, time units, profile and group updates, replies."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heron.ingest.adapters import ADAPTERS, Accepted, Refused, Reply
from heron.ingest.adapters.wire import vendor_uuid
from heron.ingest.parse import BodyError, FieldError
from tests.unit.ingest.adapters.wire_requests import ingest, make_request

MIXPANEL = ADAPTERS["mixpanel"]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
T = 1780300000


def track(name: str = "e", distinct_id: str = "d", **props) -> dict:
    return {"event": name, "properties": {"token": "tk", "distinct_id": distinct_id, **props}}


def form(path: str, data: object, **fields: str):
    body = urlencode({"data": orjson.dumps(data).decode(), **fields}).encode()
    return make_request(path, body, headers=FORM)


def test_track_maps_token_time_insert_id_and_lib():
    record = track(time=T, **{"$insert_id": "ins-1", "mp_lib": "python", "plan": "pro"})
    events, accepted, errors, key = ingest("mixpanel", form("/track", [record], verbose="1"))
    assert (key, accepted, errors) == ("tk", 1, [])
    event = events[0]
    assert (event.event, event.distinct_id, event.timestamp_us) == ("e", "d", T * 1_000_000)
    assert event.uuid == vendor_uuid("mixpanel", "ins-1")
    assert event.properties == {"mp_lib": "python", "plan": "pro", "$lib": "python"}


@pytest.mark.parametrize(
    "request_for",
    [
        lambda data: make_request(
            "/track", urlencode({"data": base64.b64encode(data).decode()}).encode(), headers=FORM
        ),
        lambda data: make_request(
            "/track", method="GET", query={"data": base64.b64encode(data).decode()}
        ),
        lambda data: make_request("/track", b"", query={"data": data.decode()}),
        lambda data: make_request("/import", data, headers={"Content-Type": "application/json"}),
    ],
)
def test_data_may_be_base64_in_form_or_query_or_a_json_body(request_for):
    data = orjson.dumps([track(time=T), track(time=T)])
    assert ingest("mixpanel", request_for(data))[1:] == (2, [], "tk")


def test_ndjson_import_and_import_requires_time():
    lines = b"\n".join(orjson.dumps(r) for r in (track(time=T), track()))
    request = make_request("/import", lines, headers={"Content-Type": "application/x-ndjson"})
    _, accepted, errors, _ = ingest("mixpanel", request)
    assert accepted == 1 and errors == [FieldError(1, "properties.time", "required for imports")]


@given(st.integers(946684800, 1780300000), st.booleans())
def test_time_in_seconds_or_milliseconds_is_the_same_instant(seconds, as_ms):
    stamp = seconds * 1000 if as_ms else seconds
    events, *_ = ingest("mixpanel", form("/track", track(time=stamp)))
    assert events[0].timestamp_us == seconds * 1_000_000


def test_engage_updates_become_a_set_event():
    update = {
        "$token": "tk",
        "$distinct_id": "u",
        "$time": T,
        "$set": {"plan": "pro"},
        "$unset": ["trial"],
        "$add": {"logins": 1},
    }
    events, _, _, key = ingest("mixpanel", form("/engage", update))
    assert key == "tk"
    event = events[0]
    assert (event.event, event.distinct_id) == ("$set", "u")
    assert event.properties == {
        "$set": {"plan": "pro", "trial": None},
        "$mixpanel_operations": {"$add": {"logins": 1}},
    }
    again, *_ = ingest("mixpanel", form("/engage/", update))
    assert again[0].uuid == event.uuid, "a resent update deduplicates"


def test_groups_become_groupidentify():
    update = {"$token": "tk", "$group_key": "company", "$group_id": "acme", "$set": {"n": 1}}
    events, *_ = ingest("mixpanel", form("/groups", update))
    assert events[0].event == "$groupidentify"
    assert events[0].properties == {
        "$group_type": "company",
        "$group_key": "acme",
        "$group_set": {"n": 1},
    }


def test_identity_events_merge_and_device_user_pairs_link():
    records = [
        track("$identify", "user", **{"$anon_distinct_id": "anon"}),
        track("$merge", "x", **{"$distinct_ids": ["a", "b"]}),
        track("Signed Up", "user", **{"$device_id": "dev", "$user_id": "user"}),
    ]
    events, accepted, _, _ = ingest(
        "mixpanel",
        form("/import", [{**r, "properties": {**r["properties"], "time": T}} for r in records]),
    )
    assert accepted == 3 and len(events) == 4
    assert events[0].properties["$anon_distinct_id"] == "anon"
    assert (events[1].event, events[1].distinct_id, events[1].properties["alias"]) == (
        "$create_alias",
        "a",
        "b",
    )
    link = events[3]
    assert (link.event, link.distinct_id, link.properties["$anon_distinct_id"]) == (
        "$identify",
        "user",
        "dev",
    )


def test_bad_records_fail_alone():
    records = [track(), {"event": "e"}, track(**{"token": "other"}), "x", {"$token": "tk"}]
    _, accepted, errors, _ = ingest("mixpanel", form("/track", records))
    assert accepted == 1
    assert [(e.index, e.field) for e in errors] == [
        (1, "properties"),
        (2, "token"),
        (3, ""),
        (4, "properties"),
    ]


def test_missing_data_is_400():
    for request in (
        make_request("/track", b"verbose=1", headers=FORM),
        make_request("/track", method="GET"),
    ):
        with pytest.raises(BodyError):
            MIXPANEL.decode(request)


def test_replies_verbose_plain_and_import():
    decoded = MIXPANEL.decode(form("/track", track()))
    verbose = form("/track", track(), verbose="1")
    plain = form("/track", track())
    error = [FieldError(1, "event", "required")]
    assert MIXPANEL.respond(Accepted(decoded, 1, []), verbose) == Reply(
        200, {"status": 1, "error": None}
    )
    assert MIXPANEL.respond(Accepted(decoded, 1, []), plain) == Reply(200, 1)
    failed = MIXPANEL.respond(Accepted(decoded, 1, error), verbose)
    assert (
        failed.status == 400
        and failed.body["status"] == 0
        and "1 record(s) rejected" in failed.body["error"]
    )
    assert MIXPANEL.respond(Refused(401, "invalid_write_key", "unknown"), plain) == Reply(401, 0)
    lenient = MIXPANEL.respond(Accepted(decoded, 1, error), make_request("/import", b"{}"))
    assert lenient.status == 200 and lenient.body["num_records_imported"] == 1
    assert lenient.body["failed_records"] == [{"index": 1, "field": "event", "message": "required"}]
    strict = MIXPANEL.respond(
        Accepted(decoded, 1, error), make_request("/import", b"{}", query={"strict": "1"})
    )
    assert (strict.status, strict.body["code"], strict.body["status"]) == (400, 400, 0)


records = st.lists(
    st.fixed_dictionaries(
        {"event": st.text(min_size=1, max_size=20)},
        optional={
            "properties": st.fixed_dictionaries(
                {"token": st.just("tk")},
                optional={
                    "distinct_id": st.text(max_size=10) | st.integers(-5, 5),
                    "time": st.integers(0, 2_000_000_000_000) | st.floats(allow_nan=False),
                    "$insert_id": st.text(max_size=36),
                },
            )
        },
    ),
    min_size=1,
    max_size=10,
)


@settings(max_examples=120, deadline=None)
@given(records, st.sampled_from(["json", "base64"]), st.sampled_from(["/track", "/import"]))
def test_any_records_decode_one_by_one(batch, encoding, path):
    data = orjson.dumps(batch)
    text = data.decode() if encoding == "json" else base64.b64encode(data).decode()
    request = make_request(path, urlencode({"data": text}).encode(), headers=FORM)
    _, accepted, errors, _ = ingest("mixpanel", request)
    assert accepted + len(errors) == len(batch)
    for raw, record in zip(batch, MIXPANEL.decode(request).records, strict=True):
        if isinstance(record, dict):
            insert_id = vendor_uuid("mixpanel", raw["properties"].get("$insert_id"))
            if insert_id is not None:
                assert record["uuid"] == insert_id, "a resend lands on the same uuid"
            elif "time" not in raw["properties"]:
                assert "uuid" not in record, "no id, no time: the store generates one"
