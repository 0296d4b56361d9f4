"""Interval buckets of a query range in the project timezone: SQL keys, zero-fill, labels.

SQL groups events by the truncation of their local wall-clock time. Day, week (Monday)
and month buckets are keyed by that local start and labelled with its date
(``"2025-03-09"``). Hour buckets also carry the UTC offset in force, are keyed by the
hour's UTC instant and labelled as local time with that offset
(``"2025-11-02T01:00:00-04:00"``, then ``"2025-11-02T01:00:00-05:00"``): the hour a DST
change skips is absent and the hour it repeats appears twice, each with its own events.

Every bucket of the range is listed, so callers fill intervals without events with 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlglot import exp

from heron.query import dates
from heron.query.context import QueryContext, TimeRange
from heron.query.dates import Interval

BUCKET = "bucket"
OFFSET = "utc_offset"
_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Buckets:
    """The intervals of one range: their keys (in order) and labels."""

    interval: Interval
    rng: TimeRange
    keys: tuple[datetime, ...]
    labels: tuple[str, ...]
    _index: dict[datetime, int] = field(repr=False, compare=False)

    @classmethod
    def build(cls, ctx: QueryContext, rng: TimeRange, interval: Interval) -> Buckets:
        if interval == "hour":
            keys = _utc_hours(rng)
            labels = [k.replace(tzinfo=UTC).astimezone(ctx.timezone).isoformat() for k in keys]
        else:
            keys = rng.interval_starts(interval)
            labels = [k.date().isoformat() for k in keys]
        return cls(interval, rng, tuple(keys), tuple(labels), {k: i for i, k in enumerate(keys)})

    def __len__(self) -> int:
        return len(self.keys)

    def columns(self, ctx: QueryContext, ts: exp.Column, source: TimeRange) -> list[exp.Expr]:
        """The bucket key columns of an event row (``source`` is the range the rows span)."""
        local = ctx.local_time(ts, source)
        columns = [exp.alias_(ctx.dialect.trunc(self.interval, local), BUCKET)]
        if self.interval == "hour":
            columns.append(exp.alias_(utc_offset(ctx, ts, source), OFFSET))
        return columns

    def group_names(self) -> list[str]:
        return [BUCKET, OFFSET] if self.interval == "hour" else [BUCKET]

    def position(self, row: Mapping[str, Any]) -> int | None:
        """Which interval a result row (with the :meth:`columns` keys) belongs to."""
        key = as_datetime(row[BUCKET])
        if self.interval == "hour":
            key -= timedelta(seconds=int(row[OFFSET]))
        return self._index.get(key)

    def zeros(self) -> list[int]:
        return [0] * len(self.keys)


def _utc_hours(rng: TimeRange) -> list[datetime]:
    first = rng.start_utc - (rng.start_local - dates.truncate(rng.start_local, "hour"))
    hours = []
    while first < rng.end_utc:
        hours.append(first)
        first += _HOUR
    return hours


def utc_offset(ctx: QueryContext, ts: exp.Column, rng: TimeRange) -> exp.Expr:
    """The UTC offset (seconds) in force at a UTC timestamp, from the range's segments."""
    *changes, (_, last) = rng.segments
    if not changes:
        return exp.Literal.number(last)
    case = exp.Case()
    for until, seconds in changes:
        assert until is not None
        case = case.when(
            exp.LT(this=ts.copy(), expression=ctx.dialect.timestamp(until)),
            exp.Literal.number(seconds),
        )
    return case.else_(exp.Literal.number(last))


def as_datetime(value: Any) -> datetime:
    """A bucket value from a backend → naive datetime (aware values are taken as UTC)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time())
    raise TypeError(f"not a timestamp: {value!r}")


def previous_range(ctx: QueryContext, buckets: Buckets) -> TimeRange:
    """The period just before ``buckets``' range, as many intervals long.

    Hours shift in absolute time (so a DST change neither overlaps nor gaps the periods);
    days and weeks shift the local calendar, months by whole months.
    """
    rng, count = buckets.rng, max(len(buckets), 1)
    if buckets.interval == "hour":
        start, end = rng.start_utc - count * _HOUR, rng.end_utc - count * _HOUR
        return TimeRange(
            _local(start, ctx.timezone),
            _local(end, ctx.timezone),
            start,
            end,
            dates.offset_segments(ctx.timezone, start, end),
        )
    if buckets.interval == "month":
        return ctx.local_range(
            dates.add_months(rng.start_local, -count), dates.add_months(rng.end_local, -count)
        )
    unit = 7 * _DAY if buckets.interval == "week" else _DAY
    return ctx.local_range(rng.start_local - count * unit, rng.end_local - count * unit)


def _local(utc: datetime, tz: ZoneInfo) -> datetime:
    return utc.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class Window:
    """The local days ``[lo, hi)`` a trailing-activity count covers for one bucket."""

    key: datetime
    lo: datetime
    hi: datetime


def trailing_windows(buckets: Buckets, days: int) -> list[Window]:
    """For each bucket, the ``days`` local days ending on its last day inside the range."""
    out = []
    for key in buckets.keys:
        end = min(dates.step(key, buckets.interval), buckets.rng.end_local)
        hi = dates.truncate(end - timedelta(microseconds=1), "day") + _DAY
        out.append(Window(key, hi - days * _DAY, hi))
    return out


def trailing_counts(
    rows: list[dict[str, Any]], windows: list[Window], group: str
) -> dict[Any, list[int]]:
    """Persons per window from non-overlapping activity spans ``(day, stop, group, value)``.

    A span ``[day, stop)`` adds ``value`` persons to every local day it covers; a window
    ``[lo, hi)`` of the trailing length counts the spans covering its last day. Groups
    (breakdown values) without any covered window are left out.
    """
    deltas: dict[Any, dict[datetime, int]] = {}
    for row in rows:
        changes = deltas.setdefault(row.get(group), {})
        start, stop = as_datetime(row["day"]), as_datetime(row["stop"])
        changes[start] = changes.get(start, 0) + row["value"]
        changes[stop] = changes.get(stop, 0) - row["value"]
    out: dict[Any, list[int]] = {}
    for key, changes in deltas.items():
        moments = sorted(changes)
        values, total, i = [], 0, 0
        for window in windows:
            last = window.hi - _DAY
            while i < len(moments) and moments[i] <= last:
                total += changes[moments[i]]
                i += 1
            values.append(total)
        if any(values):
            out[key] = values
    return out
