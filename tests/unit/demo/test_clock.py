"""The generator's clock: monotonic hours, local seasonality, DST."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np

from heron.demo.clock import make_clock

FLAT = (1.0,) * 7
DAYTIME = tuple(1.0 if 8 <= h < 20 else 0.01 for h in range(24))


def test_range_and_dst_changes() -> None:
    clock = make_clock("America/New_York", dt.date(2025, 4, 30), 120, 30, FLAT, DAYTIME)
    assert clock.start == dt.date(2025, 1, 1)
    assert clock.first == dt.date(2024, 12, 2)
    assert clock.range_start == 30 * 24
    assert clock.range_end == (30 + 120) * 24 - 1
    assert clock.dst_changes() == (dt.date(2025, 3, 9),)
    utc = make_clock("UTC", dt.date(2025, 4, 30), 120, 30, FLAT, DAYTIME)
    assert utc.dst_changes() == ()


def test_us_and_hours_round_trip_and_local_dates() -> None:
    clock = make_clock("Europe/Berlin", dt.date(2025, 4, 30), 60, 10, FLAT, DAYTIME)
    noon = clock.midnight[np.array([5, 50])] + 12.0
    ts = clock.us(noon)
    np.testing.assert_array_equal(clock.us(clock.hours_of(ts)), ts)
    day, time_of_day = clock.local_of_us(ts)
    np.testing.assert_array_equal(day, [5, 50])
    np.testing.assert_array_equal(time_of_day, [12 * 3_600_000_000] * 2)
    local = dt.datetime.fromtimestamp(int(ts[1]) / 1e6, dt.UTC).astimezone(ZoneInfo(clock.timezone))
    assert (local.date(), local.hour) == (clock.date(50), 12)


def test_sampling_follows_local_daytime_and_stays_in_its_window() -> None:
    clock = make_clock("America/New_York", dt.date(2025, 4, 30), 120, 30, FLAT, DAYTIME)
    rng = np.random.default_rng(0)
    lo = np.full(20_000, clock.range_start)
    hours = clock.sample(rng, lo, lo + 24 * 60, 20_000)
    assert ((hours >= lo) & (hours < lo + 24 * 60)).all()
    local = clock.hour_of(hours)
    assert ((local >= 8) & (local < 20)).mean() > 0.95


def test_sampling_beyond_the_calendar_keeps_its_share_outside() -> None:
    clock = make_clock("UTC", dt.date(2025, 4, 30), 30, 10, FLAT, (1.0,) * 24)
    rng = np.random.default_rng(1)
    top = float(clock.hours)
    hours = clock.sample(rng, top - 100.0, top + 100.0, 10_000)
    assert 0.45 < (hours >= top).mean() < 0.55
    assert (hours >= top - 100.0).all()
