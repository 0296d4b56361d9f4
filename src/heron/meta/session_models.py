"""The sign-in session model. ``migrations/versions/0003_dashboards.py`` must match it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from heron.meta.models import Base, UTCDateTime, utcnow


class UserSession(Base):
    """A browser session: only the SHA-256 of its cookie token is stored.

    ``api_key_id`` is set for the short-lived sessions a dashboard export opens on behalf
    of an API key, so the rendering browser acts with exactly the caller's authority.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    api_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
