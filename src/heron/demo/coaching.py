"""The coaching app (seed 003): goals, habits, AI nudges, chat, subscriptions.

Planted: signup → goal_created → goal_completed with a drop at completion; members who
check no habit in their first week mostly stop after two weeks; the new onboarding lifts
``subscription_started`` within a week of signup.
"""

from __future__ import annotations

import numpy as np

from heron.demo.effects import Churn, Experiment, Funnel, Identity, Truth
from heron.demo.encode import Cat, Const, Ident, Int, Prop, objects
from heron.demo.frames import Block, Frame, layout
from heron.demo.identity import Site, identity_frames
from heron.demo.population import (
    Population,
    ProductSpec,
    activity,
    cohorts,
    lifetimes,
    member_sessions,
    signup_props,
)
from heron.demo.vec import DAY, F64, HOUR, I64, Bools, balanced, chance, expand, pick, uniform
from heron.demo.web import COUNTRIES, IS_WEB, Channel, country_weights, pageview_props

ACTIVE = (
    "app_opened",
    "pageview",
    "habit_checked",
    "goal_created",
    "goal_completed",
    "goal_abandoned",
    "message_sent",
    "session_rated",
    "subscription_started",
)
TRUTH = Truth(
    funnel=Funnel(("signup", "goal_created", "goal_completed"), (0.70, 0.30), 7, "person", 2),
    churn=Churn("habit_checked", 7, 14, ACTIVE, retained_with=0.80, retained_without=0.15),
    experiment=Experiment("subscription_started", 7, control_rate=0.35, relative_lift=0.20),
    identity=Identity(visitor_share=0.25, anonymous_share=0.6, alias_share=0.05),
    spike_event="pageview",
    spike_multiplier=3.0,
    ties=(
        ("signup", "$identify"),
        ("signup", "$feature_flag_called"),
        ("subscription_started", "payment"),
    ),
)
HABIT_SHARE = 0.55
RETAINED_DAYS = 40.0
HOURLY = (0.15, 0.08, 0.05, 0.04, 0.05, 0.2, 0.6, 1.3, 1.5, 1.1, 0.9, 0.85,
          1.0, 0.9, 0.8, 0.8, 0.9, 1.1, 1.3, 1.5, 1.6, 1.4, 0.9, 0.4)  # fmt: skip

PERSONAS = ("motivator", "analyst", "friend", "challenger")
COACHES = tuple(f"coach_{i:02d}" for i in range(1, 26))
PLANS = ("free", "pro", "premium")
PRICES = np.array([0, 999, 1999], dtype=np.int64)
PLAN_SETS = tuple(f'{{"plan":"{p}"}}' for p in PLANS)
CATEGORIES = ("fitness", "career", "mindfulness", "finance", "learning", "relationships")
SCHEDULES = ("mon,tue,wed,thu,fri,sat,sun", "mon,tue,wed,thu,fri", "mon,wed,fri", "tue,thu,sat")
SCHEDULE_MASKS = np.array([0b1111111, 0b0011111, 0b0010101, 0b0101010], dtype=np.int64)
CHECK_HOURS = np.array([7.0, 8.0, 12.0, 19.0, 21.0])
APP = "https://app.example.com"
APP_PATHS = ("/", "/today", "/goals", "/goals/", "/habits", "/habits/", "/coach", "/settings")
SITE = Site(
    host="https://www.example.com",
    paths=("/", "/pricing", "/features", "/coaches", "/blog/"),
    signup_path="/signup",
    channels=(
        Channel(),
        Channel("google", "cpc", "brand-search", "https://www.google.com/"),
        Channel(referrer="https://www.google.com/"),
        Channel("facebook", "paid_social", "new-year-goals", "https://www.facebook.com/"),
        Channel("instagram", "paid_social", "habit-challenge", "https://www.instagram.com/"),
        Channel("podcast", "audio", "mindset-weekly"),
        Channel(referrer="https://www.reddit.com/"),
    ),
    channel_weights=(0.3, 0.2, 0.2, 0.12, 0.08, 0.05, 0.05),
)
POPULATION = Population(
    retained_share=HABIT_SHARE * TRUTH.churn.retained_with
    + (1 - HABIT_SHARE) * TRUTH.churn.retained_without,
    retained_days=RETAINED_DAYS,
    identity=TRUTH.identity,
    id_prefix="user_",
    alias_prefix="cus_",
    device_weights=(0.1, 0.05, 0.06, 0.02, 0.02, 0.01, 0.08, 0.06, 0.02, 0.3, 0.24, 0.04),
    country_weights=country_weights({"US": 0.55, "CA": 0.1, "GB": 0.12, "AU": 0.06, "DE": 0.05}),
)


def _goals(block: Block, person: I64, created: F64, done: F64, abandoned: F64) -> None:
    """Goals created at ``created``, completed/abandoned at those times (NaN: never)."""
    n = len(person)
    goal = block.new_ids(n)
    category = block.rng.integers(0, len(CATEGORIES), n)
    for event, at in (
        ("goal_created", created),
        ("goal_completed", done),
        ("goal_abandoned", abandoned),
    ):
        i = np.nonzero(np.isfinite(at))[0]
        props = (Ident("goal_id", "goal_", goal[i]), Cat("category", CATEGORIES, category[i]))
        block.emit(event, person[i], at[i], props)


def _funnel_goals(block: Block, signup: F64, end: F64, cohort: I64) -> None:
    rng, clock, member = block.rng, block.clock, block.persons.member
    n = len(signup)
    rates = TRUTH.funnel.rates
    created = balanced(rng, rates[0], cohort, member)
    completed = balanced(rng, rates[1], cohort, created)
    t_created = clock.sample(rng, signup + 0.05 * HOUR, signup + 3 * DAY, n)
    t_done = clock.sample(rng, t_created + HOUR, signup + 7 * DAY - 0.1 * HOUR, n)
    later = clock.sample(rng, signup + 7 * DAY, end, n)
    fate = rng.random(n)
    done = np.where(completed, t_done, np.where(fate < 0.25, later, np.nan))
    abandoned = np.where(~completed & (fate > 0.65), later, np.nan)
    i = np.nonzero(created)[0]
    _goals(block, i, t_created[i], done[i], abandoned[i])


def _subscriptions(block: Block, signup: F64, end: F64, cohort: I64) -> None:
    rng, clock, p = block.rng, block.clock, block.persons
    n = p.n
    exp = TRUTH.experiment
    rate = np.where(p.variant == 1, exp.test_rate, exp.control_rate)
    converts = balanced(rng, rate, 3 * p.variant + cohort, p.member)
    late = p.member & ~converts & chance(rng, 0.1, n) & (end - signup > 9 * DAY)
    t_first = clock.sample(rng, signup + 0.1 * HOUR, signup + 7 * DAY - 0.1 * HOUR, n)
    t_late = clock.sample(rng, signup + 8 * DAY, end, n)
    who = np.nonzero(converts | late)[0]
    start = np.where(converts, t_first, t_late)[who]
    plan = 1 + pick(rng, (0.7, 0.3), len(who))
    money: tuple[Prop, ...] = (
        Cat("plan", PLANS, plan),
        Int("amount", PRICES[plan]),
        Const("currency", "USD"),
    )
    extra = (Const("interval", "month"), Cat("$set", PLAN_SETS, plan, raw=True))
    block.emit("subscription_started", who, start, money + extra)
    block.emit("payment", who, start, money, server=True)
    cancel = end[who] + uniform(rng, 0.0, 20 * DAY, len(who))
    owner, k = expand(np.floor((cancel - start) / (30 * DAY)).astype(np.int64))
    block.emit(
        "payment",
        who[owner],
        start[owner] + 30 * DAY * (k + 1),
        tuple(m.take(owner) for m in money),
        server=True,
    )
    free = Cat("$set", PLAN_SETS, np.zeros(len(who), dtype=np.int64), raw=True)
    block.emit("subscription_cancelled", who, cancel, (money[0], free), server=True)


def _habits(block: Block, signup: F64, end: F64, habit: Bools) -> None:
    rng, clock, p = block.rng, block.clock, block.persons
    n = p.n
    second = habit & chance(rng, 0.35, n)
    unused = p.member & ~habit & chance(rng, 0.3, n)
    first_at = clock.sample(rng, signup + 0.1 * HOUR, signup + DAY, n)
    groups = (
        (np.nonzero(habit)[0], first_at),
        (np.nonzero(second)[0], clock.sample(rng, signup + 2 * DAY, end, n)),
        (np.nonzero(unused)[0], clock.sample(rng, signup, signup + 3 * DAY, n)),
    )
    person = np.concatenate([g[0] for g in groups])
    created = np.concatenate([at[g] for g, at in groups])
    checked = np.concatenate(
        [np.ones(len(g), bool) for g, _ in groups[:2]] + [np.zeros(len(groups[2][0]), bool)]
    )
    habit_id = block.new_ids(len(person))
    schedule = pick(rng, (0.4, 0.3, 0.2, 0.1), len(person))
    props = (Ident("habit_id", "habit_", habit_id), Cat("scheduled_days", SCHEDULES, schedule))
    block.emit("habit_created", person, created, props)
    adherence = uniform(rng, 0.45, 0.95, n)
    check_hour = CHECK_HOURS[pick(rng, (0.25, 0.25, 0.1, 0.2, 0.2), n)]
    d0 = clock.day_of(created) + 1
    count = np.where(checked, np.maximum(clock.day_of(end[person]) - d0 + 1, 0), 0)
    h, k = expand(count)
    day = d0[h] + k
    weekday = (clock.first_weekday + day) % 7
    at = clock.midnight[day] + check_hour[person[h]] + rng.random(len(h))
    keep = ((SCHEDULE_MASKS[schedule[h]] >> weekday) & 1).astype(bool)
    keep &= chance(rng, adherence[person[h]], len(h)) & (at < end[person[h]])
    first = np.nonzero(np.arange(len(person)) < len(groups[0][0]))[0]
    h = np.concatenate([first, h[keep]])
    at = np.concatenate([created[first] + uniform(rng, HOUR, 48 * HOUR, len(first)), at[keep]])
    block.emit("habit_checked", person[h], at, (props[0].take(h),))


def _sessions(
    block: Block, signup: F64, end: F64, retained: Bools, persona: I64, coach: I64
) -> None:
    rng, clock, p = block.rng, block.clock, block.persons
    rate = np.exp(rng.normal(np.log(0.35), 0.6, p.n))
    owner, start = member_sessions(block, end, rate, retained)
    s = len(owner)
    web = IS_WEB[p.device[owner]]
    talks = chance(rng, 0.2, s)
    goal = chance(rng, 0.06, s) & (start >= signup[owner] + 7 * DAY)
    counts = [
        np.ones(s, dtype=np.int64),
        np.where(web, rng.poisson(1.2, s), 0),
        np.where(talks, 2 * (1 + rng.poisson(0.6, s)), 0),
        (talks & chance(rng, 0.3, s)).astype(np.int64),
        goal.astype(np.int64),
    ]
    start_us = clock.us(start)
    sessions = block.new_sessions(start_us)
    opener, pages, talk, rating, goals = layout(rng, start_us, counts, 40.0)
    app = ~web[opener.session]
    block.add(
        Frame(
            "app_opened",
            owner[opener.session[app]],
            opener.ts[app],
            (),
            sessions[opener.session[app]],
        )
    )
    page_session = np.concatenate([opener.session[~app], pages.session])
    page_ts = np.concatenate([opener.ts[~app], pages.ts])
    path = rng.integers(0, len(APP_PATHS), len(page_ts))
    props = pageview_props(APP, APP_PATHS, path, rng.integers(1, 5000, len(page_ts)))
    block.add(Frame("pageview", owner[page_session], page_ts, props, sessions[page_session]))
    conversation = Ident("conversation_id", "conv_", block.new_ids(s))
    for event, parity in (("message_sent", 0), ("message_received", 1)):
        i = talk.ordinal % 2 == parity
        sess = talk.session[i]
        block.add(Frame(event, owner[sess], talk.ts[i], (conversation.take(sess),), sessions[sess]))
    stars = 1 + pick(rng, (0.04, 0.06, 0.12, 0.33, 0.45), len(rating.ts))
    who = owner[rating.session]
    rated = (
        Int("rating", stars),
        Cat("coach_id", COACHES, coach[who]),
        Cat("persona", PERSONAS, persona[who]),
    )
    block.add(Frame("session_rated", who, rating.ts, rated, sessions[rating.session]))
    g = owner[goals.session]
    created = clock.hours_of(goals.ts)
    fate = rng.random(len(g))
    later = created + uniform(rng, DAY, 30 * DAY, len(g))
    ok = later < end[g]
    _goals(
        block,
        g,
        created,
        np.where(ok & (fate < 0.5), later, np.nan),
        np.where(ok & (fate > 0.8), later, np.nan),
    )


def build(block: Block) -> None:
    """All events of the block's persons."""
    rng, p = block.rng, block.persons
    n = p.n
    signup = p.signup
    persona = rng.integers(0, len(PERSONAS), n)
    coach = rng.integers(0, len(COACHES), n)
    sets = objects(
        [
            Cat("plan", PLANS, np.zeros(n, dtype=np.int64)),
            Cat("persona", PERSONAS, persona),
            Cat("coach_id", COACHES, coach),
            Cat("country", COUNTRIES, p.country),
        ],
        n,
    )
    churn = TRUTH.churn
    cohort = cohorts(block.clock, signup)
    habit = balanced(rng, HABIT_SHARE, cohort, p.member)
    keeps = np.where(habit, churn.retained_with, churn.retained_without)
    retained, end = lifetimes(
        block, balanced(rng, keeps, 3 * habit + cohort, p.member), RETAINED_DAYS
    )
    identity_frames(block, SITE, sets, objects(signup_props(block.clock, signup), n), end)
    _funnel_goals(block, signup, end, cohort)
    _subscriptions(block, signup, end, cohort)
    _habits(block, signup, end, habit)
    _sessions(block, signup, end, retained, persona, coach)
    owner, at = activity(block, signup, end + 7 * DAY, 0.15, p.member)
    nudge = (
        Cat("persona", PERSONAS, persona[owner]),
        Ident("nudge_id", "nudge_", block.new_ids(len(owner))),
        Cat("channel", ("push", "in_app", "email"), pick(rng, (0.6, 0.3, 0.1), len(owner))),
    )
    block.emit("nudge_sent", owner, at, nudge, server=True)


SPEC = ProductSpec(
    name="coaching",
    timezone="America/New_York",
    weekday=(1.1, 1.05, 1.0, 1.0, 0.9, 0.75, 0.85),
    hourly=HOURLY,
    truth=TRUTH,
    population=POPULATION,
    events_per_person=20.0,
    build=build,
)
