"""Lifecycle statuses from masks of active local days per person.

When the range and the interval before it fit in :data:`~heron.analysis.active_masks.MAX_WORDS`
words of local days, one ``GROUP BY`` person ORs each person's active days into a mask
(:func:`heron.analysis.active_masks.masks_of_rows`, resolving identity merges per stored
person when nothing reads persons), each person is flagged if seen before that span, and
grouping by ``(masks, flag)`` leaves one weighted row per distinct history (~160k rows for
330k persons over 121 days). numpy folds days into intervals (weeks, months) where needed
and counts, per interval, the persons active in it, those also active in the interval
before (``mask & mask << 1``) and those first seen in it (the lowest set bit of the unseen):
every status follows from these three counts, so no window function sorts each person's
intervals.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

import numpy as np
import pyarrow as pa
from sqlglot import exp

from heron.analysis import active_masks as masks
from heron.analysis.intervals import Window
from heron.query import dates
from heron.query.context import QueryContext, TimeRange

SEEN = "seen_before"
_DAY = timedelta(days=1)
_WORD = masks.WORD_DAYS


def mask_words(wide: TimeRange) -> int | None:
    """The 64-bit words a mask of ``wide``'s local days needs (``wide`` starts at a local
    midnight), or ``None`` when that is over :data:`~heron.analysis.active_masks.MAX_WORDS`."""
    words = masks.words_for(wide.end_local - wide.start_local)
    return words if words <= masks.MAX_WORDS else None


def compile_statuses(
    ctx: QueryContext,
    rows: exp.Select,
    wide: TimeRange,
    older: exp.Select,
    words: int,
    *,
    resolve: bool,
) -> exp.Select:
    """``(mask_0, …, seen_before, value)``: how many persons have each mask of active local
    days from ``wide``'s start among ``rows`` (an event source over ``wide``) and were or
    were not among ``older`` (a ``person`` column: those with a matching event before)."""
    persons = masks.masks_of_rows(ctx, rows, wide, wide.start_local, words, resolve=resolve)
    columns = [exp.column(masks.mask_column(word)) for word in range(words)]
    seen = exp.In(
        this=exp.column(masks.PERSON), query=exp.select(masks.PERSON).from_("older").subquery()
    )
    flagged = exp.select(*columns, exp.alias_(seen, SEEN)).from_(persons.subquery("p"))
    keys = [*(column.copy() for column in columns), exp.column(SEEN)]
    return (
        exp.select(*keys, exp.alias_(exp.Count(this=exp.Star()), masks.VALUE))
        .from_(flagged.subquery("flagged"))
        .group_by(*(key.copy() for key in keys))
        .with_("older", as_=older)
    )


def statuses(table: pa.Table, wide: TimeRange, starts: list[datetime]) -> dict[str, list[int]]:
    """``new``, ``returning``, ``resurrecting`` and ``dormant`` per interval of the range
    from the rows of :func:`compile_statuses`; ``starts`` are the local starts of the
    interval before the range (``wide``'s start) and of the range's intervals."""
    end = dates.truncate(wide.end_local - timedelta(microseconds=1), "day") + _DAY
    bounds = [*starts, end]
    windows = [Window(lo, lo, hi) for lo, hi in pairwise(bounds)]
    days = [
        _column(table, name) for name in table.column_names if name.startswith(f"{masks.MASK}_")
    ]
    held = days if len(windows) * _DAY == end - starts[0] else _fold(days, windows, starts[0])
    weights = _column(table, masks.VALUE).astype(np.float64)
    unseen = ~_column(table, SEEN).astype(bool)
    active = _per_bit(held, weights, len(windows))
    both = _per_bit(
        [a & b for a, b in zip(held, masks.shifted_up(held, 1), strict=True)], weights, len(windows)
    )
    first = _lowest_bits([word[unseen] for word in held])
    new = np.bincount(first, weights=weights[unseen], minlength=len(windows))
    return {
        "new": _ints(new[1:]),
        "returning": _ints(both[1:]),
        "resurrecting": _ints(active[1:] - both[1:] - new[1:]),
        "dormant": _ints(both[1:] - active[:-1]),
    }


def _column(table: pa.Table, name: str) -> np.ndarray:
    return table.column(name).to_numpy()


def _fold(days: list[np.ndarray], windows: list[Window], origin: datetime) -> list[np.ndarray]:
    """Masks of active intervals (bit ``k``: active on a day of ``windows[k]``) from masks
    of active days."""
    hit = masks.window_hits(days, windows, origin)
    words = -(-len(windows) // _WORD)
    padded = np.zeros((len(hit), words * _WORD), dtype=bool)
    padded[:, : len(windows)] = hit
    packed = np.packbits(padded, axis=1, bitorder="little").view("<u8")
    return [np.ascontiguousarray(packed[:, word]).astype(np.uint64) for word in range(words)]


def _per_bit(words: list[np.ndarray], weights: np.ndarray, bits: int) -> np.ndarray:
    """The weight of the rows with each of the first ``bits`` bits set."""
    return masks.bit_weights(words, weights, np.zeros(len(weights), dtype=np.intp), 1)[0, :bits]


def _lowest_bits(words: list[np.ndarray]) -> np.ndarray:
    """Each row's lowest set bit (every row has one): ``frexp`` of ``x & -x``, a power of
    two, gives its exponent exactly."""
    lowest = np.zeros(len(words[0]), dtype=np.int64)
    for word in reversed(range(len(words))):
        column = words[word]
        held = column != 0
        value = column[held]
        exponent = np.frexp((value & (~value + np.uint64(1))).astype(np.float64))[1]
        lowest[held] = exponent - 1 + word * _WORD
    return lowest


def _ints(values: np.ndarray) -> list[int]:
    return [int(value) for value in np.rint(values)]
