"""weekly_active / monthly_active on both methods: day masks (one or more 64-day words) and
person-day spans (longer than the masks may be; tests shrink that limit to one word to reach
them), against hand-computed answers and the oracle."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from heron.analysis import active_masks
from heron.analysis.intervals import Buckets, Window, trailing_windows
from heron.analysis.trends import compile_trends
from heron.query.context import QueryContext
from heron.query.dialects import dialect
from heron.query.registry import parse_spec
from heron.store.base import EventStore
from tests.support.events import raw_batch
from tests.unit.analysis.oracles import trends_oracle
from tests.unit.analysis.oracles.group_data import GROUP_TYPE, by_group, with_groups
from tests.unit.analysis.oracles.trends_data import (
    NOW,
    ORACLE_SETTINGS,
    execute,
    load,
)
from tests.unit.analysis.test_trends_oracle import ACTIVE_MATHS, assert_same_entries, cases

P = 7
UTC = ZoneInfo("UTC")


def masked(store: EventStore, tz: str, spec: dict[str, Any], *, share: bool = False) -> list[int]:
    """Per compiled statement: how many mask words it uses (0: person-day spans or a
    distinct count); ``share``: compiled as a dashboard widget."""
    ctx = QueryContext(P, ZoneInfo(tz), dialect(store.dialect), now=NOW, share_activity=share)
    trees = compile_trends(ctx, parse_spec(spec))
    prefix = f"{active_masks.MASK}_"
    return [sum(name.startswith(prefix) for name in tree.named_selects) for tree in trees]


@contextmanager
def max_words(words: int | None) -> Iterator[None]:
    """Masks of at most ``words`` words (``None``: the module's own limit)."""
    if words is None:
        yield
        return
    with patch.object(active_masks, "MAX_WORDS", words):
        yield


def monthly(date_from: str, date_to: str, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "TrendsQuery",
        "series": [{"event": "pageview", "math": "monthly_active"}],
        "date_from": date_from,
        "date_to": date_to,
        **extra,
    }


def trailing(date_from: str, date_to: str, interval: Any, days: int) -> tuple[Any, Any]:
    """The trailing windows of a UTC range's buckets, and the range."""
    ctx = QueryContext(P, UTC, dialect("duckdb"), now=NOW)
    buckets = Buckets.build(ctx, ctx.time_range(date_from, date_to), interval)
    return trailing_windows(buckets, days), buckets.rng


@pytest.mark.parametrize(
    ("date_to", "interval", "days", "fits"),
    [
        ("2025-02-09", "day", 30, True),  # 29 days before the range + its 35 = 64
        ("2025-02-10", "day", 30, False),
        ("2025-03-10", "week", 7, True),  # the range's 64 days (the first window is inside)
        ("2025-03-11", "week", 7, False),
    ],
)
def test_a_one_word_mask_holds_64_local_days(
    date_to: str, interval: str, days: int, fits: bool
) -> None:
    windows, rng = trailing("2025-01-06", date_to, interval, days)
    with max_words(1):
        origin = active_masks.mask_origin(windows, rng)
    assert (origin is not None) == fits
    if origin is not None:
        last = active_masks.window_bits(windows, origin)[-1]
        assert last == ((1 << days) - 1) << (64 - days)


def test_masks_take_as_many_words_as_the_span_needs() -> None:
    windows, rng = trailing("2025-01-01", "2025-04-30", "day", 30)
    origin = active_masks.mask_origin(windows, rng)
    assert origin == datetime(2024, 12, 3)
    assert active_masks.word_count(windows, origin) == 3  # 149 days
    last = active_masks.window_bits(windows, origin)[-1]
    assert last == ((1 << 30) - 1) << (149 - 30)
    year, year_range = trailing("2024-01-01", "2025-06-30", "day", 30)
    assert active_masks.mask_origin(year, year_range) is None


def test_window_bits_cover_each_window_s_days() -> None:
    windows, rng = trailing("2025-01-10", "2025-01-12", "day", 7)
    origin = active_masks.mask_origin(windows, rng)
    assert origin == datetime(2025, 1, 4)
    assert active_masks.window_bits(windows, origin) == [0b1111111 << i for i in range(3)]


@pytest.mark.parametrize(
    ("date_to", "words", "limit"),
    [("2025-02-04", 1, None), ("2025-02-20", 2, None), ("2025-02-20", 0, 1)],
    ids=["one-word", "two-words", "spans"],
)
def test_both_methods_count_the_same(
    store: EventStore, date_to: str, words: int, limit: int | None
) -> None:
    rows = [
        {"event": "pageview", "distinct_id": who, "timestamp": ts, "properties": {"plan": plan}}
        for who, ts, plan in [
            ("a", datetime(2024, 12, 20, 12), "pro"),
            ("a", datetime(2025, 1, 2, 12), "pro"),
            ("b", datetime(2025, 1, 20, 12), "free"),
            ("c", datetime(2025, 2, 3, 23, 59), None),
        ]
    ]
    store.append(raw_batch(rows, P))
    spec = monthly("2025-01-01", date_to, breakdown={"property": "plan"})
    with max_words(limit):
        assert masked(store, "UTC", spec) == [words]
        got = {e["breakdown_value"]: e["data"] for e in execute(store, P, "UTC", spec)}
    days = len(got["pro"])
    # a: Dec 20 (until Jan 18) and Jan 2 (until Jan 31); b: Jan 20 → Feb 18; c: Feb 3 → Mar 4.
    assert got["pro"] == [1] * 31 + [0] * (days - 31)
    assert got["free"] == [0] * 19 + [1] * min(30, days - 19) + [0] * max(days - 49, 0)
    assert got["$none"] == [0] * 33 + [1] * (days - 33)


@st.composite
def mask_tables(draw: st.DrawFn) -> tuple[pa.Table, list[Window], datetime]:
    """Weighted masks of 1-3 words in two breakdown groups, and windows of a few lengths
    (some reaching before the origin, some empty) over their days."""
    words = draw(st.integers(1, 3))
    bits = st.integers(0, (1 << (64 * words)) - 1)
    rows = draw(
        st.lists(st.tuples(bits, st.sampled_from(["x", "y"]), st.integers(1, 9)), max_size=12)
    )
    origin = datetime(2025, 3, 1)
    day = timedelta(days=1)
    windows = []
    for length in draw(st.lists(st.integers(0, 70), min_size=1, max_size=3)):
        ends = draw(st.lists(st.integers(-5, 64 * words), min_size=1, max_size=24))
        windows += [
            Window(origin + end * day, origin + (end - length) * day, origin + end * day)
            for end in ends
        ]
    columns: dict[str, Any] = {
        f"{active_masks.MASK}_{w}": pa.array(
            [(m >> (64 * w)) & ((1 << 64) - 1) for m, _, _ in rows], pa.uint64()
        )
        for w in range(words)
    }
    columns["breakdown_value"] = pa.array([g for _, g, _ in rows], pa.string())
    columns[active_masks.VALUE] = pa.array([v for _, _, v in rows], pa.int64())
    return pa.table(columns), windows, origin


@given(case=mask_tables(), dilate_from=st.sampled_from([1, 4, 1000]))
def test_mask_counts_match_a_plain_count(
    case: tuple[pa.Table, list[Window], datetime], dilate_from: int
) -> None:
    table, windows, origin = case
    expected: dict[Any, list[int]] = {}
    words = [table.column(n).to_pylist() for n in table.column_names if n.startswith("mask_")]
    for i, group in enumerate(table.column("breakdown_value").to_pylist()):
        mask = sum(word[i] << (64 * w) for w, word in enumerate(words))
        days = {d for d in range(64 * len(words)) if mask >> d & 1}
        counts = expected.setdefault(group, [0] * len(windows))
        for k, window in enumerate(windows):
            lo, hi = (window.lo - origin).days, (window.hi - origin).days
            counts[k] += table.column("value")[i].as_py() * any(lo <= d < hi for d in days)
    expected = {k: v for k, v in expected.items() if any(v)}
    with patch.object(active_masks, "DILATE_FROM", dilate_from):
        assert active_masks.mask_counts(table, windows, origin, "breakdown_value") == expected


@st.composite
def active_cases(draw: st.DrawFn, long: bool) -> tuple[Any, dict[str, Any]]:
    """The oracle test's specs with trailing-activity series only, over ranges of 1-10 days
    (day masks) or 65-81 days (longer than any mask) around the scenario's events, counting
    persons or companies."""
    scenario, spec = draw(cases())
    start = draw(st.integers(-60, -5) if long else st.integers(-9, 4))
    length = draw(st.integers(64, 80) if long else st.integers(0, 9))
    series = [
        {
            **{k: s[k] for k in ("event", "filters", "name")},
            "math": draw(st.sampled_from(ACTIVE_MATHS)),
        }
        for s in spec["series"]
    ]
    spec |= {
        "series": series,
        "interval": draw(st.sampled_from(["day", "day", "week", "month"])),
        "date_from": scenario.local_date(start),
        "date_to": scenario.local_date(start + length),
    }
    if draw(st.booleans()):
        rows, noise = draw(with_groups(scenario.rows)), draw(with_groups(scenario.noise))
        scenario = replace(scenario, rows=rows, noise=noise)
        spec["aggregation_group_type"] = GROUP_TYPE
    return scenario, spec


@pytest.mark.slow
@ORACLE_SETTINGS
@pytest.mark.parametrize(
    ("long", "limit"), [(False, None), (True, None), (True, 1)], ids=["masks", "words", "spans"]
)
@given(data=st.data())
def test_trailing_activity_matches_the_oracle(
    store: EventStore, long: bool, limit: int | None, data: st.DataObject
) -> None:
    scenario, spec = data.draw(active_cases(long))
    with max_words(limit):
        words = set(masked(store, scenario.tz, spec))
        assert (words == {0}) == (limit == 1), words
        project_id = load(store, scenario)
        found = execute(store, project_id, scenario.tz, spec)
    rows = scenario.batch_rows(project_id)
    group_type = spec.get("aggregation_group_type")
    plain = {k: v for k, v in spec.items() if k != "aggregation_group_type"}
    expected = trends_oracle.trends(
        by_group(rows, group_type) if group_type else rows, project_id, scenario.tz, plain
    )
    assert_same_entries(found, expected)


def test_windows_reach_back_across_a_dst_change(store: EventStore) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    moments = [("a", datetime(2025, 3, 30, 0, 30)), ("b", datetime(2025, 3, 31, 0, 30))]
    rows = [
        {"event": "pageview", "distinct_id": who, "timestamp": local.replace(tzinfo=berlin)}
        for who, local in moments
    ]
    store.append(raw_batch(rows, P))
    spec = {**monthly("2025-04-05", "2025-04-06"), "series": [{"math": "weekly_active"}]}
    assert masked(store, "Europe/Berlin", spec) == [1]
    [entry] = execute(store, P, "Europe/Berlin", spec)
    # 00:30 local is still the previous day in UTC: the 7 local days ending Apr 5 start on
    # Mar 30 (a and b), those ending Apr 6 on Mar 31 (b).
    assert entry["data"] == [2, 1]


def reach(store: EventStore, spec: dict[str, Any], *, share: bool = False) -> list[str]:
    """The earliest timestamp literal of each compiled statement (where its rows start)."""
    ctx = QueryContext(P, UTC, dialect(store.dialect), now=NOW, share_activity=share)
    rendered = [t.sql(dialect=ctx.dialect.name) for t in compile_trends(ctx, parse_spec(spec))]
    return [min(re.findall(r"'(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", sql)) for sql in rendered]


def test_dau_counts_from_masks_of_its_own_range_or_a_dashboards(store: EventStore) -> None:
    """DAU alone in its statement counts from masks of active days: its own range's days,
    or on a dashboard those WAU and MAU of its range read (one statement for the three,
    reaching 29 days back). With a breakdown, or hour buckets, it is a distinct count
    beside the other series of its event."""
    dau = {
        "kind": "TrendsQuery",
        "series": [{"event": "pageview", "math": "dau"}],
        "date_from": "2025-01-01",
        "date_to": "2025-01-31",
    }
    assert masked(store, "UTC", dau) == [1]
    assert reach(store, dau) == ["2025-01-01 00:00:00"]
    assert masked(store, "UTC", dau, share=True) == [1]
    assert reach(store, dau, share=True) == ["2024-12-03 00:00:00"]
    assert masked(store, "UTC", monthly("2025-01-01", "2025-01-31"), share=True) == [1]
    both = {**dau, "series": [{"event": "pageview", "math": m} for m in ("total", "dau")]}
    # DuckDB scans twice (a count, and masks); ClickHouse counts both in one scan
    assert masked(store, "UTC", both) == ([0, 1] if store.dialect == "duckdb" else [0])
    broken = {**both, "breakdown": {"property": "$browser", "type": "event"}}
    assert masked(store, "UTC", broken) == [0]
    assert masked(store, "UTC", {**both, "interval": "hour", "date_to": "2025-01-02"}) == [0]
    assert masked(store, "UTC", {**both, "date_from": "2025-01-01T06:00:00"}) == [0]
