"""Sessions, insights, dashboards and shares on SQLite (PostgreSQL: tests/integration)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from tests.unit.meta.dashboard_cases import check_round_trip


def test_round_trip(factory: sessionmaker[Session]) -> None:
    check_round_trip(factory)
