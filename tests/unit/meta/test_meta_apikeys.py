"""Secret API keys: hashed storage, authentication, revocation and scope."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from heron.meta.apikeys import (
    ApiKeyPrincipal,
    authenticate_api_key,
    can_access,
    create_api_key,
    revoke_api_key,
)
from heron.meta.errors import InvalidValueError, NotFoundError
from heron.meta.keys import hash_key, lookup_prefix
from heron.meta.models import ApiKey, Project
from heron.meta.projects import create_organization, create_project
from heron.meta.roles import Role


@pytest.fixture
def project(session: Session) -> Project:
    return create_project(session, "p")


def test_key_is_stored_hashed(session: Session, project: Project) -> None:
    raw = create_api_key(session, organization_id=project.organization_id, role="analyst")
    assert re.fullmatch(r"hk_[A-Za-z0-9_-]{40}", raw)
    stored = session.scalars(select(ApiKey)).one()
    assert stored.key_hash == hash_key(raw) != raw
    assert stored.prefix == raw[:8]
    assert raw not in {stored.key_hash, stored.label, stored.prefix}


def test_authenticate_returns_the_principal(session: Session, project: Project) -> None:
    raw = create_api_key(
        session, organization_id=project.organization_id, role=Role.FINANCE, project_id=project.id
    )
    principal = authenticate_api_key(session, raw)
    key = session.scalars(select(ApiKey)).one()
    assert principal == ApiKeyPrincipal(
        api_key_id=key.id,
        user_id=None,
        organization_id=project.organization_id,
        project_id=project.id,
        role=Role.FINANCE,
    )


@pytest.mark.parametrize("raw", ["", "hk_", "hk_" + "A" * 40, "hw_" + "A" * 32, "Bearer x"])
def test_unknown_keys_fail(session: Session, project: Project, raw: str) -> None:
    create_api_key(session, organization_id=project.organization_id, role="owner")
    assert authenticate_api_key(session, raw) is None


def test_revoked_key_fails(session: Session, project: Project) -> None:
    raw = create_api_key(session, organization_id=project.organization_id, role="owner")
    key_id = session.scalars(select(ApiKey.id)).one()
    revoke_api_key(session, key_id)
    revoked_at = session.get(ApiKey, key_id).revoked_at  # type: ignore[union-attr]
    assert revoked_at is not None
    assert authenticate_api_key(session, raw) is None
    revoke_api_key(session, key_id)
    assert session.get(ApiKey, key_id).revoked_at == revoked_at  # type: ignore[union-attr]
    with pytest.raises(NotFoundError):
        revoke_api_key(session, key_id + 1)


def test_last_used_is_recorded_at_most_once_a_minute(session: Session, project: Project) -> None:
    raw = create_api_key(session, organization_id=project.organization_id, role="viewer")
    key = session.scalars(select(ApiKey)).one()
    assert key.last_used_at is None
    authenticate_api_key(session, raw)
    first = key.last_used_at
    assert first is not None and first.tzinfo is not None
    authenticate_api_key(session, raw)
    assert key.last_used_at == first
    key.last_used_at = first - timedelta(minutes=2)
    authenticate_api_key(session, raw)
    assert key.last_used_at is not None and key.last_used_at > first - timedelta(seconds=1)


def test_bad_role_and_foreign_project_are_rejected(session: Session, project: Project) -> None:
    with pytest.raises(InvalidValueError, match="role"):
        create_api_key(session, organization_id=project.organization_id, role="root")
    other = create_organization(session, "Other")
    with pytest.raises(InvalidValueError, match="not in organization"):
        create_api_key(session, organization_id=other.id, role="owner", project_id=project.id)


def test_can_access(session: Session, project: Project) -> None:
    sibling = create_project(session, "sibling")
    other = create_organization(session, "Other")
    foreign = create_project(session, "foreign", organization_id=other.id)
    org_wide = ApiKeyPrincipal(1, None, project.organization_id, None, Role.VIEWER)
    scoped = ApiKeyPrincipal(2, None, project.organization_id, project.id, Role.OWNER)
    assert can_access(org_wide, project) and can_access(org_wide, sibling)
    assert not can_access(org_wide, foreign)
    assert can_access(scoped, project)
    assert not can_access(scoped, sibling)
    assert not can_access(scoped, foreign)


@given(raw=st.text(min_size=1, max_size=60))
def test_hash_and_prefix_are_stable(raw: str) -> None:
    digest = hash_key(raw)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert hash_key(raw) == digest
    assert lookup_prefix(raw) == raw[:8]
    assert hash_key(raw + "x") != digest


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    role=st.sampled_from(list(Role)),
    scoped=st.booleans(),
    label=st.text(max_size=50).filter(lambda t: "\x00" not in t),
)
def test_create_then_authenticate_round_trip(
    session: Session, project: Project, role: Role, scoped: bool, label: str
) -> None:
    project_id = project.id if scoped else None
    raw = create_api_key(
        session,
        organization_id=project.organization_id,
        role=role,
        project_id=project_id,
        label=label,
    )
    principal = authenticate_api_key(session, raw)
    assert principal is not None
    assert (principal.organization_id, principal.project_id, principal.role) == (
        project.organization_id,
        project_id,
        role,
    )
    assert authenticate_api_key(session, raw[:-1]) is None
