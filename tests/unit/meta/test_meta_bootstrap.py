"""First-run setup."""

from __future__ import annotations

from sqlalchemy.orm import Session

from heron.meta.apikeys import authenticate_api_key, can_access
from heron.meta.bootstrap import ensure_default_setup
from heron.meta.projects import create_project, get_project, project_by_write_key
from heron.meta.roles import Role


def test_empty_database_gets_default_project_and_owner_key(session: Session) -> None:
    setup = ensure_default_setup(session)
    assert setup is not None
    project = get_project(session, setup.project_id)
    assert project is not None and project.name == "Default project"
    assert project_by_write_key(session, setup.write_key) is project
    principal = authenticate_api_key(session, setup.api_key)
    assert principal is not None
    assert principal.role is Role.OWNER and principal.project_id == project.id
    assert can_access(principal, project)
    assert ensure_default_setup(session) is None


def test_existing_project_means_no_setup(session: Session) -> None:
    create_project(session, "mine")
    assert ensure_default_setup(session) is None
