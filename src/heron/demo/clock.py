"""The generator's clock: hours since an origin instant, with local-time seasonality.

Times are floats counting UTC hours from ``origin`` (local midnight ``pre_days`` before the
first day of the range), so they increase monotonically across DST changes. Every UTC hour
knows its local date and hour, which gives each hour a weight (weekday × hour-of-day) used
to sample times: more activity in the local daytime and on weekdays.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from heron.demo.vec import F64, I64

_US_PER_HOUR = 3_600_000_000
_US_PER_DAY = 24 * _US_PER_HOUR
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _local_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.UTC)


@dataclass(frozen=True, slots=True, eq=False)
class Clock:
    """Local calendar of one generated data set."""

    timezone: str
    first: dt.date
    """The local date of hour 0 (``pre_days`` before ``start``)."""
    start: dt.date
    end: dt.date
    origin_us: int
    range_start: float
    range_end: float
    local_day: I64
    """Per UTC hour since the origin: its local date, as days since ``first``."""
    local_hour: I64
    offset_us: I64
    midnight: F64
    """Per local day since ``first``: the hour of its local midnight."""
    cum: F64
    """Cumulative seasonal weight at every hour boundary."""

    @property
    def hours(self) -> int:
        return len(self.local_hour)

    @property
    def first_weekday(self) -> int:
        return self.first.weekday()

    def sample(self, rng: np.random.Generator, lo: F64 | float, hi: F64 | float, n: int) -> F64:
        """``n`` times in ``[lo, hi)`` with density proportional to the seasonal weight.

        Outside the calendar the weight is its mean, so windows reaching past either end
        keep their share of times there (times that will not be emitted).
        """
        lo_a = np.broadcast_to(np.asarray(lo, dtype=np.float64), (n,))
        hi_a = np.broadcast_to(np.asarray(hi, dtype=np.float64), (n,))
        c_lo, c_hi = self._weight_until(lo_a), self._weight_until(hi_a)
        return self._time_at(c_lo + rng.random(n) * np.maximum(c_hi - c_lo, 0.0))

    def _weight_until(self, hours: F64) -> F64:
        top = self.hours
        inside = np.clip(hours, 0.0, top)
        idx = np.minimum(inside.astype(np.int64), top - 1)
        inner = self.cum[idx] + (inside - idx) * (self.cum[idx + 1] - self.cum[idx])
        outside = np.minimum(hours, 0.0) + np.maximum(hours - top, 0.0)
        return np.asarray(inner + outside * (self.cum[-1] / top), dtype=np.float64)

    def _time_at(self, weight: F64) -> F64:
        top, total = self.hours, self.cum[-1]
        inside = np.clip(weight, 0.0, total)
        idx = np.clip(np.searchsorted(self.cum, inside, side="right") - 1, 0, top - 1)
        inner = idx + (inside - self.cum[idx]) / (self.cum[idx + 1] - self.cum[idx])
        outside = np.minimum(weight, 0.0) + np.maximum(weight - total, 0.0)
        return np.asarray(inner + outside / (total / top), dtype=np.float64)

    def us(self, hours: F64) -> I64:
        """Epoch microseconds (whole milliseconds) of hours since the origin."""
        clipped = np.clip(hours, -48.0, self.hours + 48.0)
        return self.origin_us + np.round(clipped * 3_600_000).astype(np.int64) * 1000

    def hours_of(self, ts_us: I64) -> F64:
        """Hours since the origin of epoch microseconds (the inverse of :meth:`us`)."""
        return np.asarray((ts_us - self.origin_us) / 3.6e9, dtype=np.float64)

    def day_of(self, hours: F64) -> I64:
        """The local day (since ``first``) of each time."""
        idx = np.clip(np.floor(hours).astype(np.int64), 0, self.hours - 1)
        return self.local_day[idx]

    def hour_of(self, hours: F64) -> F64:
        """The local hour of day (fractional) of each time."""
        idx = np.clip(np.floor(hours).astype(np.int64), 0, self.hours - 1)
        return self.local_hour[idx] + (hours - np.floor(hours))

    def local_of_us(self, ts_us: I64) -> tuple[I64, I64]:
        """Local day (since ``first``) and microsecond of the local day of epoch times."""
        idx = np.clip((ts_us - self.origin_us) // _US_PER_HOUR, 0, self.hours - 1)
        local = ts_us - self.origin_us + self.offset_us[idx] - int(self.offset_us[0])
        return local // _US_PER_DAY, local % _US_PER_DAY

    def date(self, day: int) -> dt.date:
        return self.first + dt.timedelta(days=day)

    def dst_changes(self) -> tuple[dt.date, ...]:
        """Local dates inside the range on which the UTC offset changes."""
        lo, hi = int(self.range_start), int(self.range_end)
        changed = np.nonzero(np.diff(self.offset_us[lo:hi]) != 0)[0] + lo + 1
        return tuple(self.date(int(self.local_day[i])) for i in changed)


@lru_cache(maxsize=16)
def make_clock(
    timezone: str,
    end: dt.date,
    days: int,
    pre_days: int,
    weekday: tuple[float, ...],
    hourly: tuple[float, ...],
) -> Clock:
    """The clock of the ``days`` local dates ending at ``end`` (inclusive)."""
    tz = ZoneInfo(timezone)
    start = end - dt.timedelta(days=days - 1)
    first = start - dt.timedelta(days=pre_days)
    origin = _local_midnight(first, tz)
    n_days = pre_days + days + 3
    midnights = [_local_midnight(first + dt.timedelta(days=d), tz) for d in range(n_days)]
    midnight = np.array([(m - origin).total_seconds() / 3600 for m in midnights])
    n_hours = int(midnight[-1])
    local_day = np.empty(n_hours, dtype=np.int64)
    local_hour = np.empty(n_hours, dtype=np.int64)
    offset_us = np.empty(n_hours, dtype=np.int64)
    for k in range(n_hours):
        local = (origin + dt.timedelta(hours=k)).astimezone(tz)
        offset = local.utcoffset() or dt.timedelta()
        local_day[k] = (local.date() - first).days
        local_hour[k] = local.hour
        offset_us[k] = int(offset.total_seconds()) * 1_000_000
    weights = (
        np.asarray(weekday)[(first.weekday() + local_day) % 7] * np.asarray(hourly)[local_hour]
    )
    cum = np.concatenate([[0.0], np.cumsum(weights)])
    for array in (local_day, local_hour, offset_us, midnight, cum):
        array.flags.writeable = False
    return Clock(
        timezone=timezone,
        first=first,
        start=start,
        end=end,
        origin_us=int((origin - _EPOCH).total_seconds()) * 1_000_000,
        range_start=float(midnight[pre_days]),
        range_end=float(midnight[pre_days + days]),
        local_day=local_day,
        local_hour=local_hour,
        offset_us=offset_us,
        midnight=midnight,
        cum=cum,
    )
