"""Backoff, answers, batch bodies and the queue."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from heron_sdk._wire import Backoff, Config, Pending, encode_batch, judge, parse_retry_after


def config(**overrides):
    values = dict(
        write_key="wk",
        url="http://h/v1/events",
        batch_size=10,
        flush_interval=1.0,
        max_queue_size=100,
        max_batch_bytes=1000,
        gzip=True,
        timeout=1.0,
        backoff=Backoff(),
        exit_timeout=1.0,
    )
    return Config(**{**values, **overrides})


def test_backoff_is_exponential_with_full_jitter_and_a_cap():
    backoff = Backoff(base=0.5, cap=30.0)
    assert [backoff.delay(n, None, rand=lambda: 1.0) for n in range(8)] == [
        0.5,
        1.0,
        2.0,
        4.0,
        8.0,
        16.0,
        30.0,
        30.0,
    ]
    assert backoff.delay(5, None, rand=lambda: 0.0) == 0.0
    assert backoff.delay(3, None, rand=lambda: 0.25) == 1.0


def test_retry_after_is_a_lower_bound_within_reason():
    backoff = Backoff(base=0.5, cap=30.0, max_retry_after=300.0)
    assert backoff.delay(0, 7.0, rand=lambda: 1.0) == 7.0
    assert backoff.delay(6, 2.0, rand=lambda: 1.0) == 30.0
    assert backoff.delay(0, 10_000.0, rand=lambda: 0.0) == 300.0


def test_retry_after_in_seconds_or_as_a_date():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 0.5 ") == 0.5
    assert parse_retry_after("-2") == 0.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None


def test_answers_are_judged():
    ok = judge(200, None, b'{"accepted": 2, "errors": [{"index": 2}]}', 3)
    assert (ok.kind, ok.accepted, ok.errors) == ("ok", 2, 1)
    assert judge(200, None, b"not json", 3).accepted == 3
    limited = judge(429, "4", b"{}", 3)
    assert (limited.kind, limited.retry_after) == ("retry", 4.0)
    for status in (500, 502, 503, 504, 408):
        assert judge(status, None, b"", 1).kind == "retry"
    for status in (400, 401, 403, 404, 413, 422):
        assert judge(status, "1", b"", 1).kind == "reject"


def test_a_batch_body_carries_sent_at_and_is_gzipped():
    body, headers = encode_batch([b'{"a":1}', b'{"b":2}'], config())
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Authorization"] == "Bearer wk"
    decoded = json.loads(gzip.decompress(body))
    assert decoded["batch"] == [{"a": 1}, {"b": 2}]
    sent_at = datetime.fromisoformat(decoded["sent_at"])
    assert abs(sent_at - datetime.now(UTC)) < timedelta(seconds=5)
    plain, headers = encode_batch([b"{}"], config(gzip=False))
    assert "Content-Encoding" not in headers
    assert json.loads(plain)["batch"] == [{}]


def test_the_queue_is_bounded_and_batches_respect_count_and_bytes():
    pending = Pending(max_size=5, batch_size=3, max_batch_bytes=128 + 2 * 41)
    assert all(pending.push(b"x" * 40) for _ in range(5))
    assert not pending.push(b"x")
    assert len(pending.take()) == 2, "the byte limit cuts the batch"
    pending = Pending(max_size=5, batch_size=3, max_batch_bytes=10_000)
    for i in range(5):
        pending.push(str(i).encode())
    first = pending.take()
    assert first == [b"0", b"1", b"2"]
    pending.give_back(first)
    assert (pending.taken, len(pending)) == (0, 5)
    assert pending.take() == first
    pending.settle(3)
    assert pending.drain() == 2
    assert (pending.enqueued, pending.taken, pending.done) == (5, 5, 5)
