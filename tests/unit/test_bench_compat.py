"""The compat bench's pure parts: SDK-shaped bodies decode to the same canonical events.

Each builder's request goes through the adapter that serves its path (the same decode and
validation as the endpoint) and must give, event for event, the native endpoint's events:
same names, distinct ids and application properties, one fresh uuid each, no errors.
"""

from __future__ import annotations

import gzip
import shutil
import threading
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from bench import compat, compat_bodies, compat_decode, replay, wrk
from bench.compat_bodies import DemoEvent, WireCall
from bench.compat_report import render
from heron.events import CanonicalEvent
from heron.ingest.adapters.base import to_events
from heron.ingest.parse import Limits, decode_body, envelope, parse_events

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
RECEIVED_US = int(NOW.timestamp() * 1_000_000) + 500_000
KEY = "hw_bench-key"
LIMITS = Limits()
SDK_KEYS = {"$lib", "$lib_version", "$os", "$os_version"}
"""Properties an SDK sets itself, over the application's value."""

EVENTS = [
    DemoEvent(
        "pageview",
        "user-1",
        {"$current_url": "https://example.com/a?x=1&y=2", "$os": "iOS", "n": 3, "ok": True},
    ),
    DemoEvent("$identify", "user-2", {"$anon_distinct_id": "anon-9", "$set": {"plan": "pro"}}),
    DemoEvent("signup", "user-3", {"nested": {"a": [1, 2]}, "text": "é ü & = + %"}),
    DemoEvent("$create_alias", "user-4", {"alias": "user-4-old"}),
]


def decoded(call: WireCall) -> tuple[list[CanonicalEvent], str | None]:
    """The canonical events the server would store from ``call``, and the key it names."""
    request = replace(compat_decode.wire_request(call, LIMITS), received_us=RECEIVED_US)
    if request.path == compat_decode.NATIVE_PATH:
        body = decode_body(call.body, request.headers.get("content-encoding"), LIMITS)
        events, errors = parse_events(
            envelope(body, LIMITS), received_us=RECEIVED_US, limits=LIMITS
        )
        assert errors == []
        return events, request.headers["authorization"].removeprefix("Bearer ")
    adapter = compat_decode.adapter_for(request.path)
    batch = adapter.decode(request)
    events, accepted, errors = to_events(adapter, batch, RECEIVED_US, LIMITS)
    assert errors == [] and accepted == len(EVENTS)
    return events, batch.key


def summary(event: CanonicalEvent) -> tuple[str, str, dict[str, Any]]:
    kept = {k: v for k, v in event.properties.items() if k in EVENTS_KEYS and k not in SDK_KEYS}
    return event.event, event.distinct_id, kept


EVENTS_KEYS = {key for e in EVENTS for key in e.properties}
ALL = [*compat.ENDPOINTS, compat.native(len(EVENTS))]


@pytest.mark.parametrize("endpoint", ALL, ids=lambda e: e.name)
def test_sdk_bodies_decode_to_the_native_events(endpoint: compat.Endpoint) -> None:
    native, _ = decoded(compat_bodies.heron_native(EVENTS, KEY, NOW))
    call = endpoint.build(EVENTS, KEY, NOW)
    events, key = decoded(call)
    assert key == KEY
    assert call.events == len(EVENTS) == len(events)
    assert [summary(e) for e in events] == [summary(e) for e in native]
    for event, demo in zip(events, EVENTS, strict=True):
        expected = {k: v for k, v in demo.properties.items() if k not in SDK_KEYS}
        assert {k: event.properties.get(k) for k in expected} == expected
    assert len({e.uuid for e in events}) == len(events)
    again, _ = decoded(endpoint.build(EVENTS, KEY, NOW))
    assert not {e.uuid for e in events} & {e.uuid for e in again}, "each build has fresh ids"
    seconds = [abs(e.timestamp_us - RECEIVED_US) / 1e6 for e in events]
    assert max(seconds) < 5, "stamped as a live event, close to the receipt time"


def test_wire_details_match_the_sdks() -> None:
    rudder = compat_bodies.rudder_python(EVENTS, KEY, NOW)
    assert dict(rudder.headers)["Content-Encoding"] == "gzip"
    assert gzip.decompress(rudder.body).startswith(b'{"batch": [{"integrations": {"All": true}')
    posthog_js = compat_bodies.posthog_js(EVENTS, KEY, NOW)
    assert "compression=gzip-js" in posthog_js.target and posthog_js.body[:2] == b"\x1f\x8b"
    mixpanel = compat_bodies.mixpanel_track(EVENTS, KEY, NOW)
    assert mixpanel.body.startswith(b"data=%5B%7B%22event%22") and mixpanel.body.endswith(
        b"&verbose=1&ip=0"
    )
    segment = compat_bodies.segment_python(EVENTS, KEY, NOW)
    assert dict(segment.headers)["Authorization"] == "Basic aHdfYmVuY2gta2V5Og=="


def test_chunks_keep_only_full_batches() -> None:
    events = EVENTS * 3
    assert [len(c) for c in compat_bodies.chunks(events, 5)] == [5, 5]
    assert [len(c) for c in compat_bodies.chunks(events, 12)] == [12]


def test_plan_runs_native_first_at_each_batch_size() -> None:
    rows = compat.plan(compat.ENDPOINTS)
    assert [r.batch for r in rows] == sorted(r.batch for r in rows)
    for batch in {r.batch for r in rows}:
        same = [r for r in rows if r.batch == batch]
        assert same[0].native and not any(r.native for r in same[1:])


def test_requests_file_layout() -> None:
    calls = [
        WireCall(
            "POST", "/e/?compression=gzip-js", (("Content-Type", "text/plain"),), b"\n\x00x", 3
        ),
        WireCall("POST", "/v1/batch", (("A", "b: c"), ("D", "")), b"{}", 1),
    ]
    encoded = replay.encode(calls, replay.Accept("each", '^{"status":1}$'))
    assert encoded == (
        b'BENCH-REPLAY each ^{"status":1}$\n'
        b"POST /e/?compression=gzip-js 1 3 3\nContent-Type: text/plain\n\n\x00x"
        b"POST /v1/batch 2 1 2\nA: b: c\nD: \n{}"
    )
    with pytest.raises(ValueError):
        replay.encode([WireCall("POST", "/a b", (), b"", 1)], replay.NATIVE_ACCEPT)
    with pytest.raises(ValueError):
        replay.encode([WireCall("POST", "/a", (("X", "1\n2"),), b"", 1)], replay.NATIVE_ACCEPT)
    with pytest.raises(ValueError):
        replay.encode([], replay.NATIVE_ACCEPT)


def test_replay_script_redefines_the_hooks(tmp_path: Path) -> None:
    script = replay.write_script(tmp_path).read_text()
    assert script.startswith(wrk.LUA)
    assert script.count("function load_requests(args)") == 2
    assert script.count("function accepted_in(body)") == 2


Seen = tuple[str, dict[str, str], bytes]


class _Recorder(BaseHTTPRequestHandler):
    """Records every request (path, headers, body); answers like PostHog, alternately
    accepting and refusing."""

    seen: ClassVar[list[Seen]] = []

    def answer(self) -> bytes:
        return b'{"status":1}' if len(self.seen) % 2 else b'{"status":0}'

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        answer = self.answer()
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


class _Native(_Recorder):
    """Answers like ``POST /v1/events``."""

    seen: ClassVar[list[Seen]] = []

    def answer(self) -> bytes:
        return b'{"accepted":2,"errors":[]}'


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_replay_sends_each_request_once_as_built(tmp_path: Path) -> None:
    calls = [
        compat_bodies.posthog_js(EVENTS, KEY, NOW),
        compat_bodies.segment_python(EVENTS, KEY, NOW),
        compat_bodies.mixpanel_track(EVENTS, KEY, NOW),
        compat_bodies.rudder_python(EVENTS, KEY, NOW),
    ]
    requests = replay.write_requests(calls, compat.POSTHOG_OK, tmp_path / "requests")
    _Recorder.seen.clear()
    with ThreadingHTTPServer(("127.0.0.1", 0), _Recorder) as httpd:
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        # a long deadline: the run ends when the pool is used up
        result = replay.run(url, replay.write_script(tmp_path), requests, connections=2, seconds=60)
        httpd.shutdown()
    seen = [(path, headers["content-type"], body) for path, headers, body in _Recorder.seen]
    assert result.drained and result.sent == len(seen) >= len(calls) - compat.POOL_SLACK
    built = {(c.target, dict(c.headers)["Content-Type"], c.body) for c in calls}
    assert len(set(seen)) == len(seen) and set(seen) <= built, "each request at most once"
    assert result.accepted == len(EVENTS) * ((len(seen) + 1) // 2)


def _row(
    endpoint: compat.Endpoint, *events_per_second: float, cpu_us: float = 100.0, decode_us: float
) -> compat.Row:
    row = compat.Row(endpoint, 16, 100, 2048.0, decode_us=decode_us)
    for rate in events_per_second:
        accepted = int(rate * 3)
        row.runs.append(wrk.WrkResult(3.0, 10, 10, 10, 0, accepted, 0, 0, 5.0, 9.0))
        row.stored.append(accepted)
        row.server_cpu.append(accepted * cpu_us / 1e6)
    return row


def test_report_ratios_and_targets() -> None:
    posthog, mixpanel = compat.ENDPOINTS[0], compat.ENDPOINTS[4]
    config = compat.Config(quick=True, seconds=3.0, connections=16, pool=1000, rounds=3)
    run = compat.Run(config, "synthetic", "0, 0, 0")
    run.rows = [
        _row(compat.native(100), 1000.0, 2000.0, 1000.0, decode_us=5.0),
        _row(posthog, 900.0, 1000.0, 2000.0, decode_us=20.0),
        _row(compat.native(50), 1000.0, 1000.0, 1000.0, decode_us=5.0),
        _row(mixpanel, 700.0, 700.0, 800.0, cpu_us=120.0, decode_us=55.0),
    ]
    table = render(run)[1]
    by_label = {row[0]: row for row in table.rows}
    ratio_at, target_at = table.columns.index("÷ native (events/s)"), table.columns.index("target")
    estimate_at = table.columns.index("÷ native (estimated)")
    assert by_label[posthog.label][ratio_at] == "0.90×", "median of 0.90, 0.50 and 2.00"
    assert by_label[posthog.label][table.columns.index("events/s")] == "1,000"
    assert by_label[posthog.label][estimate_at] == "0.87×", "100 µs ÷ (100 + 20 − 5)"
    assert by_label[posthog.label][target_at] == "≥ 0.80×: measured ✓ · estimated ✓"
    assert by_label[mixpanel.label][estimate_at] == "0.67×", "100 µs ÷ (100 + 55 − 5)"
    assert by_label[mixpanel.label][target_at] == "≥ 0.80×: measured ✗ · estimated ✗"
    assert by_label[mixpanel.label][table.columns.index("server CPU/event")] == "120 µs"
    assert all(row[-1] == "✓" for row in table.rows)
    run.rows[1].stored[0] -= 1
    assert render(run)[1].rows[1][-1] == "✗ 11,699 of 11,700"


@pytest.mark.parametrize("endpoint", [compat.native(2), compat.ENDPOINTS[0]], ids=lambda e: e.name)
def test_decode_cost_handles_every_event(endpoint: compat.Endpoint) -> None:
    calls = [endpoint.build(EVENTS[:2], KEY, NOW), endpoint.build(EVENTS[2:], KEY, NOW)]
    assert sum(compat_decode.handle(call, LIMITS) for call in calls) == len(EVENTS)
    assert compat_decode.cost_us_per_event(calls, repeats=2) > 0


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_the_ingest_suites_line_script_still_posts_native_bodies(tmp_path: Path) -> None:
    bodies_file = tmp_path / "bodies.txt"
    bodies_file.write_bytes(b'{"batch":[1]}\n{"batch":[2]}\n')
    with ThreadingHTTPServer(("127.0.0.1", 0), _Native) as httpd:
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        script = wrk.write_script(tmp_path)
        result = wrk.run(url, script, bodies_file, "hw_key", connections=1, seconds=0.2)
        httpd.shutdown()
    assert result.drained and result.sent == len(_Native.seen) >= 1
    sent_to = {(path, headers["authorization"]) for path, headers, _ in _Native.seen}
    assert sent_to == {("/v1/events", "Bearer hw_key")}
    assert {body for *_, body in _Native.seen} <= {b'{"batch":[1]}', b'{"batch":[2]}'}
    assert result.accepted == 2 * result.ok
