"""First-run setup: a default organization, project and owner key on an empty database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from heron.meta.apikeys import create_api_key
from heron.meta.models import Project
from heron.meta.projects import create_project, default_organization
from heron.meta.roles import Role

DEFAULT_PROJECT = "Default project"


@dataclass(frozen=True, slots=True)
class DefaultSetup:
    """Credentials created on first run, to be printed once."""

    project_id: int
    write_key: str
    api_key: str


def ensure_default_setup(s: Session) -> DefaultSetup | None:
    """Create the default organization, project and owner key unless a project exists."""
    if s.scalars(select(Project.id).limit(1)).first() is not None:
        return None
    organization = default_organization(s)
    project = create_project(s, DEFAULT_PROJECT, organization_id=organization.id)
    api_key = create_api_key(
        s,
        organization_id=organization.id,
        role=Role.OWNER,
        project_id=project.id,
        label="default owner key",
    )
    return DefaultSetup(project_id=project.id, write_key=project.write_key, api_key=api_key)
