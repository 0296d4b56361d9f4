"""Metadata: organizations, projects, users and keys (SQLAlchemy models, Alembic migrations).

Repository functions take a ``Session`` and flush but never commit: callers own the
transaction, e.g. ``with factory.begin() as s: ...``.
"""

from heron.meta import (
    cohort_models,
    dashboard_models,
    metric_models,
    models,
    revenue_models,
    session_models,
)

__all__ = [
    "cohort_models",
    "dashboard_models",
    "metric_models",
    "models",
    "revenue_models",
    "session_models",
]
