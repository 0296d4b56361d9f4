"""Roles of a principal: the highest grant covering a project wins."""

from __future__ import annotations

from heron.app.access import Action, permits
from heron.app.principal import Grant, Principal
from heron.meta.roles import Role


def test_highest_covering_grant_wins() -> None:
    p = Principal((Grant(1, None, Role.VIEWER), Grant(1, 7, Role.ADMIN), Grant(2, 9, Role.OWNER)))
    assert p.role_in(1, 7) == Role.ADMIN
    assert p.role_in(1, 8) == Role.VIEWER
    assert p.role_in(2, 9) == Role.OWNER and p.role_in(2, 10) is None
    assert p.role_in(3, 7) is None
    assert p.organization_role(1) == Role.VIEWER
    assert p.organization_role(2) == Role.VIEWER  # a project member reads the organization
    assert p.organization_role(3) is None


def test_policy() -> None:
    assert permits(Role.ANALYST, Action.RUN_SQL) and not permits(Role.COACH, Action.RUN_SQL)
    assert permits(Role.FINANCE, Action.READ) and not permits(Role.FINANCE, Action.EDIT)
    assert not permits(None, Action.READ)
