"""What every compiled query needs to know about its project and moment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlglot import exp

from heron.query import dates
from heron.query.dialects import SqlDialect


@dataclass(frozen=True, slots=True)
class TimeRange:
    """A half-open range ``[start, end)`` in local wall-clock time and in UTC."""

    start_local: datetime
    end_local: datetime
    start_utc: datetime
    end_utc: datetime
    segments: list[tuple[datetime | None, int]]

    def interval_starts(self, interval: dates.Interval) -> list[datetime]:
        return dates.interval_starts(self.start_local, self.end_local, interval)


CohortMembers = Callable[[int], exp.Query]
"""Cohort id → a query selecting ``person_id`` of its members (scoped like any other)."""


@dataclass(slots=True)
class QueryContext:
    project_id: int
    timezone: ZoneInfo
    dialect: SqlDialect
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    cohort_members: CohortMembers | None = None
    extensions: dict[str, Any] = field(default_factory=dict)
    """Project state beyond events that some kinds read, by name (see ``QueryService``)."""
    share_activity: bool = False
    """Whether a lone ``dau`` series reads the activity masks that weekly and monthly
    actives of the same range read (a dashboard's widgets: DAU, WAU and MAU then run one
    statement between them, see :mod:`heron.query.shared`). Otherwise its masks cover only
    its own range (those reach 29 days further back for the sake of MAU)."""

    def time_range(
        self, date_from: str | date | datetime | None, date_to: str | date | datetime | None
    ) -> TimeRange:
        start = dates.parse_bound(date_from, self.timezone, self.now, end=False)
        end = dates.parse_bound(
            date_to if date_to is not None else "today", self.timezone, self.now, end=True
        )
        if end < start:
            raise ValueError("date_to is before date_from")
        return self.local_range(start, end)

    def local_range(self, start: datetime, end: datetime) -> TimeRange:
        start_utc = dates.to_utc(start, self.timezone)
        end_utc = dates.to_utc(end, self.timezone)
        return TimeRange(
            start, end, start_utc, end_utc, dates.offset_segments(self.timezone, start_utc, end_utc)
        )

    def local_time(self, ts: exp.Expression, rng: TimeRange) -> exp.Expression:
        return self.dialect.local_time(ts, rng.segments)
