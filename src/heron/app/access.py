"""Who may do what: principals, roles and the one dependency every endpoint uses.

A request is authenticated by an API key (``Authorization: Bearer hk_…``) or by the
``heron_session`` cookie; either way it becomes a :class:`Principal` holding role grants
(organization-wide or for one project). :func:`allow` turns an :class:`Action` into a
FastAPI dependency that resolves the project, finds the principal's role in it and
refuses (403 ``forbidden``) unless the role may do the action. The table below is the
whole policy; docs/access.md prints it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Request

from heron.app.errors import ApiError
from heron.app.principal import Grant, Principal, authenticate
from heron.app.runtime import Runtime
from heron.meta.models import Organization, Project
from heron.meta.projects import get_project
from heron.meta.roles import Role


class Action(StrEnum):
    READ = "read"
    """Open dashboards, insights, the schema and widget data; export them; live stream."""
    QUERY = "query"
    """Run ad-hoc queries other than SQL."""
    RUN_SQL = "run_sql"
    """Run ``SQLQuery``."""
    READ_REVENUE = "read_revenue"
    """Read revenue: queries reading the subscription ledger (``RevenueQuery``, such metrics
    of ``MetricQuery``), ad hoc or as dashboard widgets (``heron.metrics.builtins.reads_ledger``)."""
    EDIT = "edit"
    """Create, change, share and delete insights and dashboards."""
    ADMIN = "admin"
    """Change project settings; list, create and revoke API keys."""
    ORGANIZATION = "organization"
    """Change the organization's theme."""


EVERYONE = frozenset(Role)
ANALYSTS = frozenset({Role.OWNER, Role.ADMIN, Role.ANALYST})
ADMINS = frozenset({Role.OWNER, Role.ADMIN})
FINANCE = ADMINS | {Role.FINANCE}
POLICY: dict[Action, frozenset[Role]] = {
    Action.READ: EVERYONE,
    Action.QUERY: EVERYONE,
    Action.RUN_SQL: ANALYSTS,
    Action.READ_REVENUE: FINANCE,
    Action.EDIT: ANALYSTS,
    Action.ADMIN: ADMINS,
    Action.ORGANIZATION: ADMINS,
}


def permits(role: Role | None, action: Action) -> bool:
    return role is not None and role in POLICY[action]


def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the authenticated principal (401 otherwise; 403 on a CSRF miss)."""
    runtime: Runtime = request.app.state.runtime
    return authenticate(request, runtime)


@dataclass(frozen=True, slots=True)
class ProjectAccess:
    principal: Principal
    project: Project
    role: Role

    def may(self, action: Action) -> bool:
        return permits(self.role, action)


def project_for(principal: Principal, project_id: int, runtime: Runtime) -> ProjectAccess:
    """The project and the principal's role in it: 404 when missing, 403 without a role."""
    with runtime.meta() as s:
        project = get_project(s, project_id)
    if project is None:
        raise ApiError(404, "project_not_found", f"no project with id {project_id}")
    role = principal.role_in(project.organization_id, project.id)
    if role is None:
        raise ApiError(403, "forbidden", "you have no access to that project")
    return ProjectAccess(principal, project, role)


def allow(action: Action) -> Callable[..., ProjectAccess]:
    """A dependency for ``/api/projects/{project_id}/…`` admitting roles that may ``action``.

    It authenticates itself rather than depending on :func:`current_principal`: one trip to
    the thread pool per request instead of two."""

    def dependency(project_id: int, request: Request) -> ProjectAccess:
        access = project_for(current_principal(request), project_id, request.app.state.runtime)
        require(access.role, action)
        return access

    return dependency


def require(role: Role | None, action: Action) -> None:
    if not permits(role, action):
        raise ApiError(403, "forbidden", f"your role may not {action.value.replace('_', ' ')}")


@dataclass(frozen=True, slots=True)
class OrganizationAccess:
    principal: Principal
    organization: Organization
    role: Role


def allow_organization(action: Action) -> Callable[..., OrganizationAccess]:
    """A dependency for ``/api/organizations/{org_id}/…``; org-wide grants count."""

    def dependency(
        org_id: int,
        request: Request,
        principal: Annotated[Principal, Depends(current_principal)],
    ) -> OrganizationAccess:
        runtime: Runtime = request.app.state.runtime
        with runtime.meta() as s:
            organization = s.get(Organization, org_id)
        role = principal.organization_role(org_id)
        if organization is None or role is None:
            raise ApiError(404, "organization_not_found", f"no organization with id {org_id}")
        require(role, action)
        return OrganizationAccess(principal, organization, role)

    return dependency


__all__ = ["Action", "Grant", "Principal", "ProjectAccess", "allow", "current_principal"]
