"""Dashboards: CRUD, templates, duplicate, widget data and widget exports (webapi.md).

Widget data of a revenue widget (a query reading the subscription ledger, see
:func:`heron.metrics.builtins.reads_ledger`) needs :attr:`Action.READ_REVENUE`, as the same
query does on the query endpoint.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from heron.analysis.service import QueryService
from heron.app import widget_batch
from heron.app.access import Action, ProjectAccess, allow, require
from heron.app.dashboard_views import (
    dashboard_json,
    find_widget,
    request_overrides,
    widget_result,
)
from heron.app.errors import ApiError
from heron.app.routers.query import query_service
from heron.app.runtime import Runtime
from heron.dashboards.exporters import EXPORTERS
from heron.dashboards.snapshot_plan import with_snapshots
from heron.dashboards.spec import DashboardIn, DashboardPatch, Widget
from heron.dashboards.tables import to_table
from heron.dashboards.template_model import Template
from heron.dashboards.templates import TEMPLATES
from heron.dashboards.theme import theme_of
from heron.dashboards.widgets import WidgetError, normalize_widgets
from heron.meta import dashboards as repo
from heron.meta.dashboard_models import Dashboard
from heron.meta.errors import NotFoundError
from heron.meta.models import Organization, Project
from heron.metrics.builtins import reads_ledger

router = APIRouter()
BASE = "/api/projects/{project_id}/dashboards"
Reader = Annotated[ProjectAccess, Depends(allow(Action.READ))]
Editor = Annotated[ProjectAccess, Depends(allow(Action.EDIT))]
Service = Annotated[QueryService, Depends(query_service)]


def checked_widgets(widgets: list[Widget]) -> list[dict[str, Any]]:
    try:
        return normalize_widgets(widgets)
    except WidgetError as exc:
        raise ApiError(400, "invalid_dashboard", str(exc), details=exc.errors) from None


def permission(s: Any, access: ProjectAccess, dashboard: Dashboard) -> str:
    """``edit`` for roles that edit, or through an edit share; else ``view``."""
    if access.may(Action.EDIT):
        return "edit"
    principal = access.principal
    if principal.user_id is not None and principal.api_key_id is None:
        shared = repo.shared_permission(s, dashboard.id, principal.user_id, principal.email or "")
        if shared == "edit":
            return "edit"
    return "view"


def load(s: Any, access: ProjectAccess, dashboard_id: int) -> Dashboard:
    try:
        return repo.get_dashboard(s, access.project.id, dashboard_id)
    except NotFoundError as exc:
        raise ApiError(404, "dashboard_not_found", str(exc)) from None


def require_edit(s: Any, access: ProjectAccess, dashboard: Dashboard) -> None:
    if permission(s, access, dashboard) != "edit":
        raise ApiError(403, "forbidden", "you may view this dashboard but not change it")


@router.get(BASE)
def list_dashboards(access: Reader, request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    with runtime.meta() as s:
        return JSONResponse(
            [
                dashboard_json(d, permission(s, access, d))
                for d in repo.list_dashboards(s, access.project.id)
            ]
        )


def find_template(template_id: str) -> Template:
    template = TEMPLATES.get(template_id)
    if template is None:
        known = ", ".join(TEMPLATES)
        raise ApiError(404, "template_not_found", f"no template {template_id!r}; known: {known}")
    return template


def insert_dashboard(s: Any, access: ProjectAccess, body: DashboardIn) -> Dashboard:
    return repo.create_dashboard(
        s,
        access.project.id,
        name=body.name,
        description=body.description,
        filters=body.filters.model_dump(mode="json"),
        widgets=checked_widgets(body.widgets),
        created_by=access.principal.user_id,
    )


@router.post(BASE, status_code=201)
def create_dashboard(body: DashboardIn, access: Editor, request: Request) -> Response:
    if body.template is not None:
        body = DashboardIn.model_validate(find_template(body.template).dashboard())
    runtime: Runtime = request.app.state.runtime
    with runtime.meta.begin() as s:
        dashboard = insert_dashboard(s, access, body)
        return JSONResponse(dashboard_json(dashboard, "edit"), status_code=201)


@router.post(BASE + "/from-template/{template_id}", status_code=201)
def dashboard_from_template(template_id: str, access: Editor, request: Request) -> Response:
    """The project's dashboard of a template: created once (201), then returned (200).

    A dashboard carrying the template's name counts as made from it. Creating one adds
    the template's metrics to the project's snapshot series.
    """
    template = find_template(template_id)
    body = DashboardIn.model_validate(template.dashboard())
    runtime: Runtime = request.app.state.runtime
    with runtime.meta.begin() as s:
        for existing in repo.list_dashboards(s, access.project.id):
            if existing.name == template.name:
                return JSONResponse(dashboard_json(existing, permission(s, access, existing)))
        dashboard = insert_dashboard(s, access, body)
        project = s.get_one(Project, access.project.id)
        settings = with_snapshots(dict(project.settings or {}), template)
        if settings is not None:
            project.settings = settings
        return JSONResponse(dashboard_json(dashboard, "edit"), status_code=201)


@router.get(BASE + "/{dashboard_id}")
def get_dashboard(dashboard_id: int, access: Reader, request: Request) -> Response:
    """The dashboard, with its organization's theme: the page draws its charts in the theme's
    colours at once, without waiting for the theme's own request."""
    runtime: Runtime = request.app.state.runtime
    with runtime.meta() as s:
        dashboard = load(s, access, dashboard_id)
        body = dashboard_json(dashboard, permission(s, access, dashboard))
        organization = s.get(Organization, access.project.organization_id)
    body["theme"] = theme_of(organization.settings if organization else {}).model_dump(mode="json")
    return Response(orjson.dumps(body), media_type="application/json")


@router.patch(BASE + "/{dashboard_id}")
def patch_dashboard(
    dashboard_id: int, body: DashboardPatch, access: Reader, request: Request
) -> Response:
    changes: dict[str, Any] = body.model_dump(exclude_none=True, exclude={"widgets", "filters"})
    if body.filters is not None:
        changes["filters"] = body.filters.model_dump(mode="json")
    if body.widgets is not None:
        changes["widgets"] = checked_widgets(body.widgets)
    runtime: Runtime = request.app.state.runtime
    with runtime.meta.begin() as s:
        current = load(s, access, dashboard_id)
        require_edit(s, access, current)
        if "widgets" in changes and not access.may(Action.RUN_SQL):
            refuse_new_sql(current.widgets, changes["widgets"])
        dashboard = repo.update_dashboard(s, access.project.id, dashboard_id, changes)
        return JSONResponse(dashboard_json(dashboard, "edit"))


def refuse_new_sql(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> None:
    """An editor through a share, without the right to run SQL, cannot add SQL widgets."""
    kept = [w.get("query") for w in old]
    for widget in new:
        query = widget.get("query")
        if query is not None and query.get("kind") == "SQLQuery" and query not in kept:
            raise ApiError(403, "forbidden", "your role may not run sql")


@router.delete(BASE + "/{dashboard_id}", status_code=204)
def delete_dashboard(dashboard_id: int, access: Editor, request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    with runtime.meta.begin() as s:
        load(s, access, dashboard_id)
        repo.delete_dashboard(s, access.project.id, dashboard_id)
    return Response(status_code=204)


@router.post(BASE + "/{dashboard_id}/duplicate", status_code=201)
def duplicate_dashboard(dashboard_id: int, access: Editor, request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    with runtime.meta.begin() as s:
        original = load(s, access, dashboard_id)
        copy = repo.create_dashboard(
            s,
            access.project.id,
            name=f"{original.name} (copy)"[:200],
            description=original.description,
            filters=dict(original.filters),
            widgets=[dict(w) for w in original.widgets],
            created_by=access.principal.user_id,
        )
        return JSONResponse(dashboard_json(copy, "edit"), status_code=201)


@router.get(BASE + "/{dashboard_id}/widgets/{widget_id}/data")
def widget_data(
    dashboard_id: int, widget_id: str, access: Reader, service: Service, request: Request
) -> Response:
    _, result = readable_widget(dashboard_id, widget_id, access, service, request)
    return Response(orjson.dumps(result), media_type="application/json")


@router.get(BASE + "/{dashboard_id}/data")
async def dashboard_data(
    dashboard_id: int, access: Reader, service: Service, request: Request
) -> Response:
    """Every widget's data, streamed (:mod:`heron.app.widget_batch`)."""
    dashboard = await run_in_threadpool(stored_dashboard, request, access, dashboard_id)
    return widget_batch.stream(
        service,
        access.project,
        dashboard,
        request,
        lambda widget_id: guard_revenue(access, dashboard, widget_id),
    )


def stored_dashboard(request: Request, access: ProjectAccess, dashboard_id: int) -> Dashboard:
    runtime: Runtime = request.app.state.runtime
    with runtime.meta() as s:
        return load(s, access, dashboard_id)


def guard_revenue(access: ProjectAccess, dashboard: Dashboard, widget_id: str) -> None:
    """Revenue widgets are for roles that may read revenue; SQL ones for every reader."""
    if reads_ledger(find_widget(dashboard, widget_id).get("query") or {}):
        require(access.role, Action.READ_REVENUE)


def readable_widget(
    dashboard_id: int,
    widget_id: str,
    access: ProjectAccess,
    service: QueryService,
    request: Request,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A widget of a dashboard the principal may read, and its result under the request's
    filters (:func:`guard_revenue`)."""
    dashboard = stored_dashboard(request, access, dashboard_id)
    guard_revenue(access, dashboard, widget_id)
    overrides = request_overrides(request)
    return widget_result(service, access.project, dashboard, widget_id, overrides)


@router.get(BASE + "/{dashboard_id}/widgets/{widget_id}/export")
def widget_export(
    dashboard_id: int,
    widget_id: str,
    access: Reader,
    service: Service,
    request: Request,
    format: str = "csv",
) -> Response:
    exporter = EXPORTERS.get(format)
    if exporter is None:
        known = ", ".join(EXPORTERS)
        raise ApiError(400, "invalid_format", f"unknown export format {format!r}; use {known}")
    widget, result = readable_widget(dashboard_id, widget_id, access, service, request)
    title = widget.get("title") or widget_id
    table = to_table(widget["query"]["kind"], result["results"])
    filename = f"{slug(title)}.{exporter.extension}"
    return Response(
        exporter.write(table, title),
        media_type=exporter.media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:80] or "export"
