"""``GET .../dashboards/{id}/export?format=pdf|png``: the real page, printed by Chromium.

The browser acts with the caller's authority and no more: the server opens a session for
the caller (the same user, or the same API key) that lives only as long as the time-out,
hands it to the browser as its cookie, and ends it when the export is done.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from heron.app.access import Action, ProjectAccess, allow
from heron.app.dashboard_views import request_overrides, stored_filters
from heron.app.errors import ApiError
from heron.app.principal import SESSION_COOKIE
from heron.app.render import PrintJob, RenderTimeout, RenderUnavailable, render
from heron.app.routers.dashboards import load, slug
from heron.app.runtime import Runtime
from heron.dashboards.spec import DashboardFilters
from heron.meta.sessions import create_session, end_session

router = APIRouter()
FORMATS = {"pdf": "application/pdf", "png": "image/png"}
PASSED_PARAMS = ("date_from", "date_to", "compare", "properties")


@router.get("/api/projects/{project_id}/dashboards/{dashboard_id}/export")
async def export_dashboard(
    dashboard_id: int,
    request: Request,
    access: Annotated[ProjectAccess, Depends(allow(Action.READ))],
    format: str = "pdf",
) -> Response:
    if format not in FORMATS:
        raise ApiError(400, "invalid_format", "use format=pdf or format=png")
    runtime: Runtime = request.app.state.runtime
    settings = runtime.settings
    timeout = settings.export_timeout_seconds
    with runtime.meta() as s:
        dashboard = load(s, access, dashboard_id)
    filters = request_overrides(request).over(stored_filters(dashboard))
    principal = access.principal
    with runtime.meta.begin() as s:
        token = create_session(
            s,
            user_id=principal.user_id if principal.api_key_id is None else None,
            api_key_id=principal.api_key_id,
            ttl=timedelta(seconds=timeout + 30),
        )
    params = {k: v for k, v in request.query_params.items() if k in PASSED_PARAMS}
    base = str(request.base_url).rstrip("/")
    path = f"/projects/{access.project.id}/dashboards/{dashboard_id}"
    job = PrintJob(
        url=f"{base}{path}?{urlencode({'print': '1', **params})}",
        cookie_name=SESSION_COOKIE,
        cookie_value=token,
        format=format,
        title=dashboard.name,
        subtitle=describe(filters),
        timeout_seconds=timeout,
        chromium=settings.chromium_path,
    )
    try:
        body = await render(job)
    except RenderTimeout as exc:
        raise ApiError(504, "export_timeout", str(exc)) from None
    except RenderUnavailable as exc:
        raise ApiError(503, "export_unavailable", f"cannot start a browser: {exc}") from None
    finally:
        with runtime.meta.begin() as s:
            end_session(s, token)
    filename = f"{slug(dashboard.name)}.{format}"
    return Response(
        body,
        media_type=FORMATS[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def describe(filters: DashboardFilters) -> str:
    """The filter values, as printed under the title."""
    parts = [f"From {filters.date_from or 'the start'} to {filters.date_to or 'today'}"]
    parts.extend(
        f"{f.property} {f.operator} {f.value if f.value is not None else ''}".strip()
        for f in filters.properties
    )
    if filters.compare:
        parts.append("compared with the previous period")
    return " · ".join(parts)
