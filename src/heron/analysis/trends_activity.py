"""How a trend counts active persons per window: ``dau`` (each bucket's own days) and the
trailing ``weekly_active`` / ``monthly_active`` windows, from masks of active days
(:mod:`heron.analysis.active_masks`) or, for spans the masks cannot hold, from person-day
spans; and which ``dau`` series count from masks at all (see :mod:`heron.analysis.trends`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from sqlglot import exp

from heron.analysis import active_masks as masks
from heron.analysis.active_masks import PERSON, VALUE
from heron.analysis.intervals import Buckets, Window, trailing_counts, trailing_windows

if TYPE_CHECKING:
    from heron.analysis.trends import Series, TrendsQuery

ACTIVE_DAYS = {"weekly_active": 7, "monthly_active": 30}
"""The trailing-window maths and their windows' length in local days."""
BREAKDOWN = "breakdown_value"
"""The breakdown value's column in every trend statement."""

DAU_APART = frozenset({"duckdb"})
"""Dialects on which a ``dau`` that could share its rows' scan with other series scans them
apart, to count from masks: on DuckDB a plain count and a ``GROUP BY`` person cost less than
a count beside a distinct count per bucket (10M events, CPU: 104 + 550 against 840 ms);
on ClickHouse the second scan costs more than the masks save (177 + 692 against 831 ms)."""


def own_windows(spec: TrendsQuery, buckets: Buckets) -> tuple[list[Window], datetime] | None:
    """Each bucket's own days and the masks' origin (the range's first day) when a ``dau``
    series counts its persons from masks of active days: without a breakdown, for day,
    week and month buckets whose range fits the masks. One ``GROUP BY`` person of the rows
    (a few hundred thousand groups at 10M events) costs less than a distinct count per
    bucket (millions of (bucket, person) groups), and ``total`` then scans on its own."""
    own = masks.bucket_windows(buckets) if spec.breakdown is None else None
    origin = masks.mask_origin(own, buckets.rng) if own else None
    return None if own is None or origin is None else (own, origin)


@dataclass(frozen=True, slots=True)
class Activity:
    """How a batch counting active persons per window runs.

    ``windows``: the trailing ``days`` of weekly / monthly actives, or each bucket's own
    days for a lone ``dau`` series (``days`` 0). ``origin`` and ``words``: the masks of
    :mod:`heron.analysis.active_masks`; for trailing windows and a dashboard's ``dau`` the
    same for every such batch of the range (they reach back as far as monthly actives
    need), so DAU, WAU and MAU of one range compile to one statement that the service runs
    once (:mod:`heron.query.shared`); a ``dau`` elsewhere reads its own range's. ``origin``
    is ``None`` when the masks cannot hold the span (trailing windows then use the
    person-day spans of :func:`person_day_spans`; ``dau`` its distinct count).
    """

    windows: list[Window]
    days: int
    origin: datetime | None
    words: int


def batch_activity(
    spec: TrendsQuery, batch: list[Series], buckets: Buckets, *, share: bool
) -> Activity | None:
    """The windows of a batch that counts active persons per window, else ``None``.

    A lone ``dau`` counts from masks of its own days (:func:`own_windows`), or with
    ``share`` from the masks weekly and monthly actives of the range read (see
    ``QueryContext.share_activity``), else with a distinct count per bucket."""
    first = batch[0]
    days = ACTIVE_DAYS.get(first.math)
    if days is None and (len(batch) > 1 or first.math != "dau"):
        return None
    if days is None and not share:
        own = own_windows(spec, buckets)
        if own is None:
            return None
        windows, start = own
        return Activity(windows, 0, start, masks.word_count(windows, start))
    longest = trailing_windows(buckets, max(ACTIVE_DAYS.values()))
    origin = masks.mask_origin(longest, buckets.rng)
    words = masks.word_count(longest, origin) if origin is not None else 0
    if days is not None:
        return Activity(trailing_windows(buckets, days), days, origin, words)
    shared = masks.bucket_windows(buckets)
    return None if shared is None or origin is None else Activity(shared, 0, origin, words)


def person_day_spans(
    days: int,
    grouped: exp.Expr,
    keys: list[exp.Expr],
    with_ctes: list[tuple[str, exp.Select]],
) -> exp.Select:
    """Trailing-window activity as ``(day, stop, [breakdown_value,] value)`` spans, for
    windows too long for the masks of :mod:`heron.analysis.active_masks`.

    Each person-day opens a span ``[day, stop)``: up to ``days`` days long, cut at the
    person's next active day, so one person's spans never overlap. The persons active in
    the ``days`` days ending on day ``x`` are then the spans covering ``x``, which Python
    sums from these few hundred rows (:func:`heron.analysis.intervals.trailing_counts`).
    """
    day = exp.column("day")
    width = exp.Interval(this=exp.Literal.number(days), unit=exp.Var(this="DAY"))
    horizon = exp.Add(this=day.copy(), expression=width)
    partition = [exp.column(PERSON), *([exp.column(BREAKDOWN)] if keys else [])]
    following = exp.Window(
        this=exp.Anonymous(
            this="LEAD", expressions=[day.copy(), exp.Literal.number(1), horizon.copy()]
        ),
        partition_by=partition,
        order=exp.Order(expressions=[exp.Ordered(this=day.copy())]),
    )
    breakdown = [BREAKDOWN] if keys else []
    spans = exp.select(
        "day", *breakdown, exp.alias_(exp.func("LEAST", following, horizon), "stop")
    ).from_("person_days")
    select = (
        exp.select("day", "stop", *breakdown, exp.alias_(exp.Count(this=exp.Star()), VALUE))
        .from_(spans.subquery("spans"))
        .group_by("day", "stop", *breakdown)
    )
    days_table = exp.select("day", PERSON, *keys).distinct().from_(grouped)
    for name, cte in [*with_ctes, ("person_days", days_table)]:
        select = select.with_(name, as_=cte)
    return select


def active_counts(table: pa.Table, activity: Activity) -> dict[Any, list[int]]:
    """Persons per window and breakdown value, from either form of
    :func:`compile_series`' result (masks, or person-day spans)."""
    if not activity.windows:
        return {}
    if activity.origin is not None:
        return masks.mask_counts(table, activity.windows, activity.origin, BREAKDOWN)
    return trailing_counts(table.to_pylist(), activity.windows, BREAKDOWN)
