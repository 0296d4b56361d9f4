"""Repository functions for saved insights. Every lookup is scoped to one project."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from heron.meta.dashboard_models import Insight
from heron.meta.scoped import delete_owned, get_owned, list_owned, update_owned


def create_insight(
    s: Session,
    project_id: int,
    *,
    name: str,
    query: dict[str, Any],
    description: str = "",
    options: dict[str, Any] | None = None,
    created_by: int | None = None,
) -> Insight:
    insight = Insight(
        project_id=project_id,
        name=name,
        description=description,
        query=query,
        options=options or {},
        created_by=created_by,
    )
    s.add(insight)
    s.flush()
    return insight


def get_insight(s: Session, project_id: int, insight_id: int) -> Insight:
    """The project's insight with this id, or ``NotFoundError``."""
    return get_owned(s, Insight, project_id, insight_id)


def list_insights(s: Session, project_id: int) -> list[Insight]:
    return list_owned(s, Insight, project_id)


def update_insight(
    s: Session, project_id: int, insight_id: int, changes: dict[str, Any]
) -> Insight:
    """Set the given fields (``name``, ``description``, ``query``, ``options``)."""
    insight = get_insight(s, project_id, insight_id)
    return update_owned(s, insight, changes, ("name", "description", "query", "options"))


def delete_insight(s: Session, project_id: int, insight_id: int) -> None:
    delete_owned(s, Insight, project_id, insight_id)
