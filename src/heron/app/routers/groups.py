"""``GET /api/projects/{project_id}/groups/types`` and ``GET /api/projects/{project_id}/groups``."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request

from heron.app.access import Action, ProjectAccess, allow
from heron.app.errors import ApiError
from heron.app.runtime import Runtime
from heron.query import groups
from heron.query.context import QueryContext
from heron.query.dialects import dialect
from heron.query.runner import Runner
from heron.store.groups import MAX_TYPE_LENGTH

router = APIRouter()


def project_runner(
    request: Request, access: Annotated[ProjectAccess, Depends(allow(Action.QUERY))]
) -> Runner:
    """A runner scoped to the request's project (for roles that may query it)."""
    runtime: Runtime = request.app.state.runtime
    store = runtime.store
    project = access.project
    ctx = QueryContext(project.id, ZoneInfo(project.timezone), dialect(store.dialect))
    return Runner(store, ctx)


@router.get("/api/projects/{project_id}/groups/types")
def list_group_types(runner: Annotated[Runner, Depends(project_runner)]) -> groups.GroupTypeList:
    return groups.GroupTypeList(results=groups.group_types(runner))


@router.get("/api/projects/{project_id}/groups")
def list_groups(
    runner: Annotated[Runner, Depends(project_runner)],
    group_type: Annotated[str, Query(min_length=1, max_length=MAX_TYPE_LENGTH)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> groups.GroupPage:
    if group_type not in {t.group_type for t in groups.group_types(runner)}:
        raise ApiError(404, "group_type_not_found", f"the project has no group type {group_type!r}")
    return groups.groups(runner, group_type, limit=limit, offset=offset)
