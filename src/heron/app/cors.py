"""CORS for the ingest endpoints only.

Browser SDKs post events from the customer's own site, so capture paths accept any origin:
write keys are public and these endpoints only write. Everything else (the query and
management API) stays same-origin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALLOWED_HEADERS = "authorization, content-type, content-encoding"


class IngestCORS:
    """Answers preflights and adds ``Access-Control-Allow-Origin`` on the given paths."""

    def __init__(self, app: ASGIApp, paths: Callable[[], Iterable[str]]) -> None:
        self.app = app
        self._paths = paths
        self._cached: frozenset[str] | None = None

    def covers(self, path: str) -> bool:
        if self._cached is None:
            self._cached = frozenset(p.rstrip("/") for p in self._paths())
        return path.rstrip("/") in self._cached

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.covers(scope["path"]):
            await self.app(scope, receive, send)
            return
        origin = Headers(scope=scope).get("origin")
        if scope["method"] == "OPTIONS":
            headers = {
                "Access-Control-Allow-Origin": origin or "*",
                "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
                "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                "Access-Control-Max-Age": "86400",
                "Vary": "Origin",
            }
            await Response(status_code=204, headers=headers)(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Access-Control-Allow-Origin"] = origin or "*"
                headers.append("Vary", "Origin")
            await send(message)

        await self.app(scope, receive, send_with_cors)
