"""Trailing-window activity from one 64-bit mask of active local days per person.

``weekly_active`` / ``monthly_active`` count the persons active in the local days
``[lo, hi)`` of each bucket's window. When every window and the range fit in
:data:`MAX_DAYS` local days from an origin day, one ``GROUP BY`` person gives each
person (per breakdown value) a mask whose bit ``i`` says "active on origin day + i";
grouping those rows by mask again leaves one ``(mask, [breakdown_value,] value)`` row per
distinct mask (about half as many rows as persons over 60 days), and a window counts the
persons whose mask meets its bits. Longer spans keep the person-day spans of
:mod:`heron.analysis.trends`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
from sqlglot import exp

from heron.analysis.intervals import Window
from heron.query import dates
from heron.query.context import QueryContext, TimeRange

MAX_DAYS = 64
"""Local days a mask holds: the bits of an unsigned 64-bit integer."""
DAY_BIT = "day_bit"
MASK = "mask"
PERSON = "person"
VALUE = "value"
_DAY = timedelta(days=1)
_DAY_US = 86_400_000_000


def _call(name: str, *args: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=name, expressions=list(args))


def _duckdb_bit(local: exp.Expr, origin: exp.Expr) -> exp.Expr:
    since = exp.paren(exp.Sub(this=_call("EPOCH_US", local), expression=origin))
    day = exp.IntDiv(this=since, expression=exp.Literal.number(_DAY_US))
    ubigint = exp.DataType.build("UBIGINT", dialect="duckdb")
    return exp.BitwiseLeftShift(
        this=exp.cast(exp.Literal.number(1), ubigint), expression=exp.cast(day, ubigint)
    )


def _clickhouse_bit(local: exp.Expr, origin: exp.Expr) -> exp.Expr:
    since = exp.Sub(this=_call("toUnixTimestamp64Micro", local), expression=origin)
    day = _call("intDiv", since, exp.Literal.number(_DAY_US))
    return _call("bitShiftLeft", _call("toUInt64", exp.Literal.number(1)), day)


DAY_BITS: dict[str, Callable[[exp.Expr, exp.Expr], exp.Expr]] = {
    "duckdb": _duckdb_bit,
    "clickhouse": _clickhouse_bit,
}
"""(local wall-clock time, origin in epoch µs) → the unsigned 64-bit bit of its day."""
BIT_OR = {"duckdb": "BIT_OR", "clickhouse": "groupBitOr"}


def mask_origin(windows: list[Window], rng: TimeRange) -> datetime | None:
    """The local day of bit 0, or ``None`` when the windows and the range span more than
    :data:`MAX_DAYS` local days (the rows then reach back to the first window's start)."""
    origin = dates.truncate(min(windows[0].lo, rng.start_local), "day")
    end = dates.truncate(rng.end_local - timedelta(microseconds=1), "day") + _DAY
    return origin if end - origin <= MAX_DAYS * _DAY else None


def day_bit(ctx: QueryContext, ts: exp.Column, source: TimeRange, origin: datetime) -> exp.Expr:
    """The mask bit of an event's local day (``source`` is the range the rows span)."""
    micros = (origin - datetime(1970, 1, 1)) // timedelta(microseconds=1)
    local = ctx.local_time(ts, source)
    return DAY_BITS[ctx.dialect.name](local, exp.Literal.number(micros))


def compile_masks(
    dialect: str,
    grouped: exp.Expr,
    keys: list[exp.Expr],
    with_ctes: list[tuple[str, exp.Select]],
) -> exp.Select:
    """``(mask, [breakdown_value,] value)``: how many persons have each mask of active days.

    ``grouped`` has a :data:`DAY_BIT` and a :data:`PERSON` column per event row; ``keys`` is the
    breakdown value column, if any.
    """
    names = [key.alias for key in keys]
    bits = _call(BIT_OR[dialect], exp.column(DAY_BIT))
    persons = (
        exp.select(*keys, exp.alias_(bits, MASK))
        .from_(grouped)
        .group_by(exp.column(PERSON), *names)
    )
    select = (
        exp.select(MASK, *names, exp.alias_(exp.Count(this=exp.Star()), VALUE))
        .from_(persons.subquery("masks"))
        .group_by(MASK, *names)
    )
    for name, cte in with_ctes:
        select = select.with_(name, as_=cte)
    return select


def window_bits(windows: list[Window], origin: datetime) -> list[int]:
    """Each window's days ``[lo, hi)`` as mask bits (days outside the mask dropped)."""
    out = []
    for window in windows:
        lo = max((window.lo - origin) // _DAY, 0)
        hi = min((window.hi - origin) // _DAY, MAX_DAYS)
        out.append((1 << hi) - (1 << lo) if hi > lo else 0)
    return out


def mask_counts(
    table: pa.Table, windows: list[Window], origin: datetime, group: str
) -> dict[Any, list[int]]:
    """Persons per window and group (breakdown value) from ``(mask, [group,] value)`` rows.

    Groups without any covered window are left out, as in
    :func:`heron.analysis.intervals.trailing_counts`.
    """
    masks = table.column(MASK).to_numpy().astype(np.uint64)
    weights = table.column(VALUE).to_numpy().astype(np.float64)
    keys: list[Any] = [None]
    members = np.zeros(len(masks), dtype=np.intp)
    if group in table.column_names:
        values = table.column(group).to_pylist()
        index = {value: i for i, value in enumerate(dict.fromkeys(values))}
        keys = list(index)
        members = np.fromiter((index[v] for v in values), dtype=np.intp, count=len(values))
    counts = np.zeros((len(keys), len(windows)), dtype=np.int64)
    for position, bits in enumerate(window_bits(windows, origin)):
        hit = (masks & np.uint64(bits)) != 0
        counts[:, position] = np.bincount(members[hit], weights[hit], minlength=len(keys))
    return {key: data for key, data in zip(keys, counts.tolist(), strict=True) if any(data)}
