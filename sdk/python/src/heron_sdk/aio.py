"""The asyncio client: events are queued by the caller and sent by one background task."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
from types import TracebackType
from typing import Unpack

import httpx

from heron_sdk._api import DEFAULT_HOST, BaseClient, Options
from heron_sdk._wire import Verdict, encode_batch, judge, settle


class AsyncClient(BaseClient):
    """The asyncio twin of :class:`heron_sdk.Client`, built on ``httpx.AsyncClient``.

    ``capture``/``identify``/... are plain (non-blocking) methods that queue the event;
    ``await flush()`` and ``await shutdown()`` (or ``async with AsyncClient(...)``) send.
    The sending task starts with the first event queued inside a running loop. Use one
    client from one event loop. Events still queued when the interpreter exits (the loop
    already gone) are sent at exit from a fresh loop, within ``exit_timeout`` seconds.
    """

    def __init__(
        self,
        write_key: str,
        host: str = DEFAULT_HOST,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        **options: Unpack[Options],
    ) -> None:
        super().__init__(write_key, host, **options)
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._progress = asyncio.Event()
        self._abort = asyncio.Event()
        self._flush_target = 0
        self._closing = False
        atexit.register(self._at_exit)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.shutdown()

    def _guard(self) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()

    def _push(self, item: bytes) -> bool:
        if self._closing or not self._pending.push(item):
            self._stats.dropped += 1
            return False
        if self._start() and len(self._pending) in (1, self._config.batch_size):
            self._wake.set()
        return True

    def _start(self) -> bool:
        """Make sure the sending task runs on the current loop; ``False`` outside a loop."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        if self._task is not None and not self._task.done() and self._loop is loop:
            return True
        self._loop = loop
        self._wake, self._progress, self._abort = asyncio.Event(), asyncio.Event(), asyncio.Event()
        self._http = httpx.AsyncClient(transport=self._transport, timeout=self._config.timeout)
        self._task = loop.create_task(self._run(self._http), name="heron-sdk")
        return True

    async def flush(self, timeout: float | None = None) -> bool:
        """Send everything queued so far; ``True`` once it is all settled in time."""
        target = self._pending.enqueued
        self._flush_target = max(self._flush_target, target)
        self._start()
        self._wake.set()
        try:
            async with asyncio.timeout(timeout):
                while self._pending.done < target:
                    self._progress.clear()
                    await self._progress.wait()
        except TimeoutError:
            return False
        return True

    async def shutdown(self, timeout: float | None = None) -> bool:
        """Flush and stop the task; later events are dropped. See ``Client.shutdown``."""
        self._closing = True
        self._start()
        self._wake.set()
        settled = True
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout)
            except TimeoutError:
                settled = False
                self._abort.set()
                self._wake.set()
                await self._task
        if self._http is not None:
            await self._http.aclose()
        atexit.unregister(self._at_exit)
        return settled

    def _at_exit(self) -> None:
        if self._pending:
            asyncio.run(self.shutdown(self._config.exit_timeout))

    def _urgent(self) -> bool:
        return self._closing or self._pending.taken < self._flush_target

    async def _run(self, http: httpx.AsyncClient) -> None:
        loop = asyncio.get_running_loop()
        wake = self._wake
        while True:
            while not self._pending:
                if self._closing:
                    return
                wake.clear()
                await wake.wait()
            deadline = loop.time() + self._config.flush_interval
            while len(self._pending) < self._config.batch_size and not self._urgent():
                left = deadline - loop.time()
                if left <= 0:
                    break
                wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), left)
            if self._abort.is_set():
                self._stats.failed += self._pending.drain()
                self._progress.set()
                continue
            batch = self._pending.take()
            try:
                verdict = await self._deliver(http, batch)
            except asyncio.CancelledError:
                self._pending.give_back(batch)
                raise
            settle(self._stats, verdict, len(batch))
            self._pending.settle(len(batch))
            self._progress.set()

    async def _deliver(self, http: httpx.AsyncClient, batch: list[bytes]) -> Verdict:
        backoff = self._config.backoff
        attempt = 0
        while True:
            verdict = await self._attempt(http, batch)
            if verdict.kind != "retry" or attempt >= backoff.max_retries:
                return verdict
            try:
                await asyncio.wait_for(
                    self._abort.wait(), backoff.delay(attempt, verdict.retry_after)
                )
            except TimeoutError:
                attempt += 1
            else:
                return verdict

    async def _attempt(self, http: httpx.AsyncClient, batch: list[bytes]) -> Verdict:
        body, headers = encode_batch(batch, self._config)
        try:
            response = await http.post(self._config.url, content=body, headers=headers)
        except httpx.TransportError as exc:
            return Verdict("retry", reason=f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # the sender must outlive any one request's failure
            return Verdict("reject", reason=f"{type(exc).__name__}: {exc}")
        retry_after = response.headers.get("retry-after")
        return judge(response.status_code, retry_after, response.content, len(batch))
