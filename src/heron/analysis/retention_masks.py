"""Retention counted from each person's mask of periods.

Periods are numbered from the first cohort's start (period ``k``: the ``k``-th period
after it). When ``1 + T + H`` bits fit in the words that pay (:data:`WORDS_THAT_PAY`, at most
:data:`~heron.analysis.active_masks.MAX_WORDS` 64-bit words; ``T`` cohort periods,
``H = T + offsets`` periods in the horizon of returns), one ``GROUP BY`` person ORs into
one mask:

- bit 0: a target event before the first cohort (``first_time``: the person's first
  target event is older, so they are in no cohort);
- bit ``1 + k``: a target event in cohort period ``k``;
- bit ``1 + T + k``: a returning event in period ``k``.

The target rows (``first_time``: all of them up to the last cohort's end; ``recurring``:
those in the cohorts' periods) and the returning rows in the horizon are one ``UNION
ALL`` whose per-person masks are ORed per stored person before identity merges when
nothing reads persons (:func:`heron.analysis.active_masks.person_masks`), then grouped by
mask: one weighted row per distinct mask. numpy takes each row's cohorts (``first_time``:
its lowest target bit, unless bit 0 is set; ``recurring``: every target bit) and reads the
return bits ``n`` periods after each.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
from sqlglot import exp

from heron.analysis import active_masks as masks
from heron.query import dates
from heron.query.context import QueryContext, TimeRange
from heron.query.properties import PropertyFilter
from heron.query.source import event_rows, reads_persons

if TYPE_CHECKING:
    from heron.analysis.retention import Period, RetentionQuery


WORDS_THAT_PAY = {"duckdb": 4}
"""Backends whose masks stop paying before :data:`~heron.analysis.active_masks.MAX_WORDS`
words: DuckDB's work per row grows with each word (daily retention at 10M events, CPU of
the join → masks: 3 words 819 → 694 ms, 4 words 1,007 → 995 ms, 8 words 1,039 → 1,859 ms),
where chdb still gains at 8 words (2,893 → 1,595 ms)."""


def mask_words(cohorts: int, horizon: int, backend: str) -> int | None:
    """The 64-bit words a mask of ``cohorts`` cohort periods and ``horizon`` periods of
    returns needs, or ``None`` when more than pay on ``backend`` (a dialect's name)."""
    words = -(-(1 + cohorts + horizon) // masks.WORD_DAYS)
    most = min(masks.MAX_WORDS, WORDS_THAT_PAY.get(backend, masks.MAX_WORDS))
    return words if words <= most else None


def compile_masks(
    ctx: QueryContext,
    spec: RetentionQuery,
    starts: list[datetime],
    horizon: TimeRange,
    words: int,
) -> exp.Select:
    """``(mask_0, …, value)``: how many persons (or groups) have each mask of target and
    returning periods (see the module docstring); ``horizon`` runs from ``starts[0]`` to
    the end of the last period a return is counted in."""
    d, group_type = ctx.dialect, spec.aggregation_group_type
    targets = ctx.local_range(starts[0], dates.step(starts[-1], spec.period))
    first_time = spec.retention_type == "first_time"
    ts = exp.column("timestamp", "e")
    index = _index(ctx, spec.period, horizon)
    target_bit: exp.Expr = exp.Add(this=exp.Literal.number(1), expression=index)
    target_rows = _rows(
        ctx, spec, None if first_time else targets, spec.target_event, spec.target_filters
    )
    if first_time:
        target_rows = target_rows.where(ts.copy() < d.timestamp(targets.end_utc))
        before = ts.copy() < d.timestamp(targets.start_utc)
        target_bit = exp.Case().when(before, exp.Literal.number(0)).else_(target_bit)
    return_bit = exp.Add(this=exp.Literal.number(1 + len(starts)), expression=index.copy())
    return_rows = _rows(ctx, spec, horizon, spec.returning_event, spec.returning_filters)
    resolve = group_type is None and not reads_persons(
        [*spec.filters, *spec.target_filters, *spec.returning_filters], spec.cohort
    )
    parts = [
        masks.indexed_rows(ctx, rows, bit, resolve=resolve, group_type=group_type)
        for rows, bit in ((target_rows, target_bit), (return_rows, return_bit))
    ]
    matched = exp.union(*parts, distinct=False).subquery("matched")
    return masks.compile_masks(d, matched, [], [], words, resolve=resolve)


def _rows(
    ctx: QueryContext,
    spec: RetentionQuery,
    rng: TimeRange | None,
    event: str,
    filters: list[PropertyFilter],
) -> exp.Select:
    return event_rows(
        ctx,
        rng,
        events=[event],
        filters=[*spec.filters, *filters],
        cohort=spec.cohort,
        group_type=spec.aggregation_group_type,
    )


def _index(ctx: QueryContext, period: Period, horizon: TimeRange) -> exp.Expr:
    """The number of an event's period from ``horizon``'s start (a period's start)."""
    ts = exp.column("timestamp", "e")
    if period != "month":
        days = 7 if period == "week" else 1
        return masks.day_index(ctx, ts, horizon, horizon.start_local, days)
    origin = ctx.dialect.timestamp(horizon.start_local)
    local = ctx.local_time(ts, horizon)
    return exp.DateDiff(this=local, expression=origin, unit=exp.var("MONTH"))


def counts(table: pa.Table, cohorts: int, offsets: int, *, first_time: bool) -> np.ndarray:
    """cohorts × (offsets + 1): each cohort's size (column 0) and its members back ``n``
    periods later (column ``n``), from the rows of :func:`compile_masks`."""
    words = [name for name in table.column_names if name.startswith(f"{masks.MASK}_")]
    stacked = np.stack([table.column(name).to_numpy().astype("<u8") for name in words], axis=1)
    bits = np.unpackbits(stacked.view(np.uint8), axis=1, bitorder="little").view(bool)
    member = bits[:, 1 : 1 + cohorts]
    if first_time:
        first = member.argmax(axis=1)
        rows = np.flatnonzero(member[np.arange(len(first)), first] & ~bits[:, 0])
        cohort = first[rows]
    else:
        rows, cohort = np.nonzero(member)
    back = bits[:, 1 + cohorts :]
    steps = np.arange(offsets + 1)
    hits = back[rows[:, None], cohort[:, None] + steps]
    hits[:, 0] = True
    weights = table.column(masks.VALUE).to_numpy().astype(np.float64)[rows]
    cells = cohort[:, None] * (offsets + 1) + steps
    sums = np.bincount(
        cells.ravel(), weights=(weights[:, None] * hits).ravel(), minlength=cohorts * (offsets + 1)
    )
    return np.rint(sums).astype(np.int64).reshape(cohorts, offsets + 1)
