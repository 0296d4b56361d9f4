"""Saved metrics, metric snapshots, the revenue event log and exchange rates.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _project_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["project_id"], ["projects.id"], name=f"fk_{table}_project_id_projects", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "saved_metrics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.String(2000), server_default="", nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_saved_metrics"),
        sa.UniqueConstraint("project_id", "name", name="uq_saved_metrics_project_id_name"),
        _project_fk("saved_metrics"),
    )
    op.create_index("ix_saved_metrics_project_id", "saved_metrics", ["project_id"])
    op.create_table(
        "revenue_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_revenue_events"),
        sa.UniqueConstraint(
            "project_id",
            "provider",
            "event_id",
            name="uq_revenue_events_project_id_provider_event_id",
        ),
        _project_fk("revenue_events"),
    )
    op.create_index("ix_revenue_events_project_id", "revenue_events", ["project_id"])
    op.create_table(
        "exchange_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_exchange_rates"),
        sa.UniqueConstraint("project_id", "currency", name="uq_exchange_rates_project_id_currency"),
        _project_fk("exchange_rates"),
    )
    op.create_index("ix_exchange_rates_project_id", "exchange_rates", ["project_id"])

    _snapshots()


def _snapshots() -> None:
    series = ("project_id", "metric", "interval", "dimension")
    columns: list[sa.Column[Any]] = [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(100), nullable=False),
        sa.Column("interval", sa.String(8), nullable=False),
        sa.Column("dimension", sa.String(400), server_default="", nullable=False),
    ]
    op.create_table(
        "metric_snapshots",
        *columns,
        sa.Column("bucket", sa.String(40), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_metric_snapshots"),
        sa.UniqueConstraint(
            *series,
            "bucket",
            name="uq_metric_snapshots_project_id_metric_interval_dimension_bucket",
        ),
        _project_fk("metric_snapshots"),
    )
    op.create_index("ix_metric_snapshots_project_id", "metric_snapshots", ["project_id"])
    op.create_table(
        "snapshot_states",
        *(c.copy() for c in columns),
        sa.Column("coverage_start", sa.String(40), nullable=False),
        sa.Column("coverage_end", sa.String(40), nullable=False),
        sa.Column("watermark", sa.DateTime(timezone=True), nullable=True),
        sa.Column("data_version", sa.BigInteger(), nullable=False),
        sa.Column("settings_hash", sa.String(64), server_default="", nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_snapshot_states"),
        sa.UniqueConstraint(
            *series, name="uq_snapshot_states_project_id_metric_interval_dimension"
        ),
        _project_fk("snapshot_states"),
    )
    op.create_index("ix_snapshot_states_project_id", "snapshot_states", ["project_id"])


def downgrade() -> None:
    tables = ("snapshot_states", "metric_snapshots", "exchange_rates", "revenue_events")
    for table in (*tables, "saved_metrics"):
        op.drop_index(f"ix_{table}_project_id", table_name=table)
        op.drop_table(table)
