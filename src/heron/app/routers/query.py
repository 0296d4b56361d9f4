"""``POST /api/projects/{project_id}/query``: run a query spec (CONTRACTS.md, Queries)."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from heron.analysis.cohort_store import MetaCohorts
from heron.analysis.service import ProjectInfo, QueryService
from heron.app.auth import project_access
from heron.app.errors import ApiError
from heron.app.runtime import Runtime
from heron.meta.models import Project
from heron.query.cache import MemoryCache
from heron.query.registry import SpecError
from heron.query.sql import QueryTimeout

router = APIRouter()


class QueryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: dict[str, Any]
    refresh: bool = False


def query_service(request: Request) -> QueryService:
    """The app's query service, made on first use for the running store."""
    state = request.app.state
    runtime: Runtime = state.runtime
    service: QueryService | None = getattr(state, "query_service", None)
    if service is None or service.store is not runtime.store:
        service = QueryService(runtime.store, MemoryCache(), MetaCohorts(runtime.meta))
        state.query_service = service
    return service


@router.post("/api/projects/{project_id}/query")
def run_query(
    body: QueryRequest,
    project: Annotated[Project, Depends(project_access)],
    service: Annotated[QueryService, Depends(query_service)],
) -> Response:
    try:
        result = service.run(
            ProjectInfo(project.id, project.timezone), body.query, refresh=body.refresh
        )
    except SpecError as exc:
        raise ApiError(400, "invalid_query", str(exc), details=exc.errors) from None
    except QueryTimeout as exc:
        raise ApiError(504, "query_timeout", str(exc)) from None
    return Response(orjson.dumps(result), media_type="application/json")
