"""The thread-based client: events are queued by the caller and sent by one daemon thread."""

from __future__ import annotations

import atexit
import threading
import time
from types import TracebackType
from typing import Unpack

import httpx

from heron_sdk._api import DEFAULT_HOST, BaseClient, Options
from heron_sdk._wire import Verdict, encode_batch, judge, settle


class Client(BaseClient):
    """Sends events to Heron's ``POST /v1/events`` in batches from a background thread.

    Events go out when ``batch_size`` are queued or ``flush_interval`` seconds after the
    first one; failed requests (network errors, ``429``, ``5xx``) are retried with
    exponential backoff and full jitter, waiting at least the server's ``Retry-After``.
    Each event carries its own uuid, so a retried batch is stored once. ``flush()`` blocks
    until everything queued so far is settled; the queue is flushed at interpreter exit.
    """

    def __init__(
        self,
        write_key: str,
        host: str = DEFAULT_HOST,
        *,
        transport: httpx.BaseTransport | None = None,
        **options: Unpack[Options],
    ) -> None:
        super().__init__(write_key, host, **options)
        self._http = httpx.Client(transport=transport, timeout=self._config.timeout)
        self._cond = threading.Condition()
        self._flush_target = 0
        self._closing = False
        self._abort = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heron-sdk", daemon=True)
        self._thread.start()
        atexit.register(self._at_exit)

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.shutdown()

    def _guard(self) -> threading.Condition:
        return self._cond

    def _push(self, item: bytes) -> bool:
        with self._cond:
            if self._closing or not self._pending.push(item):
                self._stats.dropped += 1
                return False
            if len(self._pending) in (1, self._config.batch_size):
                self._cond.notify_all()
        return True

    def flush(self, timeout: float | None = None) -> bool:
        """Send everything queued so far now; ``True`` once it is all settled in time."""
        with self._cond:
            target = self._pending.enqueued
            self._flush_target = max(self._flush_target, target)
            self._cond.notify_all()
            return self._cond.wait_for(lambda: self._pending.done >= target, timeout)

    def shutdown(self, timeout: float | None = None) -> bool:
        """Flush, stop the thread and close the connection pool. Later events are dropped.

        If the queue is not settled within ``timeout`` seconds, retries stop and what is
        left is counted as failed; returns whether everything was settled in time.
        """
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join(timeout)
        settled = not self._thread.is_alive()
        if not settled:
            self._abort.set()
            with self._cond:
                self._cond.notify_all()
            self._thread.join()
        self._http.close()
        atexit.unregister(self._at_exit)
        return settled

    def _at_exit(self) -> None:
        self.shutdown(self._config.exit_timeout)

    def _urgent(self) -> bool:
        return self._closing or self._pending.taken < self._flush_target

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending:
                    if self._closing:
                        return
                    self._cond.wait()
                deadline = time.monotonic() + self._config.flush_interval
                while len(self._pending) < self._config.batch_size and not self._urgent():
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
                if self._abort.is_set():
                    self._stats.failed += self._pending.drain()
                    self._cond.notify_all()
                    continue
                batch = self._pending.take()
            verdict = self._deliver(batch)
            with self._cond:
                settle(self._stats, verdict, len(batch))
                self._pending.settle(len(batch))
                self._cond.notify_all()

    def _deliver(self, batch: list[bytes]) -> Verdict:
        backoff = self._config.backoff
        attempt = 0
        while True:
            verdict = self._attempt(batch)
            if verdict.kind != "retry" or attempt >= backoff.max_retries:
                return verdict
            if self._abort.wait(backoff.delay(attempt, verdict.retry_after)):
                return verdict
            attempt += 1

    def _attempt(self, batch: list[bytes]) -> Verdict:
        body, headers = encode_batch(batch, self._config)
        try:
            response = self._http.post(self._config.url, content=body, headers=headers)
        except httpx.TransportError as exc:
            return Verdict("retry", reason=f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # the sender must outlive any one request's failure
            return Verdict("reject", reason=f"{type(exc).__name__}: {exc}")
        retry_after = response.headers.get("retry-after")
        return judge(response.status_code, retry_after, response.content, len(batch))
