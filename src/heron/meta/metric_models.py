"""Saved (custom) metrics of a project. Migration 0004 must match."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from heron.meta.models import Base, UTCDateTime, utcnow


class SavedMetric(Base):
    """A project's own metric: a formula over series (the metrics layer's JSON), by name."""

    __tablename__ = "saved_metrics"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(2000), default="", server_default="")
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class _Series:
    """The columns naming one snapshot series: project, metric, interval, dimension."""

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    metric: Mapped[str] = mapped_column(String(100))
    interval: Mapped[str] = mapped_column(String(8))
    dimension: Mapped[str] = mapped_column(String(400), default="", server_default="")
    """Breakdown property ("" for none)."""


class MetricSnapshot(_Series, Base):
    """A pre-aggregated metric value: one bucket of one metric, interval and dimension."""

    __tablename__ = "metric_snapshots"
    __table_args__ = (UniqueConstraint("project_id", "metric", "interval", "dimension", "bucket"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(String(40))
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Breakdown value (``"null"`` for none) → the bucket's value."""


class SnapshotState(_Series, Base):
    """How far one snapshot series is computed, and on which data."""

    __tablename__ = "snapshot_states"
    __table_args__ = (UniqueConstraint("project_id", "metric", "interval", "dimension"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    coverage_start: Mapped[str] = mapped_column(String(40))
    coverage_end: Mapped[str] = mapped_column(String(40))
    """Local wall-clock bounds ``[start, end)`` of the computed buckets (ISO)."""
    watermark: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """The newest ``inserted_at`` of the events the values include."""
    data_version: Mapped[int] = mapped_column(BigInteger)
    settings_hash: Mapped[str] = mapped_column(String(64), default="", server_default="")
    """The project's metric settings (event map, options) the values were computed with."""
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
