"""How persons become known: anonymous visits, signup, ``$identify``, aliases, ``$set``.

A share of new members browse the marketing site anonymously (with UTM and referrer
touchpoints) and are merged at signup by ``$identify`` carrying ``$anon_distinct_id``;
visitors only ever browse. Members who signed up before the range and are still active
get their person properties from a ``$set`` event at its start (a CRM sync).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from heron.demo.encode import Cat, Const, Text, take
from heron.demo.frames import Block, Frame, layout
from heron.demo.vec import DAY, F64, HOUR, I64, expand, pick, uniform
from heron.demo.web import Channel, pageview_props

SIGNUP_METHODS = ("email", "google", "apple")


@dataclass(frozen=True, slots=True)
class Site:
    """A product's marketing site and where its visitors come from."""

    host: str
    paths: tuple[str, ...]
    """Landing and browsing pages; the signup page is added at the end of signup visits."""
    signup_path: str
    channels: tuple[Channel, ...]
    channel_weights: tuple[float, ...]


def identity_frames(
    block: Block, site: Site, sets: pa.Array, sets_once: pa.Array, end: F64
) -> None:
    """Anonymous visits, ``signup``, ``$identify``, ``$feature_flag_called``,
    ``$create_alias`` and the ``$set`` of members active when the range starts.

    ``sets``/``sets_once`` are per-person JSON objects for ``$set``/``$set_once``;
    ``end`` is when each person stops being active.
    """
    rng, clock, p = block.rng, block.clock, block.persons
    browses = p.anon_first | ~p.member
    visits = np.where(browses, 1 + rng.poisson(0.7, p.n), 0)
    person, ordinal = expand(visits)
    n = len(person)
    last = ordinal == visits[person] - 1
    signs_up = last & p.member[person]
    before = np.where(last, 0.0, -(HOUR + 13 * DAY * rng.random(n)))
    after = np.where(ordinal == 0, 0.0, HOUR + 20 * DAY * rng.random(n))
    start = p.signup[person] + np.where(p.member[person], before, after)
    start = start[np.lexsort((start, person))]
    pages = 1 + rng.poisson(1.2, n) + signs_up
    (seg,) = layout(rng, np.zeros(n, dtype=np.int64), [pages], 35.0)
    duration = np.zeros(n, dtype=np.int64)
    np.maximum.at(duration, seg.session, seg.ts)
    start_us = clock.us(start) - np.where(signs_up, duration + 20_000_000, 0)
    sessions = block.new_sessions(start_us)
    paths = (*site.paths, site.signup_path)
    path = rng.integers(0, len(site.paths), len(seg.ts))
    is_last = seg.ordinal == pages[seg.session] - 1
    path = np.where(is_last & signs_up[seg.session], len(site.paths), path)
    channel = np.where(seg.ordinal == 0, pick(rng, site.channel_weights, len(seg.ts)), -1)
    post = rng.integers(1, 400, len(seg.ts))
    props = pageview_props(site.host, paths, path, post, site.channels, channel)
    who, ts, sid = person[seg.session], start_us[seg.session] + seg.ts, sessions[seg.session]
    block.add(Frame("pageview", who, ts, props, sid, anon=True))
    _signup_frames(block, person[signs_up], sessions[signs_up], sets, sets_once)
    carried = np.nonzero(p.member & (p.signup < clock.range_start) & (end > clock.range_start))[0]
    at = clock.range_start + uniform(rng, 0.0, 12 * HOUR, len(carried))
    carry = (
        Text("$set", take(sets, carried), raw=True),
        Text("$set_once", take(sets_once, carried), raw=True),
    )
    block.emit("$set", carried, at, carry, server=True)


def _signup_frames(
    block: Block, browsed: I64, browsed_session: I64, sets: pa.Array, sets_once: pa.Array
) -> None:
    rng, clock, p = block.rng, block.clock, block.persons
    fresh = np.nonzero(p.member & ~p.established)[0]
    session = np.full(p.n, -1, dtype=np.int64)
    direct = fresh[~p.anon_first[fresh]]
    session[direct] = block.new_sessions(clock.us(p.signup[direct]))
    session[browsed] = browsed_session
    ts = clock.us(p.signup[fresh])
    method = Cat("signup_method", SIGNUP_METHODS, pick(rng, (0.6, 0.3, 0.1), len(fresh)))
    set_props = Text("$set", take(sets, fresh), raw=True)
    once = Text("$set_once", take(sets_once, fresh), raw=True)
    block.add(Frame("signup", fresh, ts, (method, set_props, once), session[fresh]))
    anon = Text("$anon_distinct_id", take(p.anon_ids, browsed))
    identified = (anon, Text("$set", take(sets, browsed), raw=True))
    block.add(
        Frame("$identify", browsed, clock.us(p.signup[browsed]), identified, session[browsed])
    )
    flag = (
        Const("$feature_flag", "new-onboarding"),
        Cat("$feature_flag_response", ("control", "test"), p.variant[fresh]),
    )
    block.add(Frame("$feature_flag_called", fresh, ts, flag, session[fresh]))
    aliased = np.nonzero(np.isfinite(p.alias_at))[0]
    alias = (Text("alias", take(p.alias_ids, aliased)),)
    block.add(
        Frame("$create_alias", aliased, clock.us(p.alias_at[aliased]), alias, session[aliased])
    )
