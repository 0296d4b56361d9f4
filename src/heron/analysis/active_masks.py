"""Trailing-window activity from masks of active local days per person.

``weekly_active`` / ``monthly_active`` (and a lone ``dau``) count the persons active in
the local days ``[lo, hi)`` of each bucket's window (for ``dau``, the bucket's own days).
When every window and the range fit in :data:`MAX_WORDS` words of local days from an
origin day, one ``GROUP BY`` person gives each
person (per breakdown value) a mask whose bit ``i`` says "active on origin day + i", held
in as many unsigned 64-bit words as the span needs (``mask_0`` for days 0–63, ``mask_1``
for 64–127, …); grouping those rows by mask again leaves one
``(mask_0, …, [breakdown_value,] value)`` row per distinct mask (about half as many rows as
persons over 60 days), and a window counts the persons whose mask meets its bits. Longer
spans keep the person-day spans of :mod:`heron.analysis.trends`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
from sqlglot import exp

from heron.analysis.intervals import Buckets, Window
from heron.query import dates
from heron.query.context import QueryContext, TimeRange
from heron.query.dialects import SqlDialect
from heron.query.source import actor_id, overrides, without_identity

WORD_DAYS = 64
"""Local days one mask word holds: the bits of an unsigned 64-bit integer."""
MAX_WORDS = 8
"""Words a mask may take: a span of up to 512 local days (a year of daily MAU)."""
DAY_INDEX = "day_index"
MASK = "mask"
PERSON = "person"
VALUE = "value"
_DAY = timedelta(days=1)


def mask_origin(windows: list[Window], rng: TimeRange) -> datetime | None:
    """The local day of bit 0, or ``None`` when the windows and the range span more than
    ``MAX_WORDS`` words of local days (the rows then reach back to the first window's start)."""
    origin = dates.truncate(min(windows[0].lo, rng.start_local), "day")
    end = dates.truncate(rng.end_local - timedelta(microseconds=1), "day") + _DAY
    return origin if end - origin <= MAX_WORDS * WORD_DAYS * _DAY else None


def bucket_windows(buckets: Buckets) -> list[Window] | None:
    """Each bucket's own local days (cut to the range), for counting the distinct persons
    of each bucket from masks; ``None`` for hour buckets or a range that does not start at
    a local midnight (masks only know whole days)."""
    start = buckets.rng.start_local
    if buckets.interval == "hour" or start != dates.truncate(start, "day"):
        return None
    out = []
    for key in buckets.keys:
        end = min(dates.step(key, buckets.interval), buckets.rng.end_local)
        hi = dates.truncate(end - timedelta(microseconds=1), "day") + _DAY
        out.append(Window(key, max(key, start), hi))
    return out


def word_count(windows: list[Window], origin: datetime) -> int:
    """How many 64-bit words the mask needs for every window's days."""
    return words_for(max(window.hi for window in windows) - origin)


def words_for(span: timedelta) -> int:
    """How many 64-bit words hold the local days of ``span`` (a part day counts whole)."""
    days = -(-span // _DAY)
    return max(1, -(-days // WORD_DAYS))


def day_index(
    ctx: QueryContext, ts: exp.Column, source: TimeRange, origin: datetime, days: int = 1
) -> exp.Expr:
    """The number of an event's local day (span of ``days`` days) from the origin
    (``source``: the rows' range)."""
    micros = (origin - datetime(1970, 1, 1)) // timedelta(microseconds=1)
    return ctx.dialect.days_since(ctx.local_time(ts, source), micros, days)


def compile_masks(
    d: SqlDialect,
    grouped: exp.Expr,
    keys: list[exp.Expr],
    with_ctes: list[tuple[str, exp.Select]],
    words: int,
    *,
    resolve: bool = False,
) -> exp.Select:
    """``(mask_0, …, [breakdown_value,] value)``: how many persons have each mask of days
    (:func:`person_masks` counted per mask)."""
    names = [key.alias for key in keys]
    columns = [mask_column(word) for word in range(words)]
    persons = person_masks(d, grouped, keys, words, resolve=resolve)
    select = (
        exp.select(*columns, *names, exp.alias_(exp.Count(this=exp.Star()), VALUE))
        .from_(persons.subquery("masks"))
        .group_by(*columns, *names)
    )
    for name, cte in with_ctes:
        select = select.with_(name, as_=cte)
    return select


def masks_of_rows(
    ctx: QueryContext,
    rows: exp.Select,
    source: TimeRange,
    origin: datetime,
    words: int,
    *,
    resolve: bool,
) -> exp.Select:
    """``(person, mask_0, …)``: each person's active local days (from ``origin``) among
    ``rows``, an :func:`~heron.query.source.event_rows` source over ``source``. With
    ``resolve`` (the rows read no person property and no cohort), the identity join is
    dropped from the rows and applied to the per-person masks instead (:func:`person_masks`).
    """
    index = day_index(ctx, exp.column("timestamp", "e"), source, origin)
    grouped = indexed_rows(ctx, rows, index, resolve=resolve).subquery("matched")
    return person_masks(ctx.dialect, grouped, [], words, resolve=resolve)


def indexed_rows(
    ctx: QueryContext,
    rows: exp.Select,
    index: exp.Expr,
    *,
    resolve: bool,
    group_type: str | None = None,
) -> exp.Select:
    """``(day_index, person)`` of ``rows``: the bit each row sets and whose mask it joins.
    With ``resolve``, ``person`` is the stored person id and the identity join is dropped
    (:func:`person_masks` merges the masks per person afterwards); otherwise it is the
    resolved person, or the group of ``group_type``."""
    if resolve:
        without_identity(rows)
    unit = exp.column("person_id", "e") if resolve else actor_id(ctx, group_type)
    return rows.select(exp.alias_(index, DAY_INDEX), exp.alias_(unit, PERSON))


def person_masks(
    d: SqlDialect, grouped: exp.Expr, keys: list[exp.Expr], words: int, *, resolve: bool
) -> exp.Select:
    """``(person, [breakdown_value,] mask_0, …)``: each person's mask of active days.

    ``grouped`` has a :data:`DAY_INDEX` (≥ 0) and a :data:`PERSON` column per event row;
    ``keys`` is the breakdown value column, if any. Word ``w`` ORs the bits
    ``day_index % 64`` of the rows whose day falls in its 64 days. With ``resolve``,
    :data:`PERSON` is the event's own person id: the masks are ORed per stored person
    first, then per person after identity merges (OR is associative), so the overrides
    are joined to one row per stored person instead of one per event.
    """
    names = [key.alias for key in keys]
    index = exp.column(DAY_INDEX)
    bit = d.uint64_bit(exp.Mod(this=index.copy(), expression=exp.Literal.number(WORD_DAYS)))
    zero = d.parse(d.uint64_zero)
    parts = []
    for word in range(words):
        value = bit.copy()
        if words > 1:
            first = word * WORD_DAYS
            inside = exp.and_(
                exp.GTE(this=index.copy(), expression=exp.Literal.number(first)),
                exp.LT(this=index.copy(), expression=exp.Literal.number(first + WORD_DAYS)),
            )
            value = exp.Case().when(inside, value).else_(zero.copy())
        parts.append(exp.alias_(exp.BitwiseOrAgg(this=value), mask_column(word)))
    person = exp.column(PERSON)
    persons = exp.select(person, *keys, *parts).from_(grouped).group_by(person.copy(), *names)
    return _resolved(d, persons, names, words) if resolve else persons


def _resolved(d: SqlDialect, persons: exp.Select, names: list[str], words: int) -> exp.Select:
    """Masks per stored person (``r``) ORed again per person after identity merges."""
    merged = d.person(exp.column(PERSON, "r"), exp.column("person_id", "o"))
    parts = [
        exp.alias_(exp.BitwiseOrAgg(this=exp.column(mask_column(w), "r")), mask_column(w))
        for w in range(words)
    ]
    kept = [exp.column(name, "r") for name in names]
    return (
        exp.select(exp.alias_(merged, PERSON), *kept, *parts)
        .from_(persons.subquery("r"))
        .join(
            overrides(),
            on=exp.column("old_person_id", "o").eq(exp.column(PERSON, "r")),
            join_type="left",
        )
        .group_by(merged.copy(), *(k.copy() for k in kept))
    )


def mask_column(word: int) -> str:
    return f"{MASK}_{word}"


def window_bits(windows: list[Window], origin: datetime) -> list[int]:
    """Each window's days ``[lo, hi)`` as mask bits (days before the origin dropped)."""
    out = []
    for window in windows:
        lo = max((window.lo - origin) // _DAY, 0)
        hi = max((window.hi - origin) // _DAY, lo)
        out.append((1 << hi) - (1 << lo))
    return out


def window_hits(words: list[np.ndarray], windows: list[Window], origin: datetime) -> np.ndarray:
    """rows × windows: whether a row's mask (its 64-day ``words``, lowest first) has an
    active day in each window."""
    hit = np.zeros((len(words[0]), len(windows)), dtype=bool)
    word_mask = (1 << WORD_DAYS) - 1
    bits = window_bits(windows, origin)
    for word, column in enumerate(words):
        parts = np.array([(b >> (word * WORD_DAYS)) & word_mask for b in bits], dtype=np.uint64)
        hit |= (column[:, None] & parts[None, :]) != 0
    return hit


def shifted_up(words: list[np.ndarray], by: int) -> list[np.ndarray]:
    """The masks moved ``by`` bits up (0 < ``by`` < 64; bit ``k + by`` says what bit ``k``
    said), carried across words; bits moved past the last word are dropped."""
    out, carry = [], np.zeros_like(words[0])
    for column in words:
        out.append((column << np.uint64(by)) | carry)
        carry = column >> np.uint64(WORD_DAYS - by)
    return out


def dilated(words: list[np.ndarray], days: int) -> list[np.ndarray]:
    """The masks with bit ``i`` set when any of bits ``i - days + 1 … i`` is: whether a
    window of ``days`` days ending on day ``i`` holds an active day. Shifts that double the
    covered span (at most 63 bits at a time) take ``log2(days)`` passes."""
    covered = 1
    while covered < days:
        step = min(covered, days - covered, WORD_DAYS - 1)
        words = [a | b for a, b in zip(words, shifted_up(words, step), strict=True)]
        covered += step
    return words


_BYTE_BITS = np.unpackbits(
    np.arange(256, dtype=np.uint8)[:, None], axis=1, bitorder="little"
).astype(np.float64)
"""Row ``v``: the bits (lowest first) of the byte value ``v``."""


def bit_weights(
    words: list[np.ndarray], weights: np.ndarray, members: np.ndarray, groups: int
) -> np.ndarray:
    """groups × bits: the weight of each group's rows (``members``: a row's group) with each
    bit of the masks set. A weighted histogram of each byte of the masks per group, times
    which bits each byte value has: one pass per byte instead of one per bit."""
    octets = np.ascontiguousarray(np.stack(words, axis=1).astype("<u8").view(np.uint8).T)
    offsets = members * 256
    sums = [
        np.bincount(offsets + octet, weights=weights, minlength=256 * groups).reshape(groups, 256)
        @ _BYTE_BITS
        for octet in octets
    ]
    return np.concatenate(sums, axis=1)


DILATE_FROM = 16
"""Windows of one length from which they are counted from dilated masks (one histogram for
all of them) rather than each matched against every mask."""


def mask_counts(
    table: pa.Table, windows: list[Window], origin: datetime, group: str
) -> dict[Any, list[int]]:
    """Persons per window and group (breakdown value) from ``(mask_0, …, [group,] value)``
    rows.

    Windows of one length in days, when there are :data:`DILATE_FROM` or more (a daily
    WAU or MAU), are read off the masks dilated by that length: a window ``[lo, hi)``
    holds an active day of a mask exactly when bit ``hi - 1`` of the dilated mask is set
    (no mask has bits before the origin, so a window reaching before it needs no cut).
    Fewer windows of a length are matched against every mask (:func:`window_hits`).
    Groups without any covered window are left out, as in
    :func:`heron.analysis.intervals.trailing_counts`.
    """
    words = [name for name in table.column_names if name.startswith(f"{MASK}_")]
    weights = table.column(VALUE).to_numpy().astype(np.float64)
    columns = [table.column(name).to_numpy().astype(np.uint64) for name in words]
    keys: list[Any] = [None]
    members = np.zeros(len(weights), dtype=np.intp)
    if group in table.column_names:  # codes in order of first appearance
        encoded = table.column(group).combine_chunks().dictionary_encode()
        keys = encoded.dictionary.to_pylist()
        members = encoded.indices.to_numpy().astype(np.intp)
    sums = np.zeros((len(keys), len(windows)))
    matched: list[int] = []
    for days, chosen in _by_length(windows, origin).items():
        if days <= 0 or len(chosen) < DILATE_FROM:
            matched += chosen
            continue
        per_bit = bit_weights(dilated(columns, days), weights, members, len(keys))
        for index in chosen:
            end = (windows[index].hi - origin) // _DAY - 1
            sums[:, index] = per_bit[:, end] if end >= 0 else 0
    if matched:
        hit = window_hits(columns, [windows[index] for index in matched], origin)
        per_key = np.zeros((len(keys), len(weights)))
        per_key[members, np.arange(len(weights))] = weights
        sums[:, matched] = per_key @ hit
    counts = np.rint(sums).astype(np.int64).tolist()
    return {key: data for key, data in zip(keys, counts, strict=True) if any(data)}


def _by_length(windows: list[Window], origin: datetime) -> dict[int, list[int]]:
    """The windows' indexes by their length in whole local days from the origin's grid."""
    out: dict[int, list[int]] = {}
    for index, window in enumerate(windows):
        days = (window.hi - origin) // _DAY - (window.lo - origin) // _DAY
        out.setdefault(days, []).append(index)
    return out
