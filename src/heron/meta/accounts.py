"""Repository functions for users, their memberships and password sign-in."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from heron.meta.apikeys import create_api_key
from heron.meta.errors import DuplicateError, InvalidValueError
from heron.meta.models import Membership, User
from heron.meta.passwords import hash_password, needs_rehash, verify_nothing, verify_password
from heron.meta.projects import resolve_scope
from heron.meta.roles import Role, parse_role
from heron.meta.validation import normalize_email


def create_user(
    s: Session,
    email: str,
    password: str,
    role: Role | str,
    project_id: int | None = None,
    organization_id: int | None = None,
) -> tuple[User, str]:
    """A new user with a membership and a personal API key; returns ``(user, raw_api_key)``."""
    checked_role = parse_role(role)
    normalized = normalize_email(email)
    if not password:
        raise InvalidValueError("password", "must not be empty")
    if user_by_email(s, normalized) is not None:
        raise DuplicateError(f"a user with e-mail {normalized!r} already exists")
    org_id, scoped_project = resolve_scope(s, organization_id, project_id)
    user = User(email=normalized, password_hash=hash_password(password), is_active=True)
    s.add(user)
    s.flush()
    s.add(
        Membership(
            user_id=user.id, organization_id=org_id, project_id=scoped_project, role=checked_role
        )
    )
    raw_key = create_api_key(
        s,
        organization_id=org_id,
        role=checked_role,
        project_id=scoped_project,
        user_id=user.id,
        label="personal",
    )
    return user, raw_key


def user_by_email(s: Session, email: str) -> User | None:
    """The user with this e-mail (compared lower-cased), if any."""
    return s.scalars(select(User).where(User.email == email.strip().lower())).first()


def authenticate_password(s: Session, email: str, password: str) -> User | None:
    """The active user with these credentials, or None; upgrades outdated hashes."""
    user = user_by_email(s, email)
    if user is None:
        verify_nothing(password)
        return None
    if not verify_password(user.password_hash, password) or not user.is_active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        s.flush()
    return user


def memberships_of(s: Session, user_id: int) -> list[Membership]:
    """The memberships of a user."""
    return list(s.scalars(select(Membership).where(Membership.user_id == user_id)))
