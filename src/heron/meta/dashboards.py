"""Repository functions for dashboards and their shares. Lookups are scoped to a project.

Widgets arrive already normalised (``heron.dashboards.widgets``); this module stores them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from heron.meta.dashboard_models import Dashboard, DashboardShare
from heron.meta.errors import NotFoundError
from heron.meta.keys import hash_key
from heron.meta.models import utcnow
from heron.meta.scoped import delete_owned, get_owned, list_owned, update_owned


def create_dashboard(
    s: Session,
    project_id: int,
    *,
    name: str,
    widgets: list[dict[str, Any]],
    filters: dict[str, Any] | None = None,
    description: str = "",
    created_by: int | None = None,
) -> Dashboard:
    dashboard = Dashboard(
        project_id=project_id,
        name=name,
        description=description,
        filters=filters or {},
        widgets=widgets,
        created_by=created_by,
    )
    s.add(dashboard)
    s.flush()
    return dashboard


def get_dashboard(s: Session, project_id: int, dashboard_id: int) -> Dashboard:
    """The project's dashboard with this id, or ``NotFoundError``."""
    return get_owned(s, Dashboard, project_id, dashboard_id)


def list_dashboards(s: Session, project_id: int) -> list[Dashboard]:
    return list_owned(s, Dashboard, project_id)


def update_dashboard(
    s: Session, project_id: int, dashboard_id: int, changes: dict[str, Any]
) -> Dashboard:
    """Set the given fields (``name``, ``description``, ``filters``, ``widgets``)."""
    dashboard = get_dashboard(s, project_id, dashboard_id)
    dashboard.updated_at = utcnow()
    return update_owned(s, dashboard, changes, ("name", "description", "filters", "widgets"))


def delete_dashboard(s: Session, project_id: int, dashboard_id: int) -> None:
    delete_owned(s, Dashboard, project_id, dashboard_id)


def add_share(
    s: Session,
    dashboard: Dashboard,
    *,
    permission: str,
    user_id: int | None = None,
    email: str | None = None,
    token: str | None = None,
) -> DashboardShare:
    """Share with a user (or an e-mail not yet signed up), or publicly through ``token``."""
    share = DashboardShare(
        dashboard_id=dashboard.id,
        user_id=user_id,
        email=email,
        permission=permission,
        token_hash=hash_key(token) if token is not None else None,
    )
    s.add(share)
    s.flush()
    return share


def list_shares(s: Session, dashboard_id: int) -> list[DashboardShare]:
    query = (
        select(DashboardShare)
        .where(DashboardShare.dashboard_id == dashboard_id, DashboardShare.revoked_at.is_(None))
        .order_by(DashboardShare.id)
    )
    return list(s.scalars(query))


def revoke_share(s: Session, dashboard_id: int, share_id: int) -> None:
    share = s.get(DashboardShare, share_id)
    if share is None or share.dashboard_id != dashboard_id or share.revoked_at is not None:
        raise NotFoundError(f"no share with id {share_id} on dashboard {dashboard_id}")
    share.revoked_at = utcnow()
    s.flush()


def shared_permission(s: Session, dashboard_id: int, user_id: int, email: str) -> str | None:
    """The best live share of a dashboard with this user (by id or e-mail), if any."""
    query = select(DashboardShare.permission).where(
        DashboardShare.dashboard_id == dashboard_id,
        DashboardShare.revoked_at.is_(None),
        or_(DashboardShare.user_id == user_id, DashboardShare.email == email),
    )
    permissions = set(s.scalars(query))
    return "edit" if "edit" in permissions else "view" if permissions else None


def public_dashboard(s: Session, token: str) -> Dashboard | None:
    """The dashboard a live public token opens, or None."""
    share = s.scalars(
        select(DashboardShare).where(
            DashboardShare.token_hash == hash_key(token), DashboardShare.revoked_at.is_(None)
        )
    ).first()
    return s.get(Dashboard, share.dashboard_id) if share is not None else None
