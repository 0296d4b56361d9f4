"""Vectorised sampling helpers."""

from __future__ import annotations

import numpy as np

from heron.demo.vec import balanced, expand, pick


def test_expand_gives_owner_and_ordinal() -> None:
    owner, ordinal = expand(np.array([2, 0, 3]))
    assert owner.tolist() == [0, 0, 2, 2, 2]
    assert ordinal.tolist() == [0, 1, 0, 1, 2]


def test_pick_follows_weights() -> None:
    draws = pick(np.random.default_rng(0), (1.0, 3.0), 40_000)
    assert abs(draws.mean() - 0.75) < 0.01


def test_balanced_realises_rates_per_stratum_and_prefix() -> None:
    rng = np.random.default_rng(4)
    n = 10_000
    strata = rng.integers(0, 3, n)
    who = rng.random(n) < 0.8
    rate = np.array([0.1, 0.5, 0.9])[strata]
    chosen = balanced(rng, rate, strata, who)
    assert not chosen[~who].any()
    for s in range(3):
        members = who & (strata == s)
        assert abs(chosen[members].sum() - rate[members].sum()) <= 1
    prefix = np.arange(n) < 6_400
    for s in range(3):
        members = who & (strata == s) & prefix
        assert abs(chosen[members].sum() - rate[members].sum()) <= 1
