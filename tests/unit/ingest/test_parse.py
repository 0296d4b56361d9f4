"""The event parser: property-based round trips and the rules for each field."""

from __future__ import annotations

import gzip
import sys
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

from heron.ingest.parse import (
    BodyError,
    Envelope,
    FieldError,
    Limits,
    decode_body,
    envelope,
    parse_event,
    parse_events,
)

LIMITS = Limits()
NOW_US = int(datetime(2026, 6, 1, tzinfo=UTC).timestamp() * 1_000_000)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
names = st.text(min_size=1, max_size=200)
valid_events = st.fixed_dictionaries(
    {"event": names, "distinct_id": names | st.integers(0, 2**53)},
    optional={
        "uuid": st.uuids().map(str),
        "properties": st.dictionaries(
            st.text(max_size=30).filter(lambda key: key not in ("$set", "$set_once")),
            json_values,
            max_size=8,
        ),
        "timestamp": st.datetimes(
            min_value=datetime(2001, 1, 1), max_value=datetime(2026, 5, 31)
        ).map(lambda d: d.isoformat()),
    },
)


def parse(obj):
    return parse_event(obj, 0, received_us=NOW_US, sent_at_us=None, limits=LIMITS)


@settings(max_examples=150)
@given(valid_events)
def test_valid_events_round_trip(obj):
    expected_props = dict(obj.get("properties", {}))
    result = parse(orjson.loads(orjson.dumps(obj)))
    assert not isinstance(result, FieldError), result
    assert result.event == obj["event"]
    assert result.distinct_id == str(obj["distinct_id"])
    assert orjson.loads(result.properties_json) == expected_props
    if "uuid" in obj:
        assert result.uuid == obj["uuid"]
    else:
        assert result.uuid is None  # the store generates it
    if "timestamp" in obj:
        ts = datetime.fromisoformat(obj["timestamp"]).replace(tzinfo=UTC)
        assert result.timestamp_us == int(ts.timestamp() * 1_000_000)
    else:
        assert result.timestamp_us == NOW_US


@settings(max_examples=150)
@given(json_values)
def test_any_json_value_is_either_an_event_or_a_named_error(value):
    result = parse(value)
    if isinstance(result, FieldError):
        assert result.field in {
            "",
            "event",
            "distinct_id",
            "uuid",
            "properties",
            "timestamp",
            "$set",
            "$set_once",
            "person_properties",
            "properties.$set",
            "properties.$set_once",
        }
        assert result.message


@settings(max_examples=100)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_crash_the_body_decoder(raw):
    try:
        body = decode_body(raw, None, LIMITS)
    except BodyError as exc:
        assert exc.status in (400, 413)
        return
    try:
        env = envelope(body, LIMITS)
    except BodyError as exc:
        assert exc.status in (400, 413)
        return
    parse_events(env, received_us=NOW_US, limits=LIMITS)


@settings(max_examples=50)
@given(st.lists(valid_events, max_size=20))
def test_gzip_and_plain_bodies_decode_the_same(events):
    raw = orjson.dumps({"batch": events})
    assert decode_body(gzip.compress(raw), "gzip", LIMITS) == decode_body(raw, None, LIMITS)


def test_batch_level_sent_at_corrects_every_event():
    sent = datetime.fromtimestamp(NOW_US / 1e6, UTC) + timedelta(hours=2)
    env = Envelope(
        [
            {
                "event": "e",
                "distinct_id": "a",
                "timestamp": (sent - timedelta(seconds=30)).isoformat(),
            }
        ],
        None,
        sent.isoformat(),
    )
    good, errors = parse_events(env, received_us=NOW_US, limits=LIMITS)
    assert not errors
    assert good[0].timestamp_us == NOW_US - 30_000_000


def test_future_tolerance_boundary():
    inside = parse(
        {"event": "e", "distinct_id": "a", "timestamp": (NOW_US + LIMITS.future_tolerance_us) / 1e6}
    )
    outside = parse(
        {
            "event": "e",
            "distinct_id": "a",
            "timestamp": (NOW_US + LIMITS.future_tolerance_us) / 1e6 + 1,
        }
    )
    assert not isinstance(inside, FieldError)
    assert isinstance(outside, FieldError) and outside.field == "timestamp"


def test_person_properties_merge_into_set_and_set_once():
    result = parse(
        {
            "event": "e",
            "distinct_id": "a",
            "$set": {"a": 1},
            "person_properties": {"$set_once": {"b": 2}, "c": 3},
            "properties": {"$set": {"d": 4}},
        }
    )
    props = orjson.loads(result.properties_json)
    assert props["$set"] == {"d": 4, "a": 1, "c": 3}
    assert props["$set_once"] == {"b": 2}


@pytest.mark.parametrize("numeric", [12345, 0])
def test_numeric_distinct_ids_become_strings(numeric):
    assert parse({"event": "e", "distinct_id": numeric}).distinct_id == str(numeric)


def test_deflate_bodies_are_accepted():
    import zlib

    raw = orjson.dumps({"event": "e", "distinct_id": "a"})
    assert decode_body(zlib.compress(raw), "deflate", LIMITS) == {"event": "e", "distinct_id": "a"}


@given(st.lists(st.text(), max_size=20))
def test_zstd_bodies_decode_like_plain_ones(names):
    raw = orjson.dumps([{"event": name, "distinct_id": "a"} for name in names] or {})
    assert decode_body(zstd.compress(raw), "zstd", LIMITS) == orjson.loads(raw)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"not zstd at all", 400, "invalid_zstd"),
        (zstd.compress(b'{"event": "e", "distinct_id": "a"}')[:-6], 400, "invalid_zstd"),
        (zstd.compress(b"[" + b" " * 2_000_000 + b"]"), 413, "body_too_large"),
    ],
)
def test_bad_or_oversized_zstd_bodies_are_refused(body, status, code):
    limits = Limits(max_decompressed_bytes=1_000_000)
    with pytest.raises(BodyError) as info:
        decode_body(body, "zstd", limits)
    assert (info.value.status, info.value.code) == (status, code)


def test_unknown_encoding_is_refused():
    with pytest.raises(BodyError) as info:
        decode_body(b"{}", "br", LIMITS)
    assert info.value.status == 400
