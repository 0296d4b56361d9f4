"""Revenue state: the provider event log and exchange rates. Migration 0004 must match."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from heron.meta.models import Base, UTCDateTime, utcnow


class RevenueEvent(Base):
    """One provider event (Stripe, RevenueCat, or an imported subscription row), kept verbatim.

    Unique per project, provider and provider event id: a redelivery changes nothing.
    ``occurred_at`` is the provider's own time of the event, which orders the log.
    """

    __tablename__ = "revenue_events"
    __table_args__ = (UniqueConstraint("project_id", "provider", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class ExchangeRate(Base):
    """How many units of the project currency one unit of ``currency`` is worth."""

    __tablename__ = "exchange_rates"
    __table_args__ = (UniqueConstraint("project_id", "currency"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    currency: Mapped[str] = mapped_column(String(3))
    rate: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
