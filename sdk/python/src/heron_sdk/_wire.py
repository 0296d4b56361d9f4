"""What the sync and async clients share on the wire: batches, verdicts, backoff, the queue."""

from __future__ import annotations

import gzip
import json
import logging
import random
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal

from heron_sdk._events import iso_timestamp

log = logging.getLogger("heron_sdk")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
BATCH_OVERHEAD = 128
"""Bytes around the events of a batch body (``{"batch":[...],"sent_at":"..."}``)."""


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with full jitter; a server's ``Retry-After`` is a lower bound."""

    base: float = 0.5
    cap: float = 30.0
    max_retries: int = 8
    max_retry_after: float = 300.0

    def delay(
        self, attempt: int, retry_after: float | None, rand: Callable[[], float] = random.random
    ) -> float:
        """Seconds to wait before retry number ``attempt + 1`` (``attempt`` counts from 0)."""
        jitter = rand() * min(self.cap, self.base * 2.0**attempt)
        if retry_after is None:
            return jitter
        return max(min(retry_after, self.max_retry_after), jitter)


@dataclass(frozen=True, slots=True)
class Config:
    write_key: str
    url: str
    batch_size: int
    flush_interval: float
    max_queue_size: int
    max_batch_bytes: int
    gzip: bool
    timeout: float
    backoff: Backoff
    exit_timeout: float


@dataclass(slots=True)
class Stats:
    """Event counts since the client started.

    ``sent``: accepted by the server. ``rejected``: refused by it (an error entry in a
    ``200``, or a batch answered ``400``/``401``/``413``/other 4xx) or too large to send.
    ``dropped``: not queued because the queue was full (or the client was shut down).
    ``failed``: given up after the last retry, or unsent when shutdown's time ran out.
    """

    sent: int = 0
    rejected: int = 0
    dropped: int = 0
    failed: int = 0

    def copy(self) -> Stats:
        return Stats(self.sent, self.rejected, self.dropped, self.failed)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one request's answer means for its batch."""

    kind: Literal["ok", "retry", "reject"]
    accepted: int = 0
    errors: int = 0
    retry_after: float | None = None
    reason: str = ""


def judge(status: int, retry_after: str | None, body: bytes, size: int) -> Verdict:
    """Classify an answer to a batch of ``size`` events."""
    if 200 <= status < 300:
        try:
            payload = json.loads(body)
            errors = payload.get("errors") or []
            accepted = int(payload.get("accepted", size - len(errors)))
        except (ValueError, AttributeError, TypeError):
            return Verdict("ok", accepted=size)
        for error in errors:
            log.warning("heron rejected an event: %s", error)
        return Verdict("ok", accepted=accepted, errors=len(errors))
    reason = f"HTTP {status}: {body[:300].decode('utf-8', errors='replace')}"
    if status in RETRY_STATUSES:
        return Verdict("retry", retry_after=parse_retry_after(retry_after), reason=reason)
    return Verdict("reject", reason=reason)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def encode_batch(items: Iterable[bytes], config: Config) -> tuple[bytes, dict[str, str]]:
    """The request body (with a fresh ``sent_at``) and headers for one attempt."""
    sent_at = json.dumps(iso_timestamp()).encode()
    body = b'{"batch":[' + b",".join(items) + b'],"sent_at":' + sent_at + b"}"
    headers = {
        "Authorization": f"Bearer {config.write_key}",
        "Content-Type": "application/json",
    }
    if config.gzip:
        body = gzip.compress(body, compresslevel=6, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return body, headers


class Pending:
    """The bounded FIFO of encoded events, with sequence counters for ``flush``.

    ``enqueued`` counts events ever queued, ``taken`` those handed to a request, ``done``
    those settled (sent, rejected or failed). Not thread-safe: callers hold their lock.
    """

    def __init__(self, max_size: int, batch_size: int, max_batch_bytes: int) -> None:
        self._items: deque[bytes] = deque()
        self.max_size = max_size
        self.batch_size = batch_size
        self.max_batch_bytes = max_batch_bytes
        self.enqueued = 0
        self.taken = 0
        self.done = 0

    def __len__(self) -> int:
        return len(self._items)

    def push(self, item: bytes) -> bool:
        if len(self._items) >= self.max_size:
            return False
        self._items.append(item)
        self.enqueued += 1
        return True

    def take(self) -> list[bytes]:
        """Up to ``batch_size`` events whose body stays under ``max_batch_bytes``."""
        batch: list[bytes] = []
        size = BATCH_OVERHEAD
        while self._items and len(batch) < self.batch_size:
            item = self._items[0]
            if batch and size + len(item) + 1 > self.max_batch_bytes:
                break
            batch.append(self._items.popleft())
            size += len(item) + 1
        self.taken += len(batch)
        return batch

    def give_back(self, batch: list[bytes]) -> None:
        """Return an unsettled batch to the front (its task was cancelled mid-request)."""
        self._items.extendleft(reversed(batch))
        self.taken -= len(batch)

    def settle(self, count: int) -> None:
        self.done += count

    def drain(self) -> int:
        """Forget every queued event; returns how many there were."""
        count = len(self._items)
        self._items.clear()
        self.taken += count
        self.done += count
        return count


def settle(stats: Stats, verdict: Verdict, size: int) -> None:
    """Count a batch's final verdict (a ``retry`` here means retries ran out)."""
    if verdict.kind == "ok":
        stats.sent += verdict.accepted
        stats.rejected += verdict.errors
    elif verdict.kind == "reject":
        stats.rejected += size
        log.warning("heron refused a batch of %d events (%s); dropped", size, verdict.reason)
    else:
        stats.failed += size
        log.warning("heron batch of %d events not sent (%s); dropped", size, verdict.reason)
