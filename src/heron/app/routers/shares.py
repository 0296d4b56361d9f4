"""Sharing a dashboard with users, e-mails or a public link; the public read-only API.

A public link carries ``secrets.token_urlsafe(32)`` (32 random bytes); only its SHA-256
is stored. Public endpoints resolve the token to one dashboard and can run only the
stored query of one of its widgets: no spec is ever taken from the request.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from heron.analysis.service import QueryService
from heron.app import widget_batch
from heron.app.access import Action, ProjectAccess, allow
from heron.app.dashboard_views import (
    dashboard_json,
    find_widget,
    request_overrides,
    widget_result,
)
from heron.app.errors import ApiError
from heron.app.routers.dashboards import load, require_edit
from heron.app.routers.query import query_service
from heron.app.runtime import Runtime
from heron.dashboards.theme import theme_of
from heron.meta import dashboards as repo
from heron.meta.accounts import user_by_email
from heron.meta.dashboard_models import Dashboard, DashboardShare
from heron.meta.errors import InvalidValueError, NotFoundError
from heron.meta.models import Organization, Project, User
from heron.meta.validation import normalize_email
from heron.metrics.builtins import reads_ledger

router = APIRouter()
BASE = "/api/projects/{project_id}/dashboards/{dashboard_id}/shares"
Reader = Annotated[ProjectAccess, Depends(allow(Action.READ))]
Service = Annotated[QueryService, Depends(query_service)]


class ShareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: int | None = None
    email: str | None = Field(default=None, max_length=320)
    public: bool = False
    permission: Literal["view", "edit"] = "view"

    @model_validator(mode="after")
    def _one_target(self) -> ShareIn:
        targets = sum([self.user_id is not None, self.email is not None, self.public])
        if targets != 1:
            raise ValueError("give exactly one of user_id, email or public: true")
        if self.public and self.permission != "view":
            raise ValueError("a public link is read-only")
        return self


def share_json(share: DashboardShare, token: str | None = None) -> dict[str, Any]:
    public = share.token_hash is not None
    body: dict[str, Any] = {
        "id": share.id,
        "permission": share.permission,
        "user_id": share.user_id,
        "email": share.email,
        "public": public,
        "created_at": share.created_at.isoformat(),
    }
    if token is not None:
        body["url"] = f"/public/{token}"
    return body


@router.post(BASE, status_code=201)
def add_share(dashboard_id: int, body: ShareIn, access: Reader, request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    with runtime.meta.begin() as s:
        dashboard = load(s, access, dashboard_id)
        require_edit(s, access, dashboard)
        token = secrets.token_urlsafe(32) if body.public else None
        user_id, email = body.user_id, None
        if body.email is not None:
            try:
                email = normalize_email(body.email)
            except InvalidValueError as exc:
                raise ApiError(400, "invalid_value", str(exc)) from None
            user = user_by_email(s, email)
            user_id = user.id if user is not None else None
        elif user_id is not None:
            user = s.get(User, user_id)
            if user is None:
                raise ApiError(404, "user_not_found", f"no user with id {user_id}")
            email = user.email
        share = repo.add_share(
            s, dashboard, permission=body.permission, user_id=user_id, email=email, token=token
        )
        return JSONResponse(share_json(share, token), status_code=201)


@router.get(BASE)
def list_shares(dashboard_id: int, access: Reader, request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    with runtime.meta() as s:
        load(s, access, dashboard_id)
        return JSONResponse([share_json(share) for share in repo.list_shares(s, dashboard_id)])


@router.delete(BASE + "/{share_id}", status_code=204)
def revoke_share(dashboard_id: int, share_id: int, access: Reader, request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    with runtime.meta.begin() as s:
        require_edit(s, access, load(s, access, dashboard_id))
        try:
            repo.revoke_share(s, dashboard_id, share_id)
        except NotFoundError as exc:
            raise ApiError(404, "share_not_found", str(exc)) from None
    return Response(status_code=204)


def public_target(request: Request, token: str) -> tuple[Dashboard, Project, Organization]:
    """The dashboard of a live public token, with its project and organization; else 404."""
    runtime: Runtime = request.app.state.runtime
    with runtime.meta() as s:
        dashboard = repo.public_dashboard(s, token) if len(token) <= 200 else None
        project = s.get(Project, dashboard.project_id) if dashboard is not None else None
        organization = s.get(Organization, project.organization_id) if project is not None else None
    if dashboard is None or project is None or organization is None:
        raise ApiError(404, "not_found", "this link does not exist or was revoked")
    return dashboard, project, organization


@router.get("/api/public/dashboards/{token}")
def public_dashboard(token: str, request: Request) -> Response:
    dashboard, project, organization = public_target(request, token)
    body = dashboard_json(dashboard, "view", with_queries=False)
    body["project"] = {"id": project.id, "name": project.name, "timezone": project.timezone}
    body["theme"] = theme_of(organization.settings).model_dump(mode="json")
    return JSONResponse(body)


@router.get("/api/public/dashboards/{token}/widgets/{widget_id}/data")
def public_widget_data(token: str, widget_id: str, request: Request, service: Service) -> Response:
    dashboard, project, _ = public_target(request, token)
    refuse_revenue(dashboard, widget_id)
    overrides = request_overrides(request)
    _, result = widget_result(service, project, dashboard, widget_id, overrides)
    return Response(orjson.dumps(result), media_type="application/json")


@router.get("/api/public/dashboards/{token}/data")
async def public_dashboard_data(token: str, request: Request, service: Service) -> Response:
    """Every widget's data, streamed (:mod:`heron.app.widget_batch`)."""
    dashboard, project, _ = await run_in_threadpool(public_target, request, token)
    return widget_batch.stream(
        service, project, dashboard, request, lambda widget_id: refuse_revenue(dashboard, widget_id)
    )


def refuse_revenue(dashboard: Dashboard, widget_id: str) -> None:
    if reads_ledger(find_widget(dashboard, widget_id).get("query") or {}):
        raise ApiError(
            403,
            "revenue_not_public",
            "revenue widgets are not served on public links; share the dashboard with the "
            "users who may read revenue",
        )
