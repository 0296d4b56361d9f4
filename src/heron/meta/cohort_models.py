"""The saved-cohort model. ``migrations/versions/0002_cohorts.py`` must match it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, validates

from heron.meta.models import Base, UTCDateTime, utcnow
from heron.meta.validation import validate_name


class Cohort(Base):
    """A named cohort definition of one project (the definition is the query layer's JSON)."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(2000), default="", server_default="")
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @validates("name")
    def _check_name(self, _key: str, value: str) -> str:
        return validate_name("name", value)
