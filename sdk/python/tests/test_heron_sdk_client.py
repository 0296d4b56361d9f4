"""The thread-based client against a scripted fake transport."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httpx
import pytest

from heron_sdk import Client

FAST = {"flush_interval": 0.02, "backoff_base": 0.001, "backoff_max": 0.01}


@pytest.fixture
def make(fake):
    clients: list[Client] = []

    def build(**options) -> Client:
        client = Client("wk", "http://heron.test", transport=fake.transport, **{**FAST, **options})
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.shutdown(timeout=5)


def test_events_are_batched_by_size_and_flush_sends_the_rest(fake, make):
    client = make(batch_size=3, flush_interval=60)
    ids = [client.capture("u1", "e", {"n": n}) for n in range(7)]
    assert client.flush(timeout=5)
    assert [len(b) for b in fake.batches] == [3, 3, 1]
    assert [e["uuid"] for e in fake.events] == ids
    assert [e["properties"]["n"] for e in fake.events] == list(range(7))
    assert client.stats.sent == 7


def test_the_interval_sends_without_a_flush(fake, make):
    client = make(batch_size=100, flush_interval=0.05)
    client.capture("u1", "e")
    deadline = time.monotonic() + 5
    while not fake.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(fake.events) == 1


def test_requests_carry_the_key_gzip_and_sent_at(fake, make):
    client = make()
    client.capture("u1", "e")
    client.flush()
    seen = fake.requests[0]
    assert seen.headers["authorization"] == "Bearer wk"
    assert seen.headers["content-encoding"] == "gzip"
    assert seen.body["sent_at"]
    assert seen.headers["content-type"] == "application/json"


def test_identity_calls_send_heron_events(fake, make):
    client = make()
    client.identify("user-1", "anon-1", set={"email": "a@b"}, set_once={"first": "x"})
    client.alias("user-1", "a@b")
    client.group("user-1", "company", "acme", {"name": "Acme"})
    client.set("user-1", {"plan": "pro"})
    client.set_once("user-1", {"source": "ad"})
    client.capture("user-1", "purchase")
    client.capture("user-2", "purchase")
    client.flush()
    events = {(e["event"], e["distinct_id"]): e["properties"] for e in fake.events}
    identify = events["$identify", "user-1"]
    assert identify["$anon_distinct_id"] == "anon-1"
    assert (identify["$set"], identify["$set_once"]) == ({"email": "a@b"}, {"first": "x"})
    assert events["$create_alias", "user-1"]["alias"] == "a@b"
    group = events["$groupidentify", "user-1"]
    assert (group["$group_type"], group["$group_key"], group["$group_set"]) == (
        "company",
        "acme",
        {"name": "Acme"},
    )
    assert events["$set", "user-1"]["$set"] == {"plan": "pro"}
    assert events["$set_once", "user-1"]["$set_once"] == {"source": "ad"}
    assert events["purchase", "user-1"]["$groups"] == {"company": "acme"}
    assert "$groups" not in events["purchase", "user-2"]


def test_a_503_is_retried_with_the_same_uuids(fake, make):
    fake.reply(503, 500)
    client = make()
    client.capture("u1", "a")
    client.capture("u1", "b")
    assert client.flush(timeout=5)
    assert len(fake.requests) == 3
    assert fake.batches[0] == fake.batches[2]
    assert fake.requests[0].body["sent_at"] <= fake.requests[2].body["sent_at"]
    assert (client.stats.sent, client.stats.failed) == (2, 0)


def test_a_429_waits_for_retry_after(fake, make):
    fake.reply((429, {"Retry-After": "0.3"}))
    client = make()
    client.capture("u1", "a")
    client.flush(timeout=5)
    assert len(fake.requests) == 2
    assert fake.requests[1].at - fake.requests[0].at >= 0.3
    assert client.stats.sent == 1


def test_network_errors_are_retried(fake, make):
    fake.reply(httpx.ConnectError("refused"), httpx.ReadTimeout("slow"))
    client = make()
    client.capture("u1", "a")
    client.flush(timeout=5)
    assert len(fake.requests) == 3
    assert client.stats.sent == 1


@pytest.mark.parametrize("status", [400, 401, 413])
def test_refused_batches_are_not_retried_but_counted(fake, make, status):
    fake.reply(status)
    client = make()
    client.capture("u1", "a")
    client.capture("u1", "b")
    client.flush(timeout=5)
    assert len(fake.requests) == 1
    assert (client.stats.rejected, client.stats.sent) == (2, 0)
    client.capture("u1", "c")
    client.flush(timeout=5)
    assert client.stats.sent == 1


def test_retries_run_out(fake, make):
    fake.reply(*[503] * 4)
    client = make(max_retries=2)
    client.capture("u1", "a")
    assert client.flush(timeout=5)
    assert len(fake.requests) == 3
    assert (client.stats.failed, client.stats.sent) == (1, 0)


def test_a_full_queue_drops_and_counts(fake):
    gate = threading.Event()

    def slow(request: httpx.Request) -> httpx.Response:
        gate.wait(5)
        return fake.handle(request)

    client = Client("wk", transport=httpx.MockTransport(slow), max_queue_size=3, batch_size=1)
    try:
        client.capture("u1", "first")
        deadline = time.monotonic() + 5
        while client.queued and time.monotonic() < deadline:
            time.sleep(0.005)
        results = [client.capture("u1", "e") for _ in range(5)]
        assert results[3:] == [None, None]
        assert client.dropped == 2
    finally:
        gate.set()
        client.shutdown(timeout=5)
    assert len(fake.events) == 4


def test_an_event_too_large_for_a_batch_is_refused(fake, make):
    client = make(max_batch_bytes=1000)
    assert client.capture("u1", "big", {"blob": "x" * 2000}) is None
    assert client.stats.rejected == 1


def test_shutdown_flushes_and_drops_later_events(fake):
    client = Client("wk", transport=fake.transport, flush_interval=60)
    client.capture("u1", "a")
    assert client.shutdown(timeout=5)
    assert client.capture("u1", "b") is None
    assert len(fake.events) == 1
    assert client.dropped == 1


def test_shutdown_gives_up_retrying_when_its_time_runs_out(fake):
    fake.reply(*[503] * 100)
    client = Client("wk", transport=fake.transport, backoff_base=5, backoff_max=5)
    client.capture("u1", "a")
    started = time.monotonic()
    assert not client.shutdown(timeout=0.3)
    assert time.monotonic() - started < 3
    assert client.stats.failed == 1


def test_disabled_sends_nothing(fake, make):
    client = make(disabled=True)
    assert client.capture("u1", "a") is None
    client.flush()
    assert fake.requests == []


class Collector(BaseHTTPRequestHandler):
    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        Collector.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        return None


def test_queued_events_are_sent_at_interpreter_exit():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    script = textwrap.dedent(
        f"""
        from heron_sdk import Client
        client = Client("wk", "http://127.0.0.1:{server.server_address[1]}",
                        flush_interval=60, gzip=False)
        for n in range(3):
            client.capture("u1", "at-exit", {{"n": n}})
        """
    )
    try:
        subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    finally:
        server.shutdown()
        server.server_close()
    assert len(Collector.bodies) == 1
    assert Collector.bodies[0].count(b'"at-exit"') == 3


def test_options_are_checked():
    with pytest.raises(ValueError, match="write_key"):
        Client("")
    with pytest.raises(ValueError, match="host"):
        Client("wk", "heron.example.com")
    with pytest.raises(ValueError, match="batch_size"):
        Client("wk", batch_size=0)


def test_an_unexpected_error_drops_the_batch_but_not_the_sender(fake, make):
    fake.reply(RuntimeError("boom"))
    client = make()
    client.capture("u1", "a")
    assert client.flush(timeout=5)
    client.capture("u1", "b")
    assert client.flush(timeout=5)
    assert (client.stats.rejected, client.stats.sent) == (1, 1)
