"""Repository functions for saved cohorts. Every lookup is scoped to one project.

Definitions are stored as given; the query layer validates them
(``heron.analysis.cohort_store.save_cohort`` checks before it calls :func:`create_cohort`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from heron.meta.cohort_models import Cohort
from heron.meta.errors import NotFoundError
from heron.meta.projects import require_project


def create_cohort(
    s: Session, project_id: int, name: str, definition: dict[str, Any], description: str = ""
) -> Cohort:
    """A new cohort of ``project_id``."""
    require_project(s, project_id)
    cohort = Cohort(
        project_id=project_id, name=name, description=description, definition=definition
    )
    s.add(cohort)
    s.flush()
    return cohort


def get_cohort(s: Session, project_id: int, cohort_id: int) -> Cohort | None:
    """The cohort with this id if it belongs to ``project_id``."""
    cohort = s.get(Cohort, cohort_id)
    return cohort if cohort is not None and cohort.project_id == project_id else None


def require_cohort(s: Session, project_id: int, cohort_id: int) -> Cohort:
    """The project's cohort with this id, or ``NotFoundError``."""
    cohort = get_cohort(s, project_id, cohort_id)
    if cohort is None:
        raise NotFoundError(f"no cohort with id {cohort_id} in project {project_id}")
    return cohort


def list_cohorts(s: Session, project_id: int) -> list[Cohort]:
    """The project's cohorts, oldest first."""
    query = select(Cohort).where(Cohort.project_id == project_id).order_by(Cohort.id)
    return list(s.scalars(query))


def update_cohort(
    s: Session,
    project_id: int,
    cohort_id: int,
    *,
    name: str | None = None,
    definition: dict[str, Any] | None = None,
    description: str | None = None,
) -> Cohort:
    """Change the given fields of a project's cohort."""
    cohort = require_cohort(s, project_id, cohort_id)
    if name is not None:
        cohort.name = name
    if definition is not None:
        cohort.definition = definition
    if description is not None:
        cohort.description = description
    s.flush()
    return cohort


def delete_cohort(s: Session, project_id: int, cohort_id: int) -> None:
    """Delete a project's cohort."""
    s.delete(require_cohort(s, project_id, cohort_id))
    s.flush()
