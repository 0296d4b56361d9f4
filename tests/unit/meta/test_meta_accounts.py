"""Users, memberships and password sign-in."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from heron.meta.accounts import authenticate_password, create_user, memberships_of, user_by_email
from heron.meta.apikeys import authenticate_api_key
from heron.meta.errors import DuplicateError, InvalidValueError, NotFoundError
from heron.meta.models import User
from heron.meta.passwords import needs_rehash
from heron.meta.projects import create_project
from heron.meta.roles import Role


def test_password_is_stored_as_argon2_hash(session: Session) -> None:
    user, _ = create_user(session, "Ada@Example.com ", "correct horse", "analyst")
    stored = session.scalars(select(User.password_hash)).one()
    assert user.email == "ada@example.com"
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored


def test_authenticate_password(session: Session) -> None:
    user, _ = create_user(session, "ada@example.com", "s3cret", Role.VIEWER)
    assert authenticate_password(session, "ADA@example.com", "s3cret") is user
    assert authenticate_password(session, "ada@example.com", "wrong") is None
    assert authenticate_password(session, "nobody@example.com", "s3cret") is None
    user.is_active = False
    assert authenticate_password(session, "ada@example.com", "s3cret") is None


def test_outdated_hash_is_upgraded_on_sign_in(session: Session) -> None:
    user, _ = create_user(session, "ada@example.com", "s3cret", "owner")
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash("s3cret")
    assert needs_rehash(user.password_hash)
    assert authenticate_password(session, "ada@example.com", "s3cret") is user
    assert not needs_rehash(user.password_hash)


def test_duplicate_email_is_rejected(session: Session) -> None:
    create_user(session, "ada@example.com", "pw", "owner")
    with pytest.raises(DuplicateError, match="already exists"):
        create_user(session, "ADA@example.com", "pw", "viewer")


@pytest.mark.parametrize("role", ["superuser", "Owner", ""])
def test_unknown_role_is_rejected(session: Session, role: str) -> None:
    with pytest.raises(InvalidValueError) as raised:
        create_user(session, "ada@example.com", "pw", role)
    assert raised.value.field == "role"
    assert "owner, admin, analyst, coach, finance, viewer" in str(raised.value)


def test_bad_email_and_empty_password_are_rejected(session: Session) -> None:
    with pytest.raises(InvalidValueError, match="email"):
        create_user(session, "not-an-email", "pw", "owner")
    with pytest.raises(InvalidValueError, match="password"):
        create_user(session, "ada@example.com", "", "owner")


def test_membership_and_personal_key_follow_the_project(session: Session) -> None:
    project = create_project(session, "p")
    user, raw_key = create_user(session, "coach@example.com", "pw", "coach", project_id=project.id)
    [membership] = memberships_of(session, user.id)
    assert (membership.organization_id, membership.project_id, membership.role) == (
        project.organization_id,
        project.id,
        Role.COACH,
    )
    principal = authenticate_api_key(session, raw_key)
    assert principal is not None
    assert (principal.user_id, principal.project_id, principal.role) == (
        user.id,
        project.id,
        Role.COACH,
    )
    assert user_by_email(session, "Coach@Example.com") is user


def test_organization_wide_user_and_missing_project(session: Session) -> None:
    user, _ = create_user(session, "ada@example.com", "pw", "admin")
    [membership] = memberships_of(session, user.id)
    assert membership.project_id is None
    with pytest.raises(NotFoundError):
        create_user(session, "bob@example.com", "pw", "admin", project_id=12345)
