"""Project settings, API keys and the project's schema (webapi.md, Project)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import orjson
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from starlette.responses import JSONResponse, Response

from heron.analysis.service import QueryService
from heron.app.access import Action, ProjectAccess, allow
from heron.app.errors import ApiError
from heron.app.principal import RANK
from heron.app.routers.account import project_json
from heron.app.routers.query import query_service
from heron.app.runtime import Runtime
from heron.dashboards import schema
from heron.meta.apikeys import create_api_key, revoke_api_key
from heron.meta.errors import InvalidValueError
from heron.meta.keys import hash_key
from heron.meta.models import ApiKey
from heron.meta.projects import require_project
from heron.meta.roles import Role
from heron.query.cache import cache_key
from heron.query.context import QueryContext
from heron.query.dialects import dialect
from heron.query.runner import Runner

router = APIRouter()
Reader = Annotated[ProjectAccess, Depends(allow(Action.READ))]
Admin = Annotated[ProjectAccess, Depends(allow(Action.ADMIN))]
Service = Annotated[QueryService, Depends(query_service)]


class ProjectPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    timezone: str | None = Field(default=None, max_length=64)
    currency: str | None = Field(default=None, max_length=3)


class NewKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    role: Role = Role.ANALYST


@router.get("/api/projects/{project_id}")
def get_project(access: Reader) -> Response:
    return JSONResponse(project_json(access.project, access.role))


@router.patch("/api/projects/{project_id}")
def patch_project(body: ProjectPatch, access: Admin, request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    try:
        with runtime.meta.begin() as s:
            project = require_project(s, access.project.id)
            for field, value in body.model_dump(exclude_none=True).items():
                setattr(project, field, value)
            s.flush()
            answer = project_json(project, access.role)
    except InvalidValueError as exc:
        raise ApiError(400, "invalid_value", str(exc), details={"field": exc.field}) from None
    return JSONResponse(answer)


def key_json(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.label,
        "prefix": key.prefix,
        "role": key.role,
        "created_at": key.created_at.isoformat(),
        "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
    }


@router.get("/api/projects/{project_id}/api-keys")
def list_keys(access: Admin, request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    with runtime.meta() as s:
        keys = s.scalars(
            select(ApiKey)
            .where(ApiKey.project_id == access.project.id, ApiKey.revoked_at.is_(None))
            .order_by(ApiKey.id)
        )
        return JSONResponse([key_json(k) for k in keys])


@router.post("/api/projects/{project_id}/api-keys", status_code=201)
def new_key(body: NewKey, access: Admin, request: Request) -> Response:
    if RANK[body.role] > RANK[access.role]:
        raise ApiError(403, "forbidden", "a key cannot have a higher role than yours")
    runtime: Runtime = request.app.state.runtime
    with runtime.meta.begin() as s:
        raw = create_api_key(
            s,
            organization_id=access.project.organization_id,
            role=body.role,
            project_id=access.project.id,
            user_id=access.principal.user_id,
            label=body.name,
        )
        key_id = s.scalars(select(ApiKey.id).where(ApiKey.key_hash == hash_key(raw))).one()
    answer = {"id": key_id, "name": body.name, "role": body.role, "key": raw}
    return JSONResponse(answer, status_code=201)


@router.delete("/api/projects/{project_id}/api-keys/{key_id}", status_code=204)
def delete_key(key_id: int, access: Admin, request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    with runtime.meta.begin() as s:
        key = s.get(ApiKey, key_id)
        if key is None or key.project_id != access.project.id or key.revoked_at is not None:
            raise ApiError(404, "not_found", f"no API key with id {key_id} in this project")
        revoke_api_key(s, key_id)
    return Response(status_code=204)


def project_runner(service: QueryService, access: ProjectAccess) -> Runner:
    """A runner scoped to the project, in its timezone."""
    ctx = QueryContext(
        access.project.id, ZoneInfo(access.project.timezone), dialect(service.store.dialect)
    )
    return Runner(service.store, ctx)


@router.get("/api/projects/{project_id}/schema")
def project_schema(access: Reader, service: Service) -> Response:
    version = service.store.data_version(access.project.id)
    key = cache_key("schema", access.project.id, version)
    cached = service.cache.get(key)
    if cached is None:
        runner = project_runner(service, access)
        body = {"events": schema.event_names(runner), "properties": schema.property_keys(runner)}
        cached = orjson.dumps(body)
        service.cache.set(key, cached)
    return Response(cached, media_type="application/json")


@router.get("/api/projects/{project_id}/schema/values")
def property_values(
    access: Reader,
    service: Service,
    key: Annotated[str, Query(min_length=1, max_length=400)],
    source: Literal["event", "person"] = "event",
    event: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    runner = project_runner(service, access)
    values = schema.property_values(runner, key, source, event)
    return JSONResponse({"values": values})
