"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.responses import JSONResponse

from heron.app import errors
from heron.app.cors import IngestCORS
from heron.app.routers import capture, compat, query
from heron.app.runtime import Runtime
from heron.config import Settings
from heron.meta.db import open_meta
from heron.store.base import open_store


def ingest_paths(app: FastAPI) -> list[str]:
    """Every path served by the capture and vendor-compatible routers."""
    return [
        route.path
        for router in (capture.router, compat.router)
        for route in router.routes
        if hasattr(route, "path")
    ]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; its stores open on startup and close (after a final commit) on shutdown."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        meta = open_meta(settings)
        store = open_store(settings.resolved_events_url)
        runtime = Runtime.build(settings, store, meta)
        runtime.writer.start()
        app.state.runtime = runtime
        try:
            yield
        finally:
            runtime.writer.stop()
            store.close()

    app = FastAPI(title="Heron", version="0.1.0", lifespan=lifespan)
    errors.install(app)
    app.include_router(capture.router)
    app.include_router(query.router)
    app.include_router(compat.router)
    app.add_middleware(IngestCORS, paths=lambda: ingest_paths(app))

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        runtime: Runtime = app.state.runtime
        ok = runtime.writer.healthy
        return JSONResponse({"ok": ok}, status_code=200 if ok else 503)

    return app
