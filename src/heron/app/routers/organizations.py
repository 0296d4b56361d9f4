"""The organization theme (white-label tokens, dark mode) and the widget catalogue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse, Response

from heron.app.access import Action, OrganizationAccess, allow_organization
from heron.app.runtime import Runtime
from heron.dashboards.templates import TEMPLATES
from heron.dashboards.theme import Theme, theme_of
from heron.dashboards.widget_types import WIDGET_TYPES
from heron.meta.models import Organization

router = APIRouter()
THEME = "/api/organizations/{org_id}/theme"


@router.get(THEME)
def get_theme(
    access: Annotated[OrganizationAccess, Depends(allow_organization(Action.READ))],
) -> Response:
    return JSONResponse(theme_of(access.organization.settings).model_dump(mode="json"))


@router.put(THEME)
def put_theme(
    body: Theme,
    access: Annotated[OrganizationAccess, Depends(allow_organization(Action.ORGANIZATION))],
    request: Request,
) -> Response:
    runtime: Runtime = request.app.state.runtime
    theme = body.model_dump(mode="json")
    with runtime.meta.begin() as s:
        organization = s.get(Organization, access.organization.id)
        assert organization is not None
        organization.settings = {**organization.settings, "theme": theme}
    return JSONResponse(theme)


@router.get("/api/widget-types")
def widget_types() -> Response:
    return JSONResponse([t.listing() for t in WIDGET_TYPES.values()])


@router.get("/api/dashboard-templates")
def dashboard_templates() -> Response:
    return JSONResponse([t.listing() for t in TEMPLATES.values()])
