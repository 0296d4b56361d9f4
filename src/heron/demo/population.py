"""Persons and their lifecycles, shared by every product.

Persons are *visitors* (who only ever browse anonymously), *new members* (who sign up
during the range or shortly before it) and *established members* (who signed up before
the clock's origin and are still active then). Established members are as many, and as
old, as a steady state implies (signup rate × retained share × mean retained lifetime),
so the range starts neither empty nor with a growth ramp. Every new member is assigned an
experiment variant at signup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from heron.demo.clock import Clock
from heron.demo.effects import Identity, Truth
from heron.demo.encode import Cat, prefixed, uuid7
from heron.demo.frames import Block, Persons
from heron.demo.vec import DAY, F64, I64, MINUTE, Bools, chance, expand, pick, uniform
from heron.demo.web import IS_WEB

NULL_TEXT = pa.scalar(None, pa.string())
RETAINED_MIN_DAYS = 21.0
"""Retained members stay at least this long (then an exponential tail)."""
CHURNED_DAYS = (8.0, 12.0)
"""Members who are not retained stop being active within these days of signup."""


@dataclass(frozen=True, slots=True)
class Population:
    """How a product's persons are drawn."""

    identity: Identity
    id_prefix: str
    alias_prefix: str
    device_weights: tuple[float, ...]
    country_weights: tuple[float, ...]
    retained_share: float
    """The expected share of new members who are retained (for the steady state)."""
    retained_days: float
    """Mean of the retained lifetime's tail beyond :data:`RETAINED_MIN_DAYS`."""


def draw_persons(
    rng: np.random.Generator, clock: Clock, pop: Population, first: int, n: int
) -> Persons:
    """``n`` persons with global indices from ``first``."""
    ident = pop.identity
    alive_days = RETAINED_MIN_DAYS + pop.retained_days
    steady = (1 - ident.visitor_share) * pop.retained_share * alive_days
    established = chance(rng, steady / (steady + clock.range_end / 24), n)
    member = established | ~chance(rng, ident.visitor_share, n)
    fresh = member & ~established
    recent = chance(rng, RETAINED_MIN_DAYS / alive_days, n)
    tail_age = RETAINED_MIN_DAYS + rng.exponential(pop.retained_days, n)
    age = np.where(recent, uniform(rng, 0.0, RETAINED_MIN_DAYS, n), tail_age) * DAY
    signup = np.where(established, -age, clock.sample(rng, 0.0, clock.range_end, n))
    anon_first = fresh & chance(rng, ident.anonymous_share, n)
    variant = np.where(fresh, chance(rng, 0.5, n).astype(np.int64), -1)
    any_device = pick(rng, pop.device_weights, n)
    web_device = pick(rng, np.where(IS_WEB, pop.device_weights, 0.0), n)
    alias = fresh & (signup >= clock.range_start) & chance(rng, ident.alias_share, n)
    numbers = first + np.arange(n, dtype=np.int64)
    alias_ids = prefixed(pop.alias_prefix, numbers * 7 + 100_003)
    return Persons(
        signup=signup,
        member=member,
        established=established,
        anon_first=anon_first,
        variant=variant,
        device=np.where(anon_first | ~member, web_device, any_device),
        country=pick(rng, pop.country_weights, n),
        user_ids=prefixed(pop.id_prefix, numbers),
        anon_ids=uuid7(clock.us(signup - 14 * DAY * rng.random(n)), rng),
        alias_ids=pc.if_else(pa.array(alias), alias_ids, NULL_TEXT),
        alias_at=np.where(alias, signup + uniform(rng, MINUTE, 30 * MINUTE, n), np.inf),
    )


def lifetimes(block: Block, retained: Bools, retained_days: float) -> tuple[Bools, F64]:
    """When each person stops being active: (retained, end hour).

    Established members are retained: their signup ages follow the steady state of
    retained lifetimes, and the exponential tail is memoryless, so the rest of their
    lifetime is the tail from the later of the origin and the end of their minimum.
    Visitors end at their first visit.
    """
    rng, p = block.rng, block.persons
    tail = rng.exponential(retained_days * DAY, p.n)
    floor = p.signup + RETAINED_MIN_DAYS * DAY
    churned = p.signup + uniform(rng, CHURNED_DAYS[0] * DAY, CHURNED_DAYS[1] * DAY, p.n)
    end = np.where(retained, floor + tail, churned)
    end = np.where(p.established, np.maximum(floor, 0.0) + tail, np.where(p.member, end, p.signup))
    return retained | p.established, end


def cohorts(clock: Clock, signup: F64) -> I64:
    """Which measurement cohorts a signup falls in: 0 none, 1 signed up at least 21 days
    before the end of the range, 2 between 7 and 21 days before (planted rates are exact
    in each, see :func:`heron.demo.vec.balanced`)."""
    inside = signup >= clock.range_start
    return np.where(
        inside & (signup < clock.range_end - 21 * DAY),
        1,
        np.where(inside & (signup < clock.range_end - 7 * DAY), 2, 0),
    )


def signup_props(clock: Clock, hours: F64) -> tuple[Cat, Cat]:
    """``signup_date`` and ``cohort`` (signup month) of signups at ``hours`` (local dates)."""
    day = np.where(hours >= 0, clock.day_of(hours), np.floor(hours / DAY).astype(np.int64))
    low = int(day.min(initial=0))
    dates = tuple(clock.date(d).isoformat() for d in range(low, len(clock.midnight)))
    months = tuple(sorted({d[:7] for d in dates}))
    month_of = np.array([months.index(d[:7]) for d in dates], dtype=np.int64)
    return Cat("signup_date", dates, day - low), Cat("cohort", months, month_of[day - low])


def activity(block: Block, lo: F64, hi: F64, per_day: F64 | float, who: Bools) -> tuple[I64, F64]:
    """Sessions of persons ``who`` at ``per_day`` on average within ``[lo, hi)``
    (clipped to the clock): (person, hour)."""
    lo, hi = np.maximum(lo, 0.0), np.minimum(hi, float(block.clock.hours))
    span = np.where(who, np.maximum(hi - lo, 0.0), 0.0)
    owner, _ = expand(block.rng.poisson(np.asarray(per_day) * span / DAY))
    return owner, block.clock.sample(block.rng, lo[owner], hi[owner], len(owner))


def member_sessions(
    block: Block, end: F64, per_day: F64 | float, retained: Bools
) -> tuple[I64, F64]:
    """Members' sessions from signup until ``end``, plus one 14–21 days after signup for
    every retained member (so retention is measurable exactly): (person, hour)."""
    p = block.persons
    owner, start = activity(block, p.signup, end, per_day, p.member)
    anchor = np.nonzero(retained)[0]
    lo = p.signup[anchor] + 14 * DAY
    again = block.clock.sample(block.rng, lo, lo + 7 * DAY, len(anchor))
    return np.concatenate([owner, anchor]), np.concatenate([start, again])


@dataclass(frozen=True, slots=True)
class ProductSpec:
    """Everything that makes one demo product: calendar, truth, persons and behaviour."""

    name: str
    timezone: str
    weekday: tuple[float, ...]
    """Relative activity Monday … Sunday (local)."""
    hourly: tuple[float, ...]
    """Relative activity per local hour of day."""
    truth: Truth
    population: Population
    events_per_person: float
    """A rough average, used to size blocks and global quantities."""
    build: Callable[[Block], None]
