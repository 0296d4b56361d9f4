"""Sign-in sessions, saved insights, dashboards and dashboard shares.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete=ondelete
    )


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_user_sessions"),
        sa.UniqueConstraint("token_hash", name="uq_user_sessions_token_hash"),
        _fk("user_sessions", "user_id", "users"),
        _fk("user_sessions", "api_key_id", "api_keys"),
    )
    op.create_index("ix_user_sessions_user_id", "user_sessions", ["user_id"])
    op.create_index("ix_user_sessions_api_key_id", "user_sessions", ["api_key_id"])
    for table in ("insights", "dashboards"):
        specific = (
            [
                sa.Column("query", sa.JSON(), nullable=False),
                sa.Column("options", sa.JSON(), nullable=False),
            ]
            if table == "insights"
            else [
                sa.Column("filters", sa.JSON(), nullable=False),
                sa.Column("widgets", sa.JSON(), nullable=False),
            ]
        )
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("project_id", sa.Integer(), nullable=False),
            sa.Column("name", sa.String(200), nullable=False),
            sa.Column("description", sa.String(2000), server_default="", nullable=False),
            *specific,
            sa.Column("created_by", sa.Integer(), nullable=True),
            *_timestamps(),
            sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
            _fk(table, "project_id", "projects"),
            _fk(table, "created_by", "users", ondelete="SET NULL"),
        )
        op.create_index(f"ix_{table}_project_id", table, ["project_id"])
    op.create_table(
        "dashboard_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dashboard_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("permission", sa.String(8), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_dashboard_shares"),
        sa.UniqueConstraint("token_hash", name="uq_dashboard_shares_token_hash"),
        _fk("dashboard_shares", "dashboard_id", "dashboards"),
        _fk("dashboard_shares", "user_id", "users"),
    )
    op.create_index("ix_dashboard_shares_dashboard_id", "dashboard_shares", ["dashboard_id"])
    op.create_index("ix_dashboard_shares_user_id", "dashboard_shares", ["user_id"])


def downgrade() -> None:
    for table in ("dashboard_shares", "dashboards", "insights", "user_sessions"):
        op.drop_table(table)
