"""Every planted effect is measurable in the generated data (DuckDB over the Arrow tables)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from heron.demo import PRODUCTS, Planted

Data = Callable[[str], Any]


def _prop(key: str) -> str:
    """A DuckDB JSON path to a top-level property (keys may start with ``$``)."""
    return f"properties->>'$.\"{key}\"'"


def _connect(table: pa.Table) -> duckdb.DuckDBPyConnection:
    """``events`` with ``uid``: the person's user id (anonymous ids stay as they are)."""
    con = duckdb.connect()
    con.register("raw", table)
    con.execute(
        """
        create view ids as
          select distinct properties->>'alias' as did, distinct_id as uid
          from raw where event = '$create_alias';
        create view events as
          select raw.*, coalesce(ids.uid, raw.distinct_id) as uid
          from raw left join ids on raw.distinct_id = ids.did;
        """
    )
    return con


def _utc(day: dt.date, tz: str) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(tz))
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def _cohort(con: duckdb.DuckDBPyConnection, truth: Planted, days_before_end: int) -> None:
    lo = _utc(truth.start, truth.timezone)
    hi = _utc(truth.end + dt.timedelta(days=1 - days_before_end), truth.timezone)
    con.execute(
        "create or replace temp table cohort as select uid, timestamp as t0, "
        f"{_prop('$feature/new-onboarding')} as variant from events "
        "where event = 'signup' and timestamp >= ? and timestamp < ?",
        [lo, hi],
    )


@pytest.mark.parametrize("product", PRODUCTS)
def test_funnel_rates(product: str, medium: Data) -> None:
    truth = medium(product).truth
    con = _connect(medium(product).table)
    funnel = truth.funnel
    if funnel.unit == "person":
        _cohort(con, truth, funnel.window_days)
        _, second, third = funnel.steps
        counts = con.execute(
            f"""
            with c as (
              select cohort.uid, cohort.t0, min(e.timestamp) as t1 from cohort join events e
                on e.uid = cohort.uid and e.event = '{second}' and e.timestamp >= cohort.t0
               and e.timestamp <= cohort.t0 + interval {funnel.window_days} day
              group by all),
            d as (
              select distinct c.uid from c join events e
                on e.uid = c.uid and e.event = '{third}' and e.timestamp >= c.t1
               and e.timestamp <= c.t0 + interval {funnel.window_days} day)
            select (select count(*) from cohort), (select count(*) from c), (select count(*) from d)
            """
        ).fetchone()
    else:
        counts = con.execute(
            """
            with mail as (
              select distinct_id, properties->>'campaign_id' as campaign, event from events)
            select
              (select count(*) from mail where event = 'email_delivered'),
              (select count(distinct (distinct_id, campaign)) from mail where event = 'email_opened'),
              (select count(*) from events where event = 'pageview'
                 and properties->>'utm_medium' = 'email'),
              (select count(*) from events p join events b on b.session_id = p.session_id
                 where p.event = 'pageview' and p.properties->>'utm_medium' = 'email'
                   and b.event = 'purchase')
            """
        ).fetchone()
    assert counts is not None
    rates = np.array(counts[1:]) / np.array(counts[:-1])
    assert counts[0] > 1000
    np.testing.assert_allclose(rates, funnel.rates, atol=0.02)
    assert np.argmin(rates) + 1 == funnel.drop_step


@pytest.mark.parametrize("product", PRODUCTS)
def test_churn_driver(product: str, medium: Data) -> None:
    truth = medium(product).truth
    churn = truth.churn
    con = _connect(medium(product).table)
    _cohort(con, truth, churn.after_days + 7)
    active = ", ".join(f"'{e}'" for e in churn.active_events)
    rows = con.execute(
        f"""
        with flags as (
          select cohort.uid,
            bool_or(e.event = '{churn.driver_event}'
                    and e.timestamp < cohort.t0 + interval {churn.driver_days} day) as driver,
            bool_or(e.event in ({active})
                    and e.timestamp >= cohort.t0 + interval {churn.after_days} day) as active
          from cohort join events e on e.uid = cohort.uid and e.timestamp >= cohort.t0
          group by all)
        select driver, avg(active::int), count(*) from flags group by all order by driver
        """
    ).fetchall()
    (_, without, n_without), (_, with_, n_with) = rows
    assert min(n_with, n_without) > 200
    assert with_ == pytest.approx(churn.retained_with, abs=0.03)
    assert without == pytest.approx(churn.retained_without, abs=0.03)


@pytest.mark.parametrize("product", PRODUCTS)
def test_experiment_lift(product: str, medium: Data) -> None:
    truth = medium(product).truth
    exp = truth.experiment
    con = _connect(medium(product).table)
    _cohort(con, truth, exp.window_days)
    rows = dict(
        con.execute(
            f"""
            select variant, avg(converted::int) from (
              select cohort.uid, cohort.variant, bool_or(e.event is not null) as converted
              from cohort left join events e on e.uid = cohort.uid
               and e.event = '{exp.conversion_event}' and e.timestamp >= cohort.t0
               and e.timestamp <= cohort.t0 + interval {exp.window_days} day
              group by all)
            group by all
            """
        ).fetchall()
    )
    assert set(rows) == set(exp.variants)
    assert rows["control"] == pytest.approx(exp.control_rate, abs=0.015)
    assert rows["test"] / rows["control"] - 1 == pytest.approx(exp.relative_lift, abs=0.04)


@pytest.mark.parametrize("product", PRODUCTS)
def test_spike_on_planted_local_date(product: str, medium: Data) -> None:
    truth = medium(product).truth
    con = _connect(medium(product).table)
    counts = dict(
        con.execute(
            f"""
            select timezone('{truth.timezone}', timezone('UTC', timestamp))::date, count(*)
            from events where event = '{truth.spike.event}' group by all
            """
        ).fetchall()
    )
    weeks = [dt.timedelta(days=7 * k) for k in (-3, -2, -1, 1, 2, 3)]
    ratio = {
        day: count / np.median([counts[day + w] for w in weeks])
        for day, count in counts.items()
        if all(day + w in counts for w in weeks)
    }
    spike = ratio.pop(truth.spike.local_date)
    assert spike == pytest.approx(truth.spike.multiplier, rel=0.2)
    assert max(ratio.values()) < 1.6


@pytest.mark.parametrize("product", PRODUCTS)
def test_identities(product: str, medium: Data) -> None:
    truth = medium(product).truth
    con = _connect(medium(product).table)
    lo = _utc(truth.start + dt.timedelta(days=15), truth.timezone)
    row = con.execute(
        f"""
        with i as (
          select distinct_id, {_prop("$anon_distinct_id")} as anon, timestamp
          from raw where event = '$identify' and timestamp >= ?)
        select count(*), count(distinct i.anon),
          bool_and(a.timestamp <= i.timestamp), bool_and(a.event = 'pageview'),
          bool_and({_prop("$current_url")} like 'https://%'),
          bool_or(a.properties->>'utm_source' is not null)
        from i join raw a on a.distinct_id = i.anon
        """,
        [lo],
    ).fetchone()
    assert row is not None
    _, anons, earlier, pageviews, urls, utm = row
    assert anons > 500 and earlier and pageviews and urls and utm
    signups, identified = con.execute(
        "select count(*) filter (event = 'signup'), count(*) filter (event = '$identify') from raw"
    ).fetchone() or (0, 0)
    share = identified / signups
    assert share == pytest.approx(truth.identity.anonymous_share, abs=0.05)
    aliases, used = con.execute(
        """
        select count(distinct a.properties->>'alias'), count(distinct e.distinct_id)
        from raw a left join raw e on e.distinct_id = a.properties->>'alias'
          and e.timestamp >= a.timestamp
        where a.event = '$create_alias'
        """
    ).fetchone() or (0, 0)
    assert aliases > 10 and used > 0


@pytest.mark.parametrize("product", PRODUCTS)
def test_timestamp_ties(product: str, medium: Data) -> None:
    truth = medium(product).truth
    con = _connect(medium(product).table)
    for first, second in truth.ties:
        (ties,) = con.execute(
            "select count(*) from events a join events b on a.uid = b.uid "
            "and a.timestamp = b.timestamp where a.event = ? and b.event = ?",
            [first, second],
        ).fetchone() or (0,)
        assert ties > 50, (first, second)


def test_dst_change_shifts_utc_hours_not_local_hours(medium: Data) -> None:
    assert medium("coaching").truth.dst_changes == (dt.date(2025, 3, 9),)
    assert medium("funding").truth.dst_changes == (dt.date(2025, 3, 30),)
    assert medium("campaigns").truth.dst_changes == ()
    con = _connect(medium("coaching").table)

    def hours(expr: str, lo: str, hi: str) -> np.ndarray:
        rows = con.execute(
            f"select hour({expr}) h, count(*) from events where timestamp >= '{lo}' "
            f"and timestamp < '{hi}' group by h order by h"
        ).fetchall()
        counts = np.array([c for _, c in rows], dtype=float)
        return counts / counts.sum()

    def distance(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.abs(a - b).sum())

    local = "timezone('America/New_York', timezone('UTC', timestamp))"
    winter, spring = ("2025-01-15", "2025-03-01"), ("2025-03-15", "2025-04-29")
    before, after = hours("timestamp", *winter), hours("timestamp", *spring)
    assert distance(hours(local, *winter), hours(local, *spring)) < distance(before, after) / 2
    assert distance(np.roll(before, -1), after) < distance(before, after) / 2
