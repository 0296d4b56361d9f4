"""Authenticating a request: an API key, or a session cookie (with its CSRF check).

``Authorization: Bearer`` wins when present, and needs no CSRF token (a browser never
sends it on its own). A session cookie authenticates too, but then every state-changing
request must echo the session's CSRF token in ``X-CSRF-Token`` (double submit: the same
value is in the JS-readable ``heron_csrf`` cookie).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.orm import Session

from heron.app.errors import ApiError
from heron.app.routers.capture import bearer_token
from heron.app.runtime import Runtime
from heron.meta.accounts import memberships_of
from heron.meta.apikeys import ApiKeyPrincipal, authenticate_api_key
from heron.meta.models import ApiKey, User
from heron.meta.roles import Role
from heron.meta.sessions import csrf_token, find_session, same_token

SESSION_COOKIE = "heron_session"
CSRF_COOKIE = "heron_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RANK = {
    Role.OWNER: 5,
    Role.ADMIN: 4,
    Role.ANALYST: 3,
    Role.FINANCE: 2,
    Role.COACH: 2,
    Role.VIEWER: 1,
}


@dataclass(frozen=True, slots=True)
class Grant:
    """A role in an organization (``project_id`` None) or in one of its projects."""

    organization_id: int
    project_id: int | None
    role: Role


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: a signed-in user, or an API key (possibly a user's)."""

    grants: tuple[Grant, ...]
    user_id: int | None = None
    email: str | None = None
    api_key_id: int | None = None
    session_token: str | None = None

    def role_in(self, organization_id: int, project_id: int) -> Role | None:
        """The highest role any grant gives on this project."""
        return best(
            g.role
            for g in self.grants
            if g.organization_id == organization_id and g.project_id in (None, project_id)
        )

    def organization_role(self, organization_id: int) -> Role | None:
        """An organization-wide role; a member of some of its projects only may read it."""
        mine = [g for g in self.grants if g.organization_id == organization_id]
        wide = best(g.role for g in mine if g.project_id is None)
        return wide or (Role.VIEWER if mine else None)


def best(roles: Iterable[Role]) -> Role | None:
    """The highest of some roles (None for none)."""
    return max(roles, key=RANK.__getitem__, default=None)


def key_principal(key: ApiKeyPrincipal, session_token: str | None = None) -> Principal:
    grant = Grant(key.organization_id, key.project_id, key.role)
    return Principal(
        (grant,), user_id=key.user_id, api_key_id=key.api_key_id, session_token=session_token
    )


def user_principal(s: Session, user: User, session_token: str | None = None) -> Principal:
    grants = tuple(
        Grant(m.organization_id, m.project_id, m.role) for m in memberships_of(s, user.id)
    )
    return Principal(grants, user_id=user.id, email=user.email, session_token=session_token)


def authenticate(request: Request, runtime: Runtime) -> Principal:
    """The request's principal, or 401; a cookie-authenticated write without CSRF gets 403."""
    token = bearer_token(request)
    if token:
        with runtime.meta.begin() as s:
            key = authenticate_api_key(s, token)
        if key is None:
            raise ApiError(401, "invalid_api_key", "unknown or revoked API key")
        return key_principal(key)
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        raise ApiError(
            401,
            "missing_api_key",
            "sign in, or send an API key as 'Authorization: Bearer <api key>'",
        )
    principal = session_principal(runtime, raw)
    if principal is None:
        raise ApiError(401, "session_expired", "your session has ended; sign in again")
    if request.method not in SAFE_METHODS and not same_token(
        request.headers.get(CSRF_HEADER), csrf_token(raw)
    ):
        raise ApiError(403, "csrf_failed", "missing or wrong X-CSRF-Token header")
    return principal


def session_principal(runtime: Runtime, raw: str) -> Principal | None:
    """The principal of a live session token (a user's, or an export's API key)."""
    with runtime.meta.begin() as s:
        session = find_session(s, raw)
        if session is None:
            return None
        if session.api_key_id is not None:
            key = s.get(ApiKey, session.api_key_id)
            if key is None or key.revoked_at is not None:
                return None
            owner = ApiKeyPrincipal(
                key.id, key.user_id, key.organization_id, key.project_id, key.role
            )
            return key_principal(owner, raw)
        user = s.get(User, session.user_id)
        if user is None or not user.is_active:
            return None
        return user_principal(s, user, raw)
