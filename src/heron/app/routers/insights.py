"""Saved insights: a named query with display options (webapi.md, Insights)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse, Response

from heron.app.access import Action, ProjectAccess, allow, require
from heron.app.errors import ApiError
from heron.app.runtime import Runtime
from heron.meta import insights as repo
from heron.meta.dashboard_models import Insight
from heron.meta.errors import NotFoundError
from heron.query.registry import SpecError, parse_spec

router = APIRouter()
BASE = "/api/projects/{project_id}/insights"
Reader = Annotated[ProjectAccess, Depends(allow(Action.READ))]
Editor = Annotated[ProjectAccess, Depends(allow(Action.EDIT))]


class InsightIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    query: dict[str, Any]
    options: dict[str, Any] = Field(default_factory=dict)


class InsightPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    query: dict[str, Any] | None = None
    options: dict[str, Any] | None = None


def insight_json(insight: Insight) -> dict[str, Any]:
    return {
        "id": insight.id,
        "project_id": insight.project_id,
        "name": insight.name,
        "description": insight.description,
        "query": insight.query,
        "options": insight.options,
        "created_at": insight.created_at.isoformat(),
        "updated_at": insight.updated_at.isoformat(),
    }


def checked_query(query: dict[str, Any], access: ProjectAccess) -> dict[str, Any]:
    try:
        parse_spec(query)
    except SpecError as exc:
        raise ApiError(400, "invalid_query", str(exc), details=exc.errors) from None
    if query.get("kind") == "SQLQuery":
        require(access.role, Action.RUN_SQL)
    return query


def found(s: Any, access: ProjectAccess, insight_id: int) -> Insight:
    try:
        return repo.get_insight(s, access.project.id, insight_id)
    except NotFoundError as exc:
        raise ApiError(404, "insight_not_found", str(exc)) from None


@router.get(BASE)
def list_insights(access: Reader, request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    with runtime.meta() as s:
        return JSONResponse([insight_json(i) for i in repo.list_insights(s, access.project.id)])


@router.post(BASE, status_code=201)
def create_insight(body: InsightIn, access: Editor, request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    with runtime.meta.begin() as s:
        insight = repo.create_insight(
            s,
            access.project.id,
            name=body.name,
            description=body.description,
            query=checked_query(body.query, access),
            options=body.options,
            created_by=access.principal.user_id,
        )
        return JSONResponse(insight_json(insight), status_code=201)


@router.get(BASE + "/{insight_id}")
def get_insight(insight_id: int, access: Reader, request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    with runtime.meta() as s:
        return JSONResponse(insight_json(found(s, access, insight_id)))


@router.patch(BASE + "/{insight_id}")
def patch_insight(
    insight_id: int, body: InsightPatch, access: Editor, request: Request
) -> Response:
    changes = body.model_dump(exclude_none=True)
    if body.query is not None:
        checked_query(body.query, access)
    runtime: Runtime = request.app.state.runtime
    with runtime.meta.begin() as s:
        found(s, access, insight_id)
        return JSONResponse(
            insight_json(repo.update_insight(s, access.project.id, insight_id, changes))
        )


@router.delete(BASE + "/{insight_id}", status_code=204)
def delete_insight(insight_id: int, access: Editor, request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    with runtime.meta.begin() as s:
        found(s, access, insight_id)
        repo.delete_insight(s, access.project.id, insight_id)
    return Response(status_code=204)
