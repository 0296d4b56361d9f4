"""Repository functions for sign-in sessions: opaque tokens, stored only as SHA-256.

The CSRF token of a session is derived from its raw token (a keyed hash with its own
prefix), so it needs no storage and cannot be computed from what the database holds.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from heron.meta.keys import hash_key
from heron.meta.models import utcnow
from heron.meta.session_models import UserSession

SESSION_TTL = timedelta(days=14)


def create_session(
    s: Session,
    *,
    user_id: int | None = None,
    api_key_id: int | None = None,
    ttl: timedelta = SESSION_TTL,
) -> str:
    """A new session for a user (or, for exports, an API key); returns the raw token."""
    if (user_id is None) == (api_key_id is None):
        raise ValueError("a session belongs to exactly one user or API key")
    raw = secrets.token_urlsafe(32)
    s.add(
        UserSession(
            user_id=user_id,
            api_key_id=api_key_id,
            token_hash=hash_key(raw),
            expires_at=utcnow() + ttl,
        )
    )
    s.flush()
    return raw


def find_session(s: Session, raw: str) -> UserSession | None:
    """The live session of a raw token, or None (unknown or expired)."""
    found = s.scalars(select(UserSession).where(UserSession.token_hash == hash_key(raw))).first()
    if found is None or found.expires_at <= utcnow():
        return None
    return found


def end_session(s: Session, raw: str) -> None:
    """Delete the session of a raw token (nothing if unknown)."""
    s.execute(delete(UserSession).where(UserSession.token_hash == hash_key(raw)))


def end_other_sessions(s: Session, user_id: int, keep_raw: str | None) -> None:
    """Delete every session of a user but the one of ``keep_raw`` (after a password change)."""
    query = delete(UserSession).where(UserSession.user_id == user_id)
    if keep_raw is not None:
        query = query.where(UserSession.token_hash != hash_key(keep_raw))
    s.execute(query)


def csrf_token(raw: str) -> str:
    """The CSRF token belonging to a raw session token."""
    return hashlib.sha256(b"heron-csrf:" + raw.encode()).hexdigest()


def same_token(given: str | None, expected: str) -> bool:
    return given is not None and secrets.compare_digest(given.encode(), expected.encode())
