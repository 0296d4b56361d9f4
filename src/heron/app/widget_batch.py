"""Every widget's data of a dashboard in one streamed answer (newline-delimited JSON).

``GET …/dashboards/{dashboard_id}/data`` and ``GET /api/public/dashboards/{token}/data``
answer first ``{"filters": …}`` (the filters applied: the stored ones, each replaced by a
request parameter when given), then one line per widget with a query, in the order the
results are ready: ``{"widget_id", "data": <envelope>}``, or ``{"widget_id", "error":
{"status", "code", "message", "details"}}`` with what the widget's own ``…/data`` endpoint
would have answered. At most :data:`CONCURRENCY` widgets run at a time, as many as a
browser's connections to one host, so a cold dashboard loads as it did one widget per
request; a cached one arrives in a single round trip.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import anyio
import anyio.to_thread
import orjson
from fastapi import Request
from starlette.responses import StreamingResponse

from heron.analysis.service import QueryService
from heron.app.dashboard_views import request_overrides, stored_filters, widget_result
from heron.app.errors import ApiError
from heron.dashboards.spec import DashboardFilters
from heron.meta.dashboard_models import Dashboard
from heron.meta.models import Project

CONCURRENCY = 6
MEDIA_TYPE = "application/x-ndjson"

WidgetRun = Callable[[str], dict[str, Any]]
"""A widget id → its data envelope; raises :class:`ApiError` as the widget's endpoint would."""


def line(value: dict[str, Any]) -> bytes:
    return orjson.dumps(value) + b"\n"


def filters_line(filters: DashboardFilters) -> bytes:
    return line({"filters": filters.model_dump(mode="json")})


def widget_line(run: WidgetRun, widget_id: str) -> bytes:
    """One widget's line: its envelope, or the error its own endpoint would answer."""
    try:
        return line({"widget_id": widget_id, "data": run(widget_id)})
    except ApiError as exc:
        return error_line(widget_id, exc.status, exc.code, exc.message, exc.details)
    except Exception:
        return error_line(widget_id, 500, "internal_error", "an unexpected error occurred")


def error_line(widget_id: str, status: int, code: str, message: str, details: Any = None) -> bytes:
    error = {"status": status, "code": code, "message": message, "details": details}
    return line({"widget_id": widget_id, "error": error})


def queried(widgets: Sequence[dict[str, Any]]) -> list[str]:
    """The ids of the widgets that have a query, in the dashboard's order."""
    return [str(w["id"]) for w in widgets if w.get("query") is not None and w.get("id")]


async def lines(
    filters: DashboardFilters, widget_ids: Sequence[str], run: WidgetRun
) -> AsyncIterator[bytes]:
    """The filters line, then each widget's line as soon as it is ready."""
    yield filters_line(filters)
    limiter = anyio.CapacityLimiter(CONCURRENCY)
    pending = [
        asyncio.ensure_future(anyio.to_thread.run_sync(widget_line, run, wid, limiter=limiter))
        for wid in widget_ids
    ]
    try:
        for ready in asyncio.as_completed(pending):
            yield await ready
    finally:
        for task in pending:
            task.cancel()


def stream(
    service: QueryService,
    project: Project,
    dashboard: Dashboard,
    request: Request,
    guard: Callable[[str], None],
) -> StreamingResponse:
    """Every queried widget of ``dashboard`` under the request's filters; ``guard`` raises
    :class:`ApiError` for a widget the caller may not read (checked per widget)."""
    overrides = request_overrides(request)

    def run(widget_id: str) -> dict[str, Any]:
        guard(widget_id)
        return widget_result(service, project, dashboard, widget_id, overrides)[1]

    filters = overrides.over(stored_filters(dashboard))
    return StreamingResponse(lines(filters, queried(dashboard.widgets), run), media_type=MEDIA_TYPE)
