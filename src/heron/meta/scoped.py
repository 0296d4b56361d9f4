"""Generic repository steps for rows owned by one project (every lookup checks the owner)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from heron.meta.errors import NotFoundError


class ProjectOwned(Protocol):
    id: Any
    project_id: Any


Row = TypeVar("Row", bound=ProjectOwned)


def get_owned(s: Session, model: type[Row], project_id: int, row_id: int) -> Row:
    """The project's row with this id, or ``NotFoundError`` (also for another project's)."""
    row = s.get(model, row_id)
    if row is None or row.project_id != project_id:
        noun = model.__name__.lower()
        raise NotFoundError(f"no {noun} with id {row_id} in project {project_id}")
    return row


def list_owned(s: Session, model: type[Row], project_id: int) -> list[Row]:
    """The project's rows, oldest first."""
    owner: InstrumentedAttribute[Any] = model.project_id
    return list(s.scalars(select(model).where(owner == project_id).order_by(model.id)))


def update_owned(s: Session, row: Row, changes: dict[str, Any], fields: Iterable[str]) -> Row:
    """Set the ``fields`` present in ``changes``."""
    for field in fields:
        if field in changes:
            setattr(row, field, changes[field])
    s.flush()
    return row


def delete_owned(s: Session, model: type[Row], project_id: int, row_id: int) -> None:
    s.delete(get_owned(s, model, project_id, row_id))
    s.flush()
