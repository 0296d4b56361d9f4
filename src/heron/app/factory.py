"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from heron.app import errors
from heron.app.cors import IngestCORS
from heron.app.routers import (
    account,
    analytics,
    capture,
    compat,
    dashboards,
    exports,
    groups,
    insights,
    organizations,
    pages,
    projects,
    query,
    shares,
    stream,
    webhooks,
)
from heron.app.runtime import Runtime
from heron.config import Settings
from heron.meta.db import open_meta
from heron.metrics.snapshot_scheduler import SnapshotScheduler
from heron.store.base import open_store


def ingest_paths(app: FastAPI) -> list[str]:
    """Every path served by the capture and vendor-compatible routers."""
    return [
        capture.CAPTURE_PATH,
        *compat.WIRE_ROUTES,
    ]


class HeronApp(FastAPI):
    """FastAPI, except that ingestion (``POST /v1/events`` and the vendor paths) is answered
    before any of its per-request machinery (``heron.app.routers.capture`` and ``compat``)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if capture.is_capture(scope):
            await capture.answer(self.state, scope, receive, send)
            return
        wire = compat.route_for(scope)
        if wire is not None and scope["method"] != "OPTIONS":
            await compat.answer(wire, self.state, scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; its stores open on startup and close (after a final commit) on shutdown."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        meta = open_meta(settings)
        store = open_store(settings.resolved_events_url)
        runtime = Runtime.build(settings, store, meta)
        runtime.live.bind(asyncio.get_running_loop())
        runtime.writer.start()
        snapshots = SnapshotScheduler(store, meta, settings.snapshot_refresh_seconds)
        snapshots.start()
        app.state.runtime = runtime
        try:
            yield
        finally:
            snapshots.stop()
            runtime.writer.stop()
            store.close()

    app = HeronApp(title="Heron", version="0.1.0", lifespan=lifespan)
    errors.install(app)
    app.include_router(query.router)
    app.include_router(groups.router)
    for router in (
        account.router,
        projects.router,
        insights.router,
        dashboards.router,
        shares.router,
        exports.router,
        organizations.router,
        stream.router,
        webhooks.router,
        analytics.router,
        pages.router,
    ):
        app.include_router(router)
    app.add_middleware(IngestCORS, paths=lambda: ingest_paths(app))

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        runtime: Runtime = app.state.runtime
        ok = runtime.writer.healthy
        return JSONResponse({"ok": ok}, status_code=200 if ok else 503)

    return app
