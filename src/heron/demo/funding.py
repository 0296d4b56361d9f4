"""The community funding platform (seed 004): communities, projects, backers, loans.

Planted: signup → project_viewed → funding with a drop at funding; members who fund in
their first week mostly stay; the new onboarding lifts ``community_joined`` within a week
of signup. Projects are created by members and by community organisers; a project is
funded when its backers reach its goal, and ends after its duration (or its last funding).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pyarrow as pa

from heron.demo.effects import Churn, Experiment, Funnel, Identity, Truth
from heron.demo.encode import Bundle, Cat, Const, Ident, Int, Prop, objects
from heron.demo.frames import Block, Frame, layout
from heron.demo.identity import Site, identity_frames
from heron.demo.population import (
    Population,
    ProductSpec,
    cohorts,
    lifetimes,
    member_sessions,
    signup_props,
)
from heron.demo.vec import (
    DAY,
    F64,
    HOUR,
    I64,
    MINUTE,
    balanced,
    chance,
    expand,
    money,
    pick,
    uniform,
)
from heron.demo.web import COUNTRIES, Channel, pageview_props

ACTIVE = ("pageview", "project_viewed", "funding", "project_created", "community_joined")
TRUTH = Truth(
    funnel=Funnel(("signup", "project_viewed", "funding"), (0.75, 0.25), 7, "person", 2),
    churn=Churn("funding", 7, 14, ACTIVE, retained_with=0.75, retained_without=0.20),
    experiment=Experiment("community_joined", 7, control_rate=0.40, relative_lift=0.20),
    identity=Identity(visitor_share=0.3, anonymous_share=0.65, alias_share=0.04),
    spike_event="pageview",
    spike_multiplier=3.0,
    ties=(("signup", "$identify"), ("signup", "$feature_flag_called")),
)
HOURLY = (0.2, 0.1, 0.06, 0.05, 0.05, 0.1, 0.3, 0.6, 0.9, 1.0, 1.1, 1.1,
          1.2, 1.1, 1.0, 1.0, 1.0, 1.1, 1.3, 1.5, 1.5, 1.2, 0.8, 0.4)  # fmt: skip
COMMUNITIES = (
    ("boise", "US", "Boise"),
    ("austin", "US", "Austin"),
    ("berlin", "DE", "Berlin"),
    ("koeln", "DE", "Köln"),
    ("wien", "AT", "Wien"),
    ("lagos", "NG", "Lagos"),
    ("nairobi", "KE", "Nairobi"),
    ("manila", "PH", "Manila"),
    ("lima", "PE", "Lima"),
    ("kathmandu", "NP", "Kathmandu"),
)
SLUGS = tuple(c[0] for c in COMMUNITIES)
CITIES = tuple(c[2] for c in COMMUNITIES)
HOME = np.array([COUNTRIES.index(c[1]) for c in COMMUNITIES], dtype=np.int64)
CURRENCIES = ("USD", "EUR")
EURO = np.array([c[1] in ("DE", "AT") for c in COMMUNITIES], dtype=np.int64)
CATEGORIES = ("education", "health", "water", "agriculture", "small-business", "arts", "energy")
APP = "https://fund.example.org"
PATHS = ("/", "/explore", "/projects/", "/projects/", "/communities/", "/loans", "/account")
SITE = Site(
    host="https://www.example.org",
    paths=("/", "/how-it-works", "/communities", "/stories/"),
    signup_path="/join",
    channels=(
        Channel(),
        Channel(referrer="https://www.google.com/"),
        Channel("facebook", "social", "community-week", "https://www.facebook.com/"),
        Channel("newsletter", "email", "monthly-impact"),
        Channel("twitter", "social", "launch", "https://t.co/"),
    ),
    channel_weights=(0.3, 0.25, 0.2, 0.15, 0.1),
)
ORGANISERS = pa.array([f"org_{slug}" for slug in SLUGS])
FUNDERS = TRUTH.funnel.rates[0] * TRUTH.funnel.rates[1]
RETAINED_DAYS = 60.0
POPULATION = Population(
    retained_share=FUNDERS * TRUTH.churn.retained_with
    + (1 - FUNDERS) * TRUTH.churn.retained_without,
    retained_days=RETAINED_DAYS,
    identity=TRUTH.identity,
    id_prefix="member_",
    alias_prefix="donor_",
    device_weights=(0.25, 0.1, 0.1, 0.05, 0.05, 0.02, 0.22, 0.18, 0.03, 0.0, 0.0, 0.0),
    country_weights=tuple(1.0 for _ in COUNTRIES),
)


@dataclass(eq=False)
class Catalog:
    """The block's projects in creation order, and the fundings they receive."""

    creator: I64
    """The member who created it, -1 for a community organiser."""
    created: F64
    community: I64
    id: I64
    category: I64
    duration: F64
    fragments: pa.Array
    """Per project: its ``project_id``, ``category`` and ``community`` properties."""
    backer: list[I64] = field(default_factory=list)
    project: list[I64] = field(default_factory=list)
    ts: list[I64] = field(default_factory=list)
    session: list[I64] = field(default_factory=list)

    def pick(self, rng: np.random.Generator, at: F64) -> I64:
        """A project for each time: one of the most recently created before it."""
        known = np.searchsorted(self.created, at, side="right")
        back = np.floor(rng.exponential(12.0, len(at))).astype(np.int64)
        return np.asarray(np.clip(known - 1 - back, 0, len(self.created) - 1), dtype=np.int64)

    def props(self, project: I64) -> tuple[Prop, ...]:
        return (Bundle(self.fragments, project),)


def _catalog(block: Block, end: F64, community: I64) -> Catalog:
    rng, p, clock = block.rng, block.persons, block.clock
    creates = p.member & chance(rng, 0.06, p.n)
    owner, _ = expand(np.where(creates, 1 + chance(rng, 0.3, p.n), 0))
    hi = np.minimum(end[owner], p.signup[owner] + 30 * DAY)
    organised = max(4, p.n // 40)
    created = np.concatenate(
        [
            clock.sample(rng, p.signup[owner] + DAY, hi, len(owner)),
            uniform(rng, 0.5, 2.0, 3),
            clock.sample(rng, 0.0, clock.range_end, organised),
        ]
    )
    creator = np.concatenate([owner, np.full(organised + 3, -1, dtype=np.int64)])
    where = np.concatenate([community[owner], rng.integers(0, len(SLUGS), organised + 3)])
    order = np.argsort(created, kind="stable")
    n = len(order)
    ids, category, where = block.new_ids(n), rng.integers(0, len(CATEGORIES), n), where[order]
    fragments = [
        f',"project_id":"prj_{i}","category":"{CATEGORIES[c]}","community":"{SLUGS[s]}"'
        for i, c, s in zip(ids, category, where, strict=True)
    ]
    return Catalog(
        creator=creator[order],
        created=created[order],
        community=where,
        id=ids,
        category=category,
        duration=np.array([30.0, 45.0, 60.0])[rng.integers(0, 3, n)] * DAY,
        fragments=pa.array(fragments, pa.string()),
    )


def _browse(block: Block, catalog: Catalog, person: I64, start: F64, counts: list[I64]) -> None:
    """Sessions of page views, project views and at most one funding (of the last view)."""
    rng, clock = block.rng, block.clock
    start_us = clock.us(start)
    sessions = block.new_sessions(start_us)
    pages, views, funds = layout(rng, start_us, counts, 50.0)
    path = rng.integers(0, len(PATHS), len(pages.ts))
    props = pageview_props(APP, PATHS, path, rng.integers(1, 5000, len(path)))
    block.add(Frame("pageview", person[pages.session], pages.ts, props, sessions[pages.session]))
    project = catalog.pick(rng, clock.hours_of(views.ts))
    seen = catalog.props(project)
    block.add(
        Frame("project_viewed", person[views.session], views.ts, seen, sessions[views.session])
    )
    last_view = np.searchsorted(views.session, funds.session, side="right") - 1
    catalog.backer.append(person[funds.session])
    catalog.project.append(project[last_view])
    catalog.ts.append(funds.ts)
    catalog.session.append(sessions[funds.session])


def _owned(
    block: Block, catalog: Catalog, event: str, project: I64, ts: I64, props: tuple[Prop, ...]
) -> None:
    """Server-side events of projects' owners: the creating member, or the organiser."""
    member = catalog.creator[project] >= 0
    for by_member in (True, False):
        i = np.nonzero(member == by_member)[0]
        taken = tuple(prop.take(i) for prop in props)
        organiser = None if by_member else ORGANISERS.take(pa.array(catalog.community[project[i]]))
        owner = catalog.creator[project[i]]
        block.add(Frame(event, owner, ts[i], taken, server=True, distinct=organiser))


def _projects(block: Block, catalog: Catalog) -> None:
    """Fundings, then each project's creation (with its goal), funding and end."""
    rng, clock, p = block.rng, block.clock, block.persons
    backer, project = np.concatenate(catalog.backer), np.concatenate(catalog.project)
    ts, session = np.concatenate(catalog.ts), np.concatenate(catalog.session)
    n, k = len(ts), len(catalog.id)
    amount = money(rng, 2500, 0.9, n)
    paid = (
        Int("amount", amount),
        Int("fee", np.round(amount * 0.05).astype(np.int64)),
        Int("cost", np.round(amount * 0.029).astype(np.int64) + 30),
        Cat("currency", CURRENCIES, EURO[catalog.community[project]]),
        Cat("country", COUNTRIES, p.country[backer]),
    )
    block.add(Frame("funding", backer, ts, catalog.props(project) + paid, session))
    raised = np.bincount(project, weights=amount, minlength=k)
    goal = np.where(raised > 0, raised * uniform(rng, 0.6, 1.6, k), money(rng, 100_000, 0.5, k))
    goal = np.maximum(np.round(goal / 1000), 10).astype(np.int64) * 1000
    order = np.lexsort((ts, project))
    cum = np.cumsum(amount[order])
    first = np.searchsorted(project[order], np.arange(k))
    before = np.where(first > 0, cum[np.maximum(first - 1, 0)], 0)
    reached = cum - before[project[order]] >= goal[project[order]]
    funded, at = np.unique(project[order][reached], return_index=True)
    _owned(block, catalog, "project_funded", funded, ts[order][reached][at], catalog.props(funded))
    last = np.full(k, clock.us(catalog.created).min(), dtype=np.int64)
    np.maximum.at(last, project, ts)
    ends = np.maximum(
        clock.us(catalog.created + catalog.duration), last + rng.integers(1, 48, k) * 3_600_000_000
    )
    everything = np.arange(k)
    _owned(block, catalog, "project_ended", everything, ends, catalog.props(everything))
    created = (
        *catalog.props(everything),
        Int("goal_amount", goal),
        Cat("currency", CURRENCIES, EURO[catalog.community]),
    )
    mine = np.nonzero(catalog.creator >= 0)[0]
    block.emit(
        "project_created",
        catalog.creator[mine],
        catalog.created[mine],
        tuple(c.take(mine) for c in created),
    )
    theirs = np.nonzero(catalog.creator < 0)[0]
    _owned(
        block,
        catalog,
        "project_created",
        theirs,
        clock.us(catalog.created[theirs]),
        tuple(c.take(theirs) for c in created),
    )
    _loans(block, catalog, mine)


def _loans(block: Block, catalog: Catalog, mine: I64) -> None:
    rng = block.rng
    i = mine[chance(rng, 0.35, len(mine))]
    person, n = catalog.creator[i], len(i)
    amount = money(rng, 200_000, 0.6, n, step=1000)
    loan = Ident("loan_id", "loan_", block.new_ids(n))
    currency = Cat("currency", CURRENCIES, EURO[catalog.community[i]])
    taken = catalog.created[i] + uniform(rng, 0.0, 5 * DAY, n)
    block.emit("loan_created", person, taken, (loan, Int("amount", amount), currency))
    paid_out = taken + uniform(rng, DAY, 7 * DAY, n)
    block.emit(
        "loan_disbursed", person, paid_out, (loan, Int("amount", amount), currency), server=True
    )
    owner, month = expand(np.full(n, 6, dtype=np.int64))
    repay = (
        loan.take(owner),
        Int("amount", amount[owner] // 6),
        currency.take(owner),
        Const("kind", "loan_repayment"),
    )
    block.emit(
        "payment", person[owner], paid_out[owner] + 30 * DAY * (month + 1), repay, server=True
    )


def build(block: Block) -> None:
    """All events of the block's persons and of the projects they create and back."""
    rng, p, clock = block.rng, block.persons, block.clock
    n = p.n
    community = pick(rng, (0.14, 0.1, 0.14, 0.08, 0.06, 0.12, 0.12, 0.1, 0.08, 0.06), n)
    local = chance(rng, 0.9, n)
    block.persons = p = replace(p, country=np.where(local, HOME[community], p.country))
    sets = objects([Cat("country", COUNTRIES, p.country), Cat("community", SLUGS, community)], n)
    signup = p.signup
    exp, churn, rates = TRUTH.experiment, TRUTH.churn, TRUTH.funnel.rates
    cohort = cohorts(clock, signup)
    rate = np.where(p.variant == 1, exp.test_rate, exp.control_rate)
    joins = balanced(rng, rate, 3 * p.variant + cohort, p.member)
    viewed = balanced(rng, rates[0], cohort, p.member)
    funded = balanced(rng, rates[1], cohort, viewed)
    keeps = np.where(funded, churn.retained_with, churn.retained_without)
    retained, end = lifetimes(
        block, balanced(rng, keeps, 3 * funded + cohort, p.member), RETAINED_DAYS
    )
    identity_frames(block, SITE, sets, objects(signup_props(clock, signup), n), end)
    late = p.member & ~joins & chance(rng, 0.2, n) & (end - signup > 9 * DAY)
    first_week = clock.sample(rng, signup + 0.05 * HOUR, signup + 7 * DAY - 0.1 * HOUR, n)
    at = np.where(joins, first_week, clock.sample(rng, signup + 8 * DAY, end, n))
    i = np.nonzero(joins | late)[0]
    place = (
        Cat("community", SLUGS, community[i]),
        Cat("country", COUNTRIES, HOME[community[i]]),
        Cat("city", CITIES, community[i]),
    )
    block.emit("community_joined", i, at[i], place)
    catalog = _catalog(block, end, community)
    v = np.nonzero(viewed)[0]
    ones = np.ones(len(v), dtype=np.int64)
    start = clock.sample(rng, signup[v] + 5 * MINUTE, signup[v] + 5 * DAY, len(v))
    _browse(
        block, catalog, v, start, [1 + rng.poisson(1.0, len(v)), ones, funded[v].astype(np.int64)]
    )
    rate = np.exp(rng.normal(np.log(0.3), 0.5, n))
    owner, start = member_sessions(block, end, rate, retained)
    m = len(owner)
    views = np.where(start >= signup[owner] + 7 * DAY, rng.poisson(1.2, m), 0)
    funds = ((views > 0) & chance(rng, 0.15, m)).astype(np.int64)
    _browse(block, catalog, owner, start, [1 + rng.poisson(1.5, m), views, funds])
    _projects(block, catalog)


SPEC = ProductSpec(
    name="funding",
    timezone="Europe/Berlin",
    weekday=(1.0, 1.0, 1.0, 1.0, 0.95, 0.75, 0.8),
    hourly=HOURLY,
    truth=TRUTH,
    population=POPULATION,
    events_per_person=16.0,
    build=build,
)
