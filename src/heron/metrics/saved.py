"""Custom metrics: validated formula metrics saved per project under a name."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from heron.meta.errors import InvalidValueError, NotFoundError
from heron.meta.metric_models import SavedMetric
from heron.metrics.builtins import BUILTINS
from heron.metrics.formula_metric import FormulaMetric

NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}$")


def validate_metric(name: str, definition: Any) -> FormulaMetric:
    """A custom metric's definition, or :class:`InvalidValueError` naming the problem."""
    if not NAME.match(name):
        raise InvalidValueError(
            "name", "a metric name is 1–100 lowercase letters, digits or _, starting with a letter"
        )
    if name in BUILTINS:
        raise InvalidValueError("name", f"{name!r} is a built-in metric; choose another name")
    if not isinstance(definition, dict):
        raise InvalidValueError("definition", "a metric definition must be a JSON object")
    try:
        return FormulaMetric.model_validate(definition)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'definition'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors(include_url=False)
        )
        raise InvalidValueError("definition", problems) from None


def save_metric(s: Session, project_id: int, name: str, definition: Any) -> SavedMetric:
    """Create or replace the project's metric ``name`` (validated, stored canonical)."""
    checked = validate_metric(name, definition)
    stored = checked.model_dump(mode="json", exclude_defaults=True)
    found = get_metric(s, project_id, name)
    if found is None:
        found = SavedMetric(
            project_id=project_id, name=name, definition=stored, description=checked.description
        )
        s.add(found)
    else:
        found.definition = stored
        found.description = checked.description
    s.flush()
    return found


def get_metric(s: Session, project_id: int, name: str) -> SavedMetric | None:
    query = select(SavedMetric).where(
        SavedMetric.project_id == project_id, SavedMetric.name == name
    )
    return s.scalars(query).first()


def list_metrics(s: Session, project_id: int) -> list[SavedMetric]:
    query = select(SavedMetric).where(SavedMetric.project_id == project_id)
    return list(s.scalars(query.order_by(SavedMetric.name)))


def delete_metric(s: Session, project_id: int, name: str) -> None:
    found = get_metric(s, project_id, name)
    if found is None:
        raise NotFoundError(f"no metric named {name!r} in this project")
    s.delete(found)
    s.flush()
