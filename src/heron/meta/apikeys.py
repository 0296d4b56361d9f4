"""Repository functions for secret API keys, and the principal a key authenticates as."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from heron.meta.errors import NotFoundError
from heron.meta.keys import API_KEY_PREFIX, hash_key, lookup_prefix, new_api_key
from heron.meta.models import ApiKey, Project, utcnow
from heron.meta.projects import resolve_scope
from heron.meta.roles import Role, parse_role

LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class ApiKeyPrincipal:
    """Who an API key acts for; ``project_id`` None means every project of the organization."""

    api_key_id: int
    user_id: int | None
    organization_id: int
    project_id: int | None
    role: Role


def create_api_key(
    s: Session,
    *,
    organization_id: int,
    role: Role | str,
    project_id: int | None = None,
    user_id: int | None = None,
    label: str = "",
) -> str:
    """A new API key; returns the raw key, which is shown once and stored only hashed."""
    checked_role = parse_role(role)
    org_id, scoped_project = resolve_scope(s, organization_id, project_id)
    raw = new_api_key()
    s.add(
        ApiKey(
            user_id=user_id,
            organization_id=org_id,
            project_id=scoped_project,
            role=checked_role,
            label=label,
            prefix=lookup_prefix(raw),
            key_hash=hash_key(raw),
        )
    )
    s.flush()
    return raw


def authenticate_api_key(s: Session, raw: str) -> ApiKeyPrincipal | None:
    """The principal of a live key, or None; records use at most once a minute."""
    if not raw.startswith(API_KEY_PREFIX):
        return None
    key = s.scalars(select(ApiKey).where(ApiKey.key_hash == hash_key(raw))).first()
    if key is None or key.revoked_at is not None:
        return None
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        key.last_used_at = now
        s.flush()
    return ApiKeyPrincipal(
        api_key_id=key.id,
        user_id=key.user_id,
        organization_id=key.organization_id,
        project_id=key.project_id,
        role=key.role,
    )


def revoke_api_key(s: Session, api_key_id: int) -> None:
    """Revoke a key for good; revoking it again keeps the first revocation time."""
    key = s.get(ApiKey, api_key_id)
    if key is None:
        raise NotFoundError(f"no API key with id {api_key_id}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        s.flush()


def can_access(principal: ApiKeyPrincipal, project: Project) -> bool:
    """Whether the principal may act on ``project``: same organization, and in its scope."""
    return principal.organization_id == project.organization_id and (
        principal.project_id is None or principal.project_id == project.id
    )
