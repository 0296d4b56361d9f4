"""Small vectorised helpers shared by the generators (times are hours, floats)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
Bools = NDArray[np.bool_]

HOUR = 1.0
DAY = 24.0
MINUTE = 1.0 / 60.0
SECOND = 1.0 / 3600.0


def expand(counts: I64) -> tuple[I64, I64]:
    """Owner and ordinal (0 .. count-1) of every item when owner ``i`` has ``counts[i]`` items."""
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    ordinal = np.arange(len(owner), dtype=np.int64) - starts[owner]
    return owner, ordinal


def pick(rng: np.random.Generator, weights: Sequence[float] | F64, n: int) -> I64:
    """``n`` draws from the categorical distribution with these (unnormalised) weights."""
    cum = np.cumsum(np.asarray(weights, dtype=np.float64))
    return np.searchsorted(cum / cum[-1], rng.random(n), side="right").astype(np.int64)


def uniform(rng: np.random.Generator, lo: float | F64, hi: float | F64, n: int) -> F64:
    """``n`` uniform draws in ``[lo, hi)`` (bounds may be arrays of length ``n``)."""
    return np.asarray(lo + rng.random(n) * (np.asarray(hi) - np.asarray(lo)), dtype=np.float64)


def chance(rng: np.random.Generator, p: float | F64, n: int) -> Bools:
    """``n`` Bernoulli draws with success probability ``p`` (scalar or per item)."""
    return np.asarray(rng.random(n) < p, dtype=np.bool_)


def money(rng: np.random.Generator, median: float, sigma: float, n: int, step: int = 100) -> I64:
    """Log-normal amounts in minor units, rounded to ``step`` and at least one step."""
    raw = median * np.exp(sigma * rng.standard_normal(n))
    return np.maximum(np.round(raw / step), 1).astype(np.int64) * step


def balanced(
    rng: np.random.Generator, p: float | F64, strata: I64, who: Bools, chunk: int = 64
) -> Bools:
    """Bernoulli draws for ``who`` with exactly the expected number of successes.

    Items are visited in order, shuffled only within runs of ``chunk``, and chosen by
    systematic sampling per stratum (a random offset, then every time the stratum's
    cumulative probability passes an integer), so every stratum, and every prefix of
    whole runs, realises its expected count to within one. Items outside ``who`` are
    never chosen.
    """
    n = len(strata)
    prob = np.where(who, np.broadcast_to(np.asarray(p, dtype=np.float64), (n,)), 0.0)
    padded = n + (-n) % chunk
    shuffled = np.argsort(rng.random(padded).reshape(-1, chunk), axis=1)
    order = (shuffled + np.arange(0, padded, chunk)[:, None]).ravel()
    order = order[order < n]
    chosen = np.zeros(n, dtype=np.bool_)
    live = order[prob[order] > 0]
    for stratum in np.unique(strata[live]):
        idx = live[strata[live] == stratum]
        cum = np.cumsum(prob[idx]) + rng.random()
        chosen[idx] = np.floor(cum) > np.floor(cum - prob[idx])
    return chosen
