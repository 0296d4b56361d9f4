"""``GET /api/projects/{id}/stream``: server-sent events when the project's data changes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import StreamingResponse

from heron.app.access import Action, ProjectAccess, allow
from heron.app.live import LiveFeed
from heron.app.runtime import Runtime

router = APIRouter()
KEEP_ALIVE_SECONDS = 15.0


@router.get("/api/projects/{project_id}/stream")
async def stream(
    request: Request, access: Annotated[ProjectAccess, Depends(allow(Action.READ))]
) -> StreamingResponse:
    runtime: Runtime = request.app.state.runtime
    return StreamingResponse(
        notifications(request, runtime, access.project.id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def notifications(
    request: Request, runtime: Runtime, project_id: int
) -> AsyncIterator[bytes]:
    feed: LiveFeed = runtime.live
    with feed.subscribe(project_id) as queue:
        yield b": connected\n\nretry: 3000\n\n"
        while not await request.is_disconnected():
            try:
                count = await asyncio.wait_for(queue.get(), KEEP_ALIVE_SECONDS)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            while not queue.empty():
                count += queue.get_nowait()
            data = {"data_version": runtime.store.data_version(project_id), "count": count}
            yield b"event: events\ndata: " + orjson.dumps(data) + b"\n\n"
