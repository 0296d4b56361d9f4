"""API-key authentication: ``Authorization: Bearer <api key>`` → the key's principal.

``401`` when the key is missing, unknown or revoked; ``404`` for a project that does not
exist; ``403`` for a project outside the key's organization or project scope.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from heron.app.errors import ApiError
from heron.app.routers.capture import bearer_token
from heron.app.runtime import Runtime
from heron.meta.apikeys import ApiKeyPrincipal, authenticate_api_key, can_access
from heron.meta.models import Project
from heron.meta.projects import get_project


def api_key_principal(request: Request) -> ApiKeyPrincipal:
    """FastAPI dependency: the principal of the request's API key, or 401."""
    token = bearer_token(request)
    if not token:
        raise ApiError(
            401, "missing_api_key", "send an API key as 'Authorization: Bearer <api key>'"
        )
    runtime: Runtime = request.app.state.runtime
    with runtime.meta.begin() as s:
        principal = authenticate_api_key(s, token)
    if principal is None:
        raise ApiError(401, "invalid_api_key", "unknown or revoked API key")
    return principal


def project_access(
    project_id: int,
    request: Request,
    principal: Annotated[ApiKeyPrincipal, Depends(api_key_principal)],
) -> Project:
    """FastAPI dependency for ``/api/projects/{project_id}/…``: the project, if the key may use it."""
    runtime: Runtime = request.app.state.runtime
    with runtime.meta() as s:
        project = get_project(s, project_id)
    if project is None:
        raise ApiError(404, "project_not_found", f"no project with id {project_id}")
    if not can_access(principal, project):
        raise ApiError(403, "forbidden", "this API key has no access to that project")
    return project
