"""Repository functions for organizations and projects."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from heron.dashboards.templates import DEFAULT_TEMPLATE, TEMPLATES
from heron.meta.dashboards import create_dashboard
from heron.meta.errors import InvalidValueError, NotFoundError
from heron.meta.keys import new_write_key
from heron.meta.models import Organization, Project

DEFAULT_ORGANIZATION = "Default"
COLUMN_SETTINGS: tuple[str, ...] = ("name", "timezone", "currency")
JSON_SETTINGS: tuple[str, ...] = ("stripe_webhook_secret", "revenuecat_authorization")
KNOWN_SETTINGS: tuple[str, ...] = COLUMN_SETTINGS + JSON_SETTINGS


def create_organization(s: Session, name: str) -> Organization:
    """A new organization named ``name``."""
    organization = Organization(name=name, settings={})
    s.add(organization)
    s.flush()
    return organization


def default_organization(s: Session) -> Organization:
    """The oldest organization named ``Default``, created when there is none."""
    query = select(Organization).where(Organization.name == DEFAULT_ORGANIZATION)
    found = s.scalars(query.order_by(Organization.id).limit(1)).first()
    return found or create_organization(s, DEFAULT_ORGANIZATION)


def get_organization(s: Session, organization_id: int) -> Organization:
    """The organization with this id, or ``NotFoundError``."""
    organization = s.get(Organization, organization_id)
    if organization is None:
        raise NotFoundError(f"no organization with id {organization_id}")
    return organization


def create_project(
    s: Session,
    name: str,
    timezone: str = "UTC",
    organization_id: int | None = None,
    currency: str = "USD",
) -> Project:
    """A new project with a fresh write key, in the given or the default organization.

    It starts with the ``overview`` template dashboard.
    """
    if organization_id is None:
        organization_id = default_organization(s).id
    else:
        get_organization(s, organization_id)
    project = Project(
        organization_id=organization_id,
        name=name,
        timezone=timezone,
        currency=currency,
        write_key=new_write_key(),
        settings={},
    )
    s.add(project)
    s.flush()
    starter = TEMPLATES[DEFAULT_TEMPLATE].dashboard()
    create_dashboard(
        s,
        project.id,
        name=starter["name"],
        description=starter["description"],
        filters=starter["filters"],
        widgets=starter["widgets"],
    )
    return project


def get_project(s: Session, project_id: int) -> Project | None:
    """The project with this id, if any."""
    return s.get(Project, project_id)


def require_project(s: Session, project_id: int) -> Project:
    """The project with this id, or ``NotFoundError``."""
    project = get_project(s, project_id)
    if project is None:
        raise NotFoundError(f"no project with id {project_id}")
    return project


def project_by_write_key(s: Session, key: str) -> Project | None:
    """The project whose public write key is ``key``, if any."""
    return s.scalars(select(Project).where(Project.write_key == key)).first()


def list_projects(s: Session, organization_id: int | None = None) -> list[Project]:
    """All projects (of one organization when given), oldest first."""
    query = select(Project).order_by(Project.id)
    if organization_id is not None:
        query = query.where(Project.organization_id == organization_id)
    return list(s.scalars(query))


def set_project_setting(s: Session, project_id: int, key: str, value: str) -> Project:
    """Set a known setting: ``name``/``timezone``/``currency`` columns, others in ``settings``."""
    if key not in KNOWN_SETTINGS:
        raise InvalidValueError(
            "key", f"unknown setting {key!r}; expected one of {', '.join(KNOWN_SETTINGS)}"
        )
    project = require_project(s, project_id)
    if key in COLUMN_SETTINGS:
        setattr(project, key, value)
    else:
        project.settings = {**project.settings, key: value}
    s.flush()
    return project


def resolve_scope(
    s: Session, organization_id: int | None, project_id: int | None
) -> tuple[int, int | None]:
    """The ``(organization_id, project_id)`` a membership or key applies to, checked.

    A project implies its organization; with neither, the default organization is used.
    """
    if project_id is not None:
        project = require_project(s, project_id)
        if organization_id is not None and organization_id != project.organization_id:
            raise InvalidValueError(
                "project_id", f"project {project_id} is not in organization {organization_id}"
            )
        return project.organization_id, project_id
    if organization_id is not None:
        return get_organization(s, organization_id).id, None
    return default_organization(s).id, None
