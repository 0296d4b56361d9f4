"""The e-mail campaign SaaS (seeds 000–002): campaigns, their e-mails, site visits, sales.

Planted: per e-mail, delivered → opened → clicked → purchase with a drop at the click;
the new onboarding lifts a first ``purchase`` within a week of signup, and members who
buy in their first week mostly stay (the others unsubscribe within two weeks).
Members join the mailing list a week after signup; campaigns go out on Tuesdays and
Thursdays; each contact opens at their own preferred hour (for send-time models).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa

from heron.demo.clock import Clock
from heron.demo.effects import Churn, Experiment, Funnel, Identity, Truth
from heron.demo.encode import Bundle, Cat, Const, Ident, Int, Prop, objects, quote
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
    SECOND,
    balanced,
    chance,
    expand,
    money,
    pick,
    uniform,
)
from heron.demo.web import COUNTRIES, Channel, country_weights, pageview_props

TRUTH = Truth(
    funnel=Funnel(
        ("email_delivered", "email_opened", "email_clicked", "purchase"),
        (0.30, 0.12, 0.25),
        2,
        "campaign_id",
        2,
    ),
    churn=Churn(
        "purchase",
        7,
        14,
        ("pageview", "email_opened", "email_clicked", "purchase"),
        retained_with=0.80,
        retained_without=0.25,
    ),
    experiment=Experiment("purchase", 7, control_rate=0.25, relative_lift=0.20),
    identity=Identity(visitor_share=0.3, anonymous_share=0.7, alias_share=0.05),
    spike_event="pageview",
    spike_multiplier=3.0,
    ties=(("signup", "$identify"), ("email_sent", "email_delivered")),
)
HOURLY = (0.2, 0.1, 0.06, 0.05, 0.06, 0.15, 0.4, 0.8, 1.1, 1.2, 1.2, 1.2,
          1.3, 1.2, 1.1, 1.1, 1.0, 1.0, 1.1, 1.3, 1.3, 1.1, 0.7, 0.4)  # fmt: skip
THEMES = (
    ("weekly-digest", "Your weekly digest is here"),
    ("flash-sale", "24 hours only: 30% off everything"),
    ("new-arrivals", "New arrivals we think you'll love"),
    ("back-in-stock", "Back in stock: your favourites"),
    ("how-to", "5 ways to get more from your plan"),
    ("customer-story", "How Maya grew her shop 3x"),
    ("last-chance", "Last chance: your discount ends tonight"),
)
SUBJECTS = tuple(subject for _, subject in THEMES)
SEND_HOURS = (6, 7, 8, 9, 10, 11, 13, 14, 16, 18, 19, 20)
OPEN_HOURS = np.array([7.0, 8.0, 9.0, 12.0, 13.0, 17.0, 19.0, 20.0, 21.0, 22.0])
PLANS = ("free", "starter", "growth")
SIZES = ("1-10", "11-50", "51-200", "201-1000", "1000+")
SHOP = "https://shop.example.com"
SHOP_PATHS = ("/", "/products/", "/products/", "/collections/sale", "/cart", "/checkout")
PAID = (
    Channel("google", "cpc", "brand-search", "https://www.google.com/"),
    Channel("facebook", "paid_social", "spring-promo", "https://www.facebook.com/"),
    Channel("instagram", "paid_social", "creator-collab", "https://www.instagram.com/"),
    Channel("bing", "cpc", "generic-search", "https://www.bing.com/"),
)
DAILY_SPEND = np.array([4000, 2500, 1500, 800], dtype=np.int64)
"""Minor units per day and thousand persons, by paid channel."""
SITE = Site(
    host="https://www.example.com",
    paths=("/", "/pricing", "/features", "/templates", "/blog/"),
    signup_path="/signup",
    channels=(*PAID, Channel(), Channel(referrer="https://www.google.com/"),
              Channel("partner", "referral", "agency-program", "https://partners.example.org/")),
    channel_weights=(0.2, 0.15, 0.08, 0.05, 0.25, 0.2, 0.07),
)  # fmt: skip
BUYERS = (TRUTH.experiment.control_rate + TRUTH.experiment.test_rate) / 2
RETAINED_DAYS = 60.0
POPULATION = Population(
    retained_share=BUYERS * TRUTH.churn.retained_with + (1 - BUYERS) * TRUTH.churn.retained_without,
    retained_days=RETAINED_DAYS,
    identity=TRUTH.identity,
    id_prefix="contact_",
    alias_prefix="sub_",
    device_weights=(0.2, 0.1, 0.12, 0.04, 0.06, 0.02, 0.2, 0.15, 0.05, 0.03, 0.02, 0.01),
    country_weights=country_weights(
        {"US": 0.4, "GB": 0.12, "DE": 0.1, "FR": 0.08, "NL": 0.05, "ES": 0.05, "CA": 0.06}
    ),
)


@dataclass(frozen=True, slots=True, eq=False)
class Schedule:
    """The campaigns of a data set, in send order."""

    send: F64
    send_hour: I64
    theme: I64
    names: tuple[str, ...]
    audience: F64
    fragments: pa.Array
    """Per campaign: ``campaign_id``, ``campaign_name``, ``subject`` and ``send_hour``."""


@lru_cache(maxsize=8)
def schedule(clock: Clock, seed: int) -> Schedule:
    """Tuesday and Thursday campaigns over the whole calendar, the same for every block."""
    rng = np.random.default_rng([seed, 1, 1 << 30])
    days = np.arange(len(clock.midnight) - 3)
    days = days[np.isin((clock.first_weekday + days) % 7, (1, 3))]
    hour = np.array(SEND_HOURS)[rng.integers(0, len(SEND_HOURS), len(days))]
    theme = rng.integers(0, len(THEMES), len(days))
    names = tuple(
        f"{THEMES[t][0]}-{clock.date(int(d)).isoformat()}" for t, d in zip(theme, days, strict=True)
    )
    send = clock.midnight[days] + hour
    fragments = pa.array(
        [
            f',"campaign_id":"cmp_{k + 1}","campaign_name":{quote(name)},'
            f'"subject":{quote(SUBJECTS[t])},"send_hour":{h}'
            for k, (name, t, h) in enumerate(zip(names, theme, hour, strict=True))
        ],
        pa.string(),
    )
    return Schedule(send, hour, theme, names, uniform(rng, 0.8, 1.0, len(days)), fragments)


def _visits(
    block: Block,
    person: I64,
    start: F64,
    pages: I64,
    buys: I64,
    channel: I64,
    channels: tuple[Channel, ...],
) -> None:
    """Shop sessions: ``pages`` page views (the first a landing from ``channel``), then purchases."""
    rng = block.rng
    start_us = block.clock.us(start)
    sessions = block.new_sessions(start_us)
    views, purchases = layout(rng, start_us, [pages, buys], 45.0)
    landing = np.where(views.ordinal == 0, channel[views.session], -1)
    path = rng.integers(0, len(SHOP_PATHS), len(views.ts))
    props = pageview_props(
        SHOP, SHOP_PATHS, path, rng.integers(1, 900, len(path)), channels, landing
    )
    block.add(Frame("pageview", person[views.session], views.ts, props, sessions[views.session]))
    n = len(purchases.ts)
    sale = (
        Int("revenue", money(rng, 4500, 0.7, n)),
        Const("currency", "USD"),
        Ident("order_id", "order_", block.new_ids(n)),
    )
    block.add(
        Frame(
            "purchase", person[purchases.session], purchases.ts, sale, sessions[purchases.session]
        )
    )


def _emails(block: Block, plan: Schedule, join: F64, end: F64) -> None:
    rng, clock, p = block.rng, block.clock, block.persons
    first = np.searchsorted(plan.send, join)
    stop = np.searchsorted(plan.send, end)
    owner, k = expand(np.where(p.member, np.maximum(stop - first, 0), 0))
    c = first[owner] + k
    keep = chance(rng, plan.audience[c], len(c))
    owner, c = owner[keep], c[keep]
    n = len(c)
    sent = plan.send[c] + uniform(rng, 0.0, 20 * MINUTE, n)
    sent_us = clock.us(sent)
    bounced = chance(rng, 0.02, n)
    delivered_us = sent_us + np.where(chance(rng, 0.25, n), 0, rng.integers(200, 4000, n) * 1000)
    rates = TRUTH.funnel.rates
    anyone = np.zeros(n, dtype=np.int64)
    opened = balanced(rng, rates[0], anyone, ~bounced)
    to_preferred = (
        OPEN_HOURS[rng.integers(0, len(OPEN_HOURS), p.n)][owner] - clock.hour_of(sent)
    ) % 24
    delay = np.where(
        chance(rng, 0.4, n), np.minimum(rng.exponential(0.5, n), 3.0), to_preferred + rng.random(n)
    )
    open_h = clock.hours_of(delivered_us) + delay
    clicked = balanced(rng, rates[1], anyone, opened)
    click_h = open_h + uniform(rng, 5 * SECOND, 5 * MINUTE, n)
    mail = Bundle(plan.fragments, c)

    def emit(event: str, mask: np.ndarray, ts: I64, extra: tuple[Prop, ...] = ()) -> None:
        i = np.nonzero(mask)[0]
        block.add(Frame(event, owner[i], ts[i], (mail.take(i), *extra), server=True))

    everyone = np.ones(n, dtype=bool)
    emit("email_sent", everyone, sent_us)
    emit("email_delivered", ~bounced, delivered_us)
    kind = Cat("bounce_type", ("hard", "soft"), pick(rng, (0.6, 0.4), int(bounced.sum())))
    emit("email_bounced", bounced, sent_us + rng.integers(2_000, 30_000, n) * 1000, (kind,))
    emit("email_opened", opened, clock.us(open_h))
    emit(
        "email_opened", opened & chance(rng, 0.2, n), clock.us(open_h + uniform(rng, 0.5, 10.0, n))
    )
    emit("email_clicked", clicked, clock.us(click_h))
    emit(
        "email_complained",
        ~bounced & ~opened & chance(rng, 0.002, n),
        delivered_us + rng.integers(1, 20, n) * 3_600_000_000,
    )
    last = np.append(owner[1:] != owner[:-1], n > 0)[:n]
    emit("email_unsubscribed", last & ~bounced, clock.us(end[owner]))
    i = np.nonzero(clicked)[0]
    channels = tuple(Channel("newsletter", "email", name) for name in plan.names)
    pages = 1 + rng.poisson(1.5, len(i))
    buys = balanced(rng, rates[2], anyone[i], np.ones(len(i), dtype=bool)).astype(np.int64)
    _visits(block, owner[i], click_h[i] + 2 * SECOND, pages, buys, c[i], channels)


def _costs(block: Block) -> None:
    rng, clock = block.rng, block.clock
    lo, hi = int(clock.day_of(np.array([clock.range_start]))[0]), len(clock.midnight) - 3
    day = np.repeat(np.arange(lo, hi), len(PAID))
    ch = np.tile(np.arange(len(PAID)), hi - lo)
    scale = max(block.expected_persons, 1.0) / 1000
    amount = np.maximum(
        np.round(DAILY_SPEND[ch] * scale * np.exp(0.2 * rng.standard_normal(len(ch)))), 1
    ).astype(np.int64)
    props = (
        Int("amount", amount),
        Const("currency", "USD"),
        Cat("channel", tuple(c.source or "" for c in PAID), ch),
        Cat("utm_source", tuple(c.source or "" for c in PAID), ch),
        Cat("utm_medium", tuple(c.medium or "" for c in PAID), ch),
        Cat("utm_campaign", tuple(c.campaign or "" for c in PAID), ch),
    )
    who = pa.array([f"spend_{c.source}" for c in PAID]).take(pa.array(ch))
    ts = clock.us(clock.midnight[day] + 23.5 * HOUR)
    block.add(
        Frame("cost", np.full(len(ch), -1, dtype=np.int64), ts, props, server=True, distinct=who)
    )


def build(block: Block) -> None:
    """All events of the block's persons (and, in block 0, the daily ad spend)."""
    rng, p = block.rng, block.persons
    n = p.n
    signup = p.signup
    sets = objects(
        [
            Cat("plan", PLANS, pick(rng, (0.6, 0.3, 0.1), n)),
            Cat("company_size", SIZES, pick(rng, (0.4, 0.3, 0.15, 0.1, 0.05), n)),
            Cat("country", COUNTRIES, p.country),
        ],
        n,
    )
    exp, churn = TRUTH.experiment, TRUTH.churn
    cohort = cohorts(block.clock, signup)
    rate = np.where(p.variant == 1, exp.test_rate, exp.control_rate)
    buys = balanced(rng, rate, 3 * p.variant + cohort, p.member)
    keeps = np.where(buys, churn.retained_with, churn.retained_without)
    retained, end = lifetimes(
        block, balanced(rng, keeps, 3 * buys + cohort, p.member), RETAINED_DAYS
    )
    identity_frames(block, SITE, sets, objects(signup_props(block.clock, signup), n), end)
    i = np.nonzero(buys)[0]
    first = block.clock.sample(rng, signup[i] + 0.2 * HOUR, signup[i] + 7 * DAY - HOUR, len(i))
    none = np.full(len(i), -1, dtype=np.int64)
    _visits(
        block, i, first, 1 + rng.poisson(1.0, len(i)), np.ones(len(i), dtype=np.int64), none, ()
    )
    owner, start = member_sessions(block, end, 0.12, retained)
    m = len(owner)
    _visits(
        block,
        owner,
        start,
        1 + rng.poisson(1.5, m),
        np.zeros(m, dtype=np.int64),
        np.full(m, -1, dtype=np.int64),
        (),
    )
    _emails(block, schedule(block.clock, block.seed), signup + 7 * DAY, end)
    if block.index == 0:
        _costs(block)


SPEC = ProductSpec(
    name="campaigns",
    timezone="UTC",
    weekday=(1.0, 1.05, 1.05, 1.0, 0.95, 0.6, 0.55),
    hourly=HOURLY,
    truth=TRUTH,
    population=POPULATION,
    events_per_person=12.0,
    build=build,
)
