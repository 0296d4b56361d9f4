"""Date ranges in a project's timezone: parsing, UTC bounds, DST offsets and interval starts."""

from __future__ import annotations

import functools
import re
from calendar import monthrange
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Interval = Literal["hour", "day", "week", "month"]
_RELATIVE = re.compile(r"^-(\d+)([hdwmy])$")


def parse_bound(
    value: str | date | datetime | None, tz: ZoneInfo, now: datetime, *, end: bool
) -> datetime:
    """A range bound as a local naive datetime; ``end`` bounds are exclusive.

    Accepts ISO dates (whole days, inclusive), ISO datetimes, ``today``, ``yesterday``,
    ``now`` and relative ``-7d``, ``-24h``, ``-12w``, ``-6m``, ``-1y`` (counted back from
    today's start, or from now for hours).
    """
    local_now = now.astimezone(tz).replace(tzinfo=None)
    today = datetime.combine(local_now.date(), datetime.min.time())
    if value is None:
        return today + timedelta(days=1) if end else today - timedelta(days=7)
    if isinstance(value, datetime):
        moment = value.astimezone(tz).replace(tzinfo=None) if value.tzinfo else value
        return moment + timedelta(microseconds=1) if end else moment
    if isinstance(value, date):
        start = datetime.combine(value, datetime.min.time())
        return start + timedelta(days=1) if end else start
    text = value.strip().lower()
    if text in ("today", "now"):
        if text == "now" or end:
            return today + timedelta(days=1) if end and text == "today" else local_now
        return today
    if text == "yesterday":
        return today if end else today - timedelta(days=1)
    match = _RELATIVE.match(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        if unit == "h":
            moment = local_now - timedelta(hours=amount)
        elif unit == "d":
            moment = today - timedelta(days=amount)
        elif unit == "w":
            moment = today - timedelta(weeks=amount)
        else:
            months = amount * (12 if unit == "y" else 1)
            moment = add_months(today, -months)
        return moment + timedelta(days=1) if end and unit != "h" else moment
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"not a date, datetime or relative date: {value!r}") from None
    if len(value.strip()) == 10:
        return parsed + timedelta(days=1) if end else parsed
    return parse_bound(parsed, tz, now, end=end)


def add_months(moment: datetime, months: int) -> datetime:
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, monthrange(year, month)[1]))


def to_utc(local: datetime, tz: ZoneInfo) -> datetime:
    """A local naive datetime → UTC naive (the earlier instant when a DST change repeats it)."""
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC).replace(tzinfo=None)


def offset_segments(
    tz: ZoneInfo, start_utc: datetime, end_utc: datetime
) -> list[tuple[datetime | None, int]]:
    """UTC offsets (seconds) in force over ``[start_utc, end_utc)``: ``[(until_utc, offset)]``.

    The last segment's ``until`` is ``None``. DST changes are found by probing hourly and
    refining to the second, so any zoneinfo rule is honoured. The probing costs a few
    milliseconds for a range of months and every query asks for the same few ranges, so
    results are remembered.
    """
    return list(_offset_segments(tz, start_utc, end_utc))


@functools.lru_cache(maxsize=1024)
def _offset_segments(
    tz: ZoneInfo, start_utc: datetime, end_utc: datetime
) -> tuple[tuple[datetime | None, int], ...]:

    def offset(moment: datetime) -> int:
        delta = moment.replace(tzinfo=UTC).astimezone(tz).utcoffset()
        return int(delta.total_seconds()) if delta else 0

    segments: list[tuple[datetime | None, int]] = []
    probe = start_utc - timedelta(days=1)
    current = offset(probe)
    stop = end_utc + timedelta(days=1)
    step = timedelta(hours=1)
    while probe < stop:
        nxt = probe + step
        if offset(nxt) != current:
            lo, hi = probe, nxt
            while (hi - lo) > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                lo, hi = (mid, hi) if offset(mid) == current else (lo, mid)
            segments.append((hi.replace(microsecond=0), current))
            current = offset(nxt)
        probe = nxt
    segments.append((None, current))
    return tuple(segments)


def truncate(moment: datetime, interval: Interval) -> datetime:
    if interval == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if interval == "day":
        return day
    if interval == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def step(moment: datetime, interval: Interval) -> datetime:
    if interval == "hour":
        return moment + timedelta(hours=1)
    if interval == "day":
        return moment + timedelta(days=1)
    if interval == "week":
        return moment + timedelta(weeks=1)
    return add_months(moment, 1)


def interval_starts(
    start_local: datetime, end_local: datetime, interval: Interval
) -> list[datetime]:
    """Every interval start from the one holding ``start_local`` to before ``end_local``."""
    starts = []
    current = truncate(start_local, interval)
    while current < end_local:
        starts.append(current)
        current = step(current, interval)
    return starts
