"""The compat benchmark's request builders against the official SDKs they imitate.

Each SDK, from PyPI and unchanged, sends two events to a loopback server that records the
request; the builder of ``bench/compat_bodies.py`` makes the request for the same events.
Both must agree on method, path, the headers that matter (type, encoding, auth), the JSON
layout (separators) and the shape of the body: the same keys at every level and the same
kinds of values.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qsl

import pytest

from bench import compat_bodies
from bench.compat_bodies import DemoEvent, WireCall

pytestmark = pytest.mark.integration

KEY = "phc_bench_key"
EVENTS = [
    DemoEvent("pageview", "user-1", {"$current_url": "https://example.com/?a=1", "n": 1}),
    DemoEvent("signup", "user-2", {"plan": "pro", "$set": {"email": "a@b.c"}}),
]
HEADERS = ("content-type", "content-encoding", "authorization")
REPLIES = {
    "/2/httpapi": b'{"code":200,"events_ingested":2}',
    "/track": b'{"status":1,"error":null}',
    "/import": b'{"status":1,"error":null,"num_records_imported":2}',
}
Recorded = tuple[str, dict[str, str], bytes]


class Recorder(BaseHTTPRequestHandler):
    seen: ClassVar[list[Recorded]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.seen.append((self.path, headers, body))
        reply = REPLIES.get(self.path.split("?")[0], b'{"status":1}')
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with ThreadingHTTPServer(("127.0.0.1", 0), Recorder) as httpd:
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
        httpd.shutdown()


def send_posthog(url: str) -> None:
    from posthog import Posthog

    client = Posthog(KEY, host=url)
    for e in EVENTS:
        client.capture(e.event, distinct_id=e.distinct_id, properties=e.properties)
    client.shutdown()


def send_segment(url: str) -> None:
    from segment.analytics import Client

    client = Client(KEY, host=url)
    for e in EVENTS:
        client.track(e.distinct_id, e.event, e.properties)
    client.shutdown()


def send_rudder(url: str) -> None:
    from rudderstack.analytics.client import Client

    client = Client(KEY, host=url)
    for e in EVENTS:
        client.track(e.distinct_id, e.event, e.properties)
    client.shutdown()


def _mixpanel(path: str) -> Callable[[str], None]:
    def send(url: str) -> None:
        from mixpanel import BufferedConsumer, Mixpanel

        consumer = BufferedConsumer(events_url=f"{url}/track", import_url=f"{url}/import")
        client = Mixpanel(KEY, consumer=consumer)
        for e in EVENTS:
            if path == "/import":  # the secret as Basic user name, no (deprecated) api_key
                client.import_data(
                    None, e.distinct_id, e.event, time.time(), e.properties, api_secret=KEY
                )
            else:
                client.track(e.distinct_id, e.event, e.properties)
        consumer.flush()

    return send


def _amplitude(path: str) -> Callable[[str], None]:
    def send(url: str) -> None:
        from amplitude import Amplitude, BaseEvent, Config

        client = Amplitude(KEY, Config(server_url=url + path))
        for e in EVENTS:
            client.track(BaseEvent(e.event, user_id=e.distinct_id, event_properties=e.properties))
        client.shutdown()

    return send


CASES: dict[str, tuple[Callable[[str], None], compat_bodies.Builder]] = {
    "posthog": (send_posthog, compat_bodies.posthog_python),
    "segment": (send_segment, compat_bodies.segment_python),
    "rudderstack": (send_rudder, compat_bodies.rudder_python),
    "mixpanel": (_mixpanel("/track"), compat_bodies.mixpanel_track),
    "mixpanel-import": (_mixpanel("/import"), compat_bodies.mixpanel_import),
    "amplitude": (_amplitude("/2/httpapi"), compat_bodies.amplitude_httpapi),
    "amplitude-batch": (_amplitude("/batch"), compat_bodies.amplitude_batch),
}


def text_of(headers: dict[str, str], body: bytes) -> bytes:
    return gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body


def parsed(headers: dict[str, str], body: bytes) -> tuple[Any, dict[str, str]]:
    """The JSON payload and, for a form, its other fields."""
    raw = text_of(headers, body)
    if "x-www-form-urlencoded" in headers.get("content-type", ""):
        form = dict(parse_qsl(raw.decode()))
        return json.loads(form.pop("data")), form
    return json.loads(raw), {}


def shape(value: Any) -> Any:
    """Keys at every level and kinds of values (numbers are one kind: a float time may be
    whole)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    return "number" if isinstance(value, int | float) else type(value).__name__


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_builder_sends_what_the_sdk_sends(url: str, name: str) -> None:
    send, build = CASES[name]
    Recorder.seen.clear()
    send(url)
    assert Recorder.seen, f"{name} sent nothing"
    path, headers, body = Recorder.seen[0]
    built: WireCall = build(EVENTS, KEY, datetime.now(UTC))
    built_headers = {k.lower(): v for k, v in built.headers}
    assert built.target.split("?")[0] == path.split("?")[0]
    assert {h: built_headers.get(h) for h in HEADERS} == {h: headers.get(h) for h in HEADERS}
    sdk_payload, sdk_form = parsed(headers, body)
    our_payload, our_form = parsed(built_headers, built.body)
    assert our_form == sdk_form
    assert shape(our_payload) == shape(sdk_payload)
    separators = (b'": ', b'", "')
    sdk_text, our_text = text_of(headers, body), text_of(built_headers, built.body)
    assert [s in our_text for s in separators] == [s in sdk_text for s in separators]
