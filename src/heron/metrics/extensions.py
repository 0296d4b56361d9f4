"""Query-service extensions reading the metadata database: metric settings and revenue.

Importing this module registers ``MetricQuery`` and ``RevenueQuery``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from heron.meta.models import Project
from heron.metrics import query as metric_query
from heron.metrics.saved import list_metrics
from heron.metrics.settings import EXTENSION, OPTIONS_KEY, MetricSettings
from heron.metrics.snapshots import SnapshotExtension
from heron.query.registry import SpecError
from heron.revenue import query as revenue_query
from heron.revenue.source import RevenueExtension

KINDS = (metric_query.MetricQuery, revenue_query.RevenueQuery)


class MetricsExtension:
    """Gives ``MetricQuery`` the project's event map, metric options and saved metrics."""

    name = EXTENSION
    kinds = frozenset({"MetricQuery"})

    def __init__(self, meta: sessionmaker[Session]) -> None:
        self.meta = meta

    def load(self, project_id: int) -> tuple[MetricSettings, Any]:
        with self.meta() as s:
            project = s.get(Project, project_id)
            settings = dict(project.settings or {}) if project is not None else {}
            saved = {m.name: m.definition for m in list_metrics(s, project_id)}
        relevant = {k: settings.get(k) for k in ("event_map", OPTIONS_KEY)}
        try:
            value = MetricSettings.from_project(settings, saved)
        except ValueError as exc:
            raise SpecError(
                [{"loc": ["event_map"], "msg": str(exc), "type": "value_error"}]
            ) from None
        return value, {"settings": relevant, "saved": saved}


def meta_extensions(meta: sessionmaker[Session]) -> list[Any]:
    """Every extension a query service over this metadata database offers."""
    return [MetricsExtension(meta), RevenueExtension(meta), SnapshotExtension(meta)]
