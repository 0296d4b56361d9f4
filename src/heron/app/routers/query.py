"""``POST /api/projects/{project_id}/query``: run a query spec (CONTRACTS.md, Queries)."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from heron.analysis.cohort_store import MetaCohorts
from heron.analysis.service import ProjectInfo, QueryService
from heron.app.access import Action, ProjectAccess, allow, require
from heron.app.errors import ApiError
from heron.app.runtime import Runtime
from heron.meta.models import Project
from heron.metrics.builtins import reads_ledger
from heron.metrics.extensions import meta_extensions
from heron.query.cache import MemoryCache
from heron.query.registry import SpecError
from heron.query.sql import QueryTimeout

router = APIRouter()


class QueryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: dict[str, Any]
    refresh: bool = False


async def query_service(request: Request) -> QueryService:
    """The app's query service, made on first use for the running store (no I/O: answered
    on the event loop, without a trip to the thread pool)."""
    state = request.app.state
    runtime: Runtime = state.runtime
    service: QueryService | None = getattr(state, "query_service", None)
    if service is None or service.store is not runtime.store:
        service = QueryService(
            runtime.store,
            MemoryCache(),
            MetaCohorts(runtime.meta),
            extensions=meta_extensions(runtime.meta),
        )
        state.query_service = service
    return service


@router.post("/api/projects/{project_id}/query")
def run_query(
    body: QueryRequest,
    access: Annotated[ProjectAccess, Depends(allow(Action.QUERY))],
    service: Annotated[QueryService, Depends(query_service)],
) -> Response:
    for action in actions_for(body.query):
        require(access.role, action)
    result = run_spec(service, access.project, body.query, refresh=body.refresh)
    return Response(orjson.dumps(result), media_type="application/json")


def actions_for(spec: dict[str, Any]) -> list[Action]:
    """What running this spec ad hoc needs beyond :attr:`Action.QUERY`."""
    kind = spec.get("kind")
    if kind == "SQLQuery":
        return [Action.RUN_SQL]
    if reads_ledger(spec):
        return [Action.READ_REVENUE]
    return []


def run_spec(
    service: QueryService,
    project: Project,
    spec: dict[str, Any],
    *,
    refresh: bool = False,
    share_activity: bool = False,
) -> dict[str, Any]:
    """The result envelope of a spec, with query errors as API errors."""
    info = ProjectInfo(project.id, project.timezone)
    try:
        return service.run(info, spec, refresh=refresh, share_activity=share_activity)
    except SpecError as exc:
        raise ApiError(400, "invalid_query", str(exc), details=exc.errors) from None
    except QueryTimeout as exc:
        raise ApiError(504, "query_timeout", str(exc)) from None
