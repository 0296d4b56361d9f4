"""Headless Chromium for browser tests, through Playwright, and a local site to load.

The browser is Debian's ``chromium`` package (``/usr/bin/chromium``); Playwright's own
browser downloads are never used. Tests that need it skip, with the reason, only when
that binary is absent. Use the fixtures by importing them into a test module (or a
conftest): ``from tests.e2e.browser import browser, page``. :class:`Site` serves pages and
static files and forwards API paths to a backend (e.g. a ``heron serve`` subprocess), so
a page and the API share an origin, or not, as a test needs.
"""

from __future__ import annotations

import mimetypes
import threading
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium per test module.

    Not per session: while Playwright's sync API runs, its event loop is the running loop
    of this thread, so ``asyncio.run`` fails; module scope confines that to the module.
    """
    if not CHROMIUM.exists():
        pytest.skip(f"headless browser tests need {CHROMIUM} (Debian package 'chromium')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page in its own browser context (no shared cookies or storage)."""
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()


@dataclass
class Forwarded:
    """One request a :class:`Site` passed on to its backend."""

    method: str
    path: str
    headers: dict[str, str]
    """As sent, names in lower case."""
    body: bytes
    status: int | None
    """The backend's status, or ``None`` when the reply was lost on purpose."""


class Site:
    """A local web server for browser tests, in a thread.

    A ``GET`` under a prefix of ``static`` serves a file of that directory; any other
    ``GET`` answers ``page`` (HTML, settable later). Requests to the ``forward`` paths go to
    ``backend`` with their headers and body, and its answer (CORS headers included) comes
    back; each is recorded in ``forwarded``. The first ``lose`` forwarded replies are lost
    on purpose: the backend handled the request, the connection closes unanswered.
    """

    def __init__(
        self,
        *,
        static: Mapping[str, Path] | None = None,
        page: str = "",
        backend: str | None = None,
        forward: Collection[str] = ("/v1/events",),
        lose: int = 0,
    ) -> None:
        self.static = dict(static or {})
        self.page = page
        self.backend = backend
        self.forward_paths = frozenset(forward)
        self.lose = lose
        self.forwarded: list[Forwarded] = []
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                site._handle(self)

            do_POST = do_OPTIONS = do_PUT = do_PATCH = do_DELETE = do_GET

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __enter__(self) -> Site:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def snapshot(self) -> list[Forwarded]:
        with self._lock:
            return list(self.forwarded)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?")[0]
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        if self.backend is not None and path in self.forward_paths:
            return self._forward(handler, body)
        if handler.command != "GET":
            return _answer(handler, 405, b"method not allowed", {})
        for prefix, directory in self.static.items():
            if path.startswith(prefix):
                file = (directory / path.removeprefix(prefix)).resolve()
                if not file.is_file() or not file.is_relative_to(directory.resolve()):
                    return _answer(handler, 404, b"not found", {})
                kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                return _answer(handler, 200, file.read_bytes(), {"Content-Type": kind})
        _answer(handler, 200, self.page.encode(), {"Content-Type": "text/html; charset=utf-8"})

    def _forward(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        assert self.backend is not None
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _REQUEST_HOP}
        reply = httpx.request(
            handler.command, self.backend + handler.path, content=body, headers=headers, timeout=30
        )
        with self._lock:
            lost = self.lose > 0
            self.lose -= lost
            status = None if lost else reply.status_code
            sent = {k.lower(): v for k, v in handler.headers.items()}
            record = Forwarded(handler.command, handler.path, sent, body, status)
            self.forwarded.append(record)
        if lost:
            handler.close_connection = True
            return
        passed = {k: v for k, v in reply.headers.items() if k.lower() not in _REPLY_HOP}
        _answer(handler, reply.status_code, reply.content, passed)


_REQUEST_HOP = frozenset({"host", "content-length", "connection"})
_REPLY_HOP = frozenset({"content-length", "content-encoding", "transfer-encoding", "connection"})


def _answer(
    handler: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]
) -> None:
    handler.send_response(status)
    for key, value in headers.items():
        handler.send_header(key, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
