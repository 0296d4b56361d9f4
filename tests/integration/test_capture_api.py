"""``POST /v1/events`` through the real app, store and metadata: the contract and bad input."""

from __future__ import annotations

import gzip
import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from tests.integration.conftest import live_app


def count(live, where: str = "true", params=None) -> int:
    return live.rows(f"select count(*) as n from events where {where}", params)[0]["n"]


def test_single_event_is_stored_with_derived_columns(live):
    r = live.post(
        {
            "event": "pageview",
            "distinct_id": "visitor-1",
            "properties": {
                "$current_url": "https://shop.example.com/p/shoes?utm_source=news&utm_medium=email%20blast",
                "$referrer": "https://www.Google.com/search?q=shoes",
                "$user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
            },
        }
    )
    assert r.status_code == 200
    assert r.json() == {"accepted": 1, "errors": []}
    row = live.rows("select * from events")[0]
    assert row["project_id"] == live.project_id
    assert row["pathname"] == "/p/shoes"
    assert row["utm_source"] == "news" and row["utm_medium"] == "email blast"
    assert row["referring_domain"] == "www.google.com"
    assert (row["browser"], row["os"], row["device_type"]) == ("Mobile Safari", "iOS", "Mobile")
    assert row["session_id"]


def test_batch_with_key_in_body_and_gzip(live):
    body = {
        "api_key": live.write_key,
        "batch": [{"event": "e", "distinct_id": str(i)} for i in range(50)],
    }
    r = live.client.post(
        "/v1/events",
        content=gzip.compress(orjson.dumps(body)),
        headers={"Content-Encoding": "gzip"},
    )
    assert r.status_code == 200 and r.json()["accepted"] == 50
    assert count(live) == 50


def test_half_invalid_batch_keeps_the_valid_half(live):
    batch = []
    for i in range(20):
        if i % 2:
            batch.append({"event": "ok", "distinct_id": f"u{i}"})
        else:
            batch.append(
                {"event": "bad", "distinct_id": f"u{i}", "properties": ["not", "an", "object"]}
            )
    r = live.post({"batch": batch})
    assert r.status_code == 200
    body = r.json()
    assert body["accepted"] == 10
    assert [e["index"] for e in body["errors"]] == list(range(0, 20, 2))
    assert {e["field"] for e in body["errors"]} == {"properties"}
    assert count(live) == 10 and count(live, "event = 'bad'") == 0


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"distinct_id": "a"}, "event"),
        ({"event": "", "distinct_id": "a"}, "event"),
        ({"event": "x" * 201, "distinct_id": "a"}, "event"),
        ({"event": 12, "distinct_id": "a"}, "event"),
        ({"event": "e"}, "distinct_id"),
        ({"event": "e", "distinct_id": ""}, "distinct_id"),
        ({"event": "e", "distinct_id": "d" * 201}, "distinct_id"),
        ({"event": "e", "distinct_id": {"id": 1}}, "distinct_id"),
        ({"event": "e", "distinct_id": True}, "distinct_id"),
        ({"event": "e", "distinct_id": "a", "properties": "text"}, "properties"),
        ({"event": "e", "distinct_id": "a", "properties": 5}, "properties"),
        ({"event": "e", "distinct_id": "a", "uuid": "not-a-uuid"}, "uuid"),
        ({"event": "e", "distinct_id": "a", "uuid": 12}, "uuid"),
        ({"event": "e", "distinct_id": "a", "timestamp": "yesterday-ish"}, "timestamp"),
        ({"event": "e", "distinct_id": "a", "timestamp": True}, "timestamp"),
        ({"event": "e", "distinct_id": "a", "timestamp": "2999-01-01T00:00:00Z"}, "timestamp"),
        ({"event": "e", "distinct_id": "a", "timestamp": "1969-07-20T20:17:00Z"}, "timestamp"),
        ({"event": "e", "distinct_id": "a", "timestamp": 1e300}, "timestamp"),
        ({"event": "e", "distinct_id": "a", "$set": "plan"}, "$set"),
        ({"event": "e", "distinct_id": "a", "person_properties": []}, "person_properties"),
        ({"event": "e", "distinct_id": "a", "properties": {"$set": 3}}, "properties.$set"),
        ("just a string", ""),
        (None, ""),
    ],
)
def test_invalid_event_names_its_field(live, event, field):
    r = live.post({"batch": [event, {"event": "good", "distinct_id": "z"}]})
    assert r.status_code == 200
    body = r.json()
    assert body["accepted"] == 1
    assert body["errors"][0]["index"] == 0 and body["errors"][0]["field"] == field
    assert body["errors"][0]["message"]
    assert count(live) == 1


def test_deeply_nested_properties_are_rejected(live):
    nested: dict = {}
    cursor = nested
    for _ in range(40):
        cursor["a"] = {}
        cursor = cursor["a"]
    r = live.post({"batch": [{"event": "e", "distinct_id": "a", "properties": nested}]})
    assert r.json()["errors"][0]["field"] == "properties"
    assert "nested deeper" in r.json()["errors"][0]["message"]


def test_oversized_event_properties_are_rejected_alone(tmp_path):
    with live_app(tmp_path, max_event_bytes=10_000) as app:
        big = {"event": "e", "distinct_id": "a", "properties": {"blob": "x" * 20_000}}
        r = app.post({"batch": [big, {"event": "small", "distinct_id": "a"}]})
        assert r.json()["accepted"] == 1
        assert r.json()["errors"][0]["field"] == "properties"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "invalid_json"),
        (b"\xff\xfe\x00garbage", "invalid_json"),
        (b'{"event": "e", "distinct_id": "\xc3\x28"}', "invalid_json"),
        (b'{"event": "e", "distinct_id": "a", "properties": {"x": NaN}}', "invalid_json"),
        (b'{"event": "e", "distinct_id": "a", "properties": {"x": Infinity}}', "invalid_json"),
        (b"[1, 2, 3]", "invalid_shape"),
        (b'"event"', "invalid_shape"),
        (b'{"batch": {"event": "e"}}', "invalid_shape"),
        (b"", "empty_body"),
    ],
)
def test_malformed_bodies_get_400_and_nothing_is_stored(live, body, code):
    r = live.post(body)
    assert r.status_code == 400
    assert r.json()["error"]["code"] == code
    assert "Traceback" not in r.text
    assert count(live) == 0


def test_ten_megabyte_body_is_refused_with_the_limit(live):
    r = live.post(b"{" + b" " * (10 * 1024 * 1024) + b"}")
    assert r.status_code == 413
    assert str(live.settings.max_body_bytes) in r.json()["error"]["message"]


def test_gzip_bomb_is_refused(live):
    bomb = gzip.compress(
        b'{"event": "e", "distinct_id": "a", "properties": {"p": "'
        + b"a" * (30 * 1024 * 1024)
        + b'"}}'
    )
    r = live.post(bomb, headers={"Content-Encoding": "gzip"})
    assert r.status_code == 413
    assert "decompressed" in r.json()["error"]["message"]


def test_corrupt_gzip_is_a_400(live):
    r = live.post(b"\x1f\x8bnot really gzip", headers={"Content-Encoding": "gzip"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_gzip"


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic abc", "Bearer "])
def test_missing_or_unknown_write_key_is_401(live, header):
    headers = {"Authorization": header} if header else {}
    r = live.client.post("/v1/events", json={"event": "e", "distinct_id": "a"}, headers=headers)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "invalid_write_key"


def test_property_names_with_quotes_and_sql_are_stored_verbatim(live):
    nasty = {
        "a'; DROP TABLE events; --": 1,
        'quote"inside': "x",
        "back\\slash": "y",
        "path/with/slashes": "z",
        "$.json.path": "w",
        "tilde~0": "v",
        "unicode ☃ 名前": "u",
    }
    r = live.post(
        {"event": "e'); DELETE FROM events; --", "distinct_id": "a' OR '1'='1", "properties": nasty}
    )
    assert r.json()["accepted"] == 1
    row = live.rows("select event, distinct_id, properties from events")[0]
    assert row["event"] == "e'); DELETE FROM events; --"
    assert row["distinct_id"] == "a' OR '1'='1"
    assert orjson.loads(row["properties"]) == nasty
    assert count(live) == 1


def test_dedupe_by_uuid_within_a_project_only(live):
    event_id = str(uuid.uuid4())
    for _ in range(3):
        assert (
            live.post({"event": "e", "distinct_id": "a", "uuid": event_id}).json()["accepted"] == 1
        )
    body = {"event": "e", "distinct_id": "a", "uuid": event_id}
    r = live.client.post(
        "/v1/events", json=body, headers={"Authorization": f"Bearer {live.other_write_key}"}
    )
    assert r.status_code == 200
    assert count(live, "project_id = ?", [live.project_id]) == 1
    assert count(live, "project_id = ?", [live.other_project_id]) == 1


def test_duplicates_inside_one_batch_are_stored_once(live):
    event_id = str(uuid.uuid4())
    r = live.post({"batch": [{"event": "e", "distinct_id": "a", "uuid": event_id}] * 5})
    assert r.json()["accepted"] == 5
    assert count(live) == 1


def test_old_events_are_deduped_against_the_store_even_after_the_window(live):
    old = (datetime.now(UTC) - timedelta(days=30)).isoformat()
    event = {"event": "e", "distinct_id": "a", "uuid": str(uuid.uuid4()), "timestamp": old}
    live.post(event)
    live.runtime.store.recent.__init__(10)  # forget the window, as after a long time
    live.post(event)
    assert count(live) == 1


def test_clock_skew_is_corrected_with_sent_at(live):
    now = datetime.now(UTC)
    device_clock = now + timedelta(hours=5)  # the device's clock is five hours fast
    body = {
        "sent_at": device_clock.isoformat(),
        "batch": [
            {
                "event": "e",
                "distinct_id": "a",
                "timestamp": (device_clock - timedelta(minutes=10)).isoformat(),
            }
        ],
    }
    live.post(body)
    stored = live.rows("select timestamp from events")[0]["timestamp"]
    expected = (now - timedelta(minutes=10)).replace(tzinfo=None)
    assert abs((stored - expected).total_seconds()) < 30


def test_epoch_seconds_and_milliseconds_are_both_understood(live):
    moment = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    live.post(
        {
            "batch": [
                {"event": "s", "distinct_id": "a", "timestamp": moment.timestamp()},
                {"event": "ms", "distinct_id": "a", "timestamp": int(moment.timestamp() * 1000)},
            ]
        }
    )
    stamps = {r["event"]: r["timestamp"] for r in live.rows("select event, timestamp from events")}
    assert stamps["s"] == stamps["ms"] == moment.replace(tzinfo=None)


def test_identify_merges_the_anonymous_person(live):
    live.post(
        {
            "batch": [
                {"event": "pageview", "distinct_id": "anon-1"},
                {
                    "event": "$identify",
                    "distinct_id": "user-1",
                    "properties": {"$anon_distinct_id": "anon-1", "$set": {"plan": "pro"}},
                },
                {"event": "signup", "distinct_id": "user-1", "$set_once": {"first_seen": "web"}},
            ]
        }
    )
    persons = live.rows(
        "select distinct coalesce(o.person_id, e.person_id) as p from events e "
        "left join person_overrides o on o.project_id = e.project_id and o.old_person_id = e.person_id"
    )
    assert len(persons) == 1
    props = orjson.loads(live.rows("select properties from persons")[0]["properties"])
    assert props == {"plan": "pro", "first_seen": "web"}


def test_rate_limit_answers_429_with_retry_after(tmp_path):
    with live_app(tmp_path, ingest_rate_per_second=5, max_batch_events=5) as app:
        statuses = [
            app.post({"batch": [{"event": "e", "distinct_id": "a"}] * 5}).status_code
            for _ in range(3)
        ]
        assert 429 in statuses
        limited = app.post({"batch": [{"event": "e", "distinct_id": "a"}] * 5})
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) >= 1
        assert limited.json()["error"]["code"] == "rate_limited"


def test_store_unavailable_answers_503_and_accepts_nothing(live):
    live.runtime.store.close()
    r = live.post({"event": "e", "distinct_id": "a"})
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "store_unavailable"
    assert r.headers["Retry-After"]


def test_batch_over_the_event_limit_is_413(tmp_path):
    with live_app(tmp_path, max_batch_events=10) as app:
        r = app.post({"batch": [{"event": "e", "distinct_id": "a"}] * 11})
        assert r.status_code == 413 and "10 events" in r.json()["error"]["message"]


def test_unknown_routes_use_the_error_shape(live):
    r = live.client.get("/nope")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_capture_answers_carry_cors_and_accept_a_trailing_slash(live):
    r = live.client.post(
        "/v1/events/",
        json={"event": "e", "distinct_id": "a"},
        headers={"Authorization": f"Bearer {live.write_key}", "Origin": "https://shop.example"},
    )
    assert r.status_code == 200 and r.json() == {"accepted": 1, "errors": []}
    assert r.headers["access-control-allow-origin"] == "https://shop.example"
    assert r.headers["content-type"] == "application/json"
    refused = live.client.post("/v1/events", json={"event": "e", "distinct_id": "a"})
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == "*"


def test_an_unexpected_failure_is_a_500_with_the_error_shape(live, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("heron.app.routers.capture.parse_events", broken)
    r = live.post({"event": "e", "distinct_id": "a"})
    assert r.status_code == 500
    assert r.json()["error"] == {
        "code": "internal_error",
        "message": "an unexpected error occurred",
        "details": None,
    }
    assert count(live) == 0


def test_a_preflight_still_answers_for_the_capture_path(live):
    r = live.client.options(
        "/v1/events",
        headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"},
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "https://shop.example"
