"""Turn a block's frames into one Arrow table with :data:`heron.events.RAW_SCHEMA`.

Events outside the range are dropped; when the data set's remaining budget is smaller
than the block, only the first persons whose events fit are kept (and events of
non-persons, such as ad spend, only if they all fit). The planted spike is
applied here, then events are sorted by timestamp (stably: equal timestamps keep the
order in which the generator added their frames).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from heron.demo.effects import FLAG
from heron.demo.encode import Cat, Fragments, Text, join, take, uuid7
from heron.demo.frames import Block, Frame
from heron.demo.vec import I64
from heron.demo.web import BROWSERS, COUNTRIES, DEVICE_HEADS, DEVICE_TYPES, OSES, SERVER_HEAD
from heron.events import RAW_SCHEMA


def add_spike(block: Block, event: str, day: int, multiplier: float) -> None:
    """Copy every ``event`` of local day ``day`` so that day has ``multiplier`` × as many.

    Copies come up to a minute before their original (never before the local midnight),
    so they stay in the same session and before whatever followed the original.
    """
    copies = round(multiplier) - 1
    for frame in [f for f in block.frames if f.event == event]:
        local_day, time_of_day = block.clock.local_of_us(frame.ts)
        idx = np.nonzero(local_day == day)[0]
        for _ in range(copies):
            copy = frame.take(idx)
            back = block.rng.integers(1, 60, len(idx)) * 1_000_000
            copy.ts = copy.ts - np.minimum(back, time_of_day[idx])
            block.add(copy)


def _kept(block: Block, budget: int) -> list[Frame]:
    lo, hi = block.clock.us(np.array([block.clock.range_start, block.clock.range_end]))
    masks = [(f.ts >= lo) & (f.ts < hi) for f in block.frames]
    counts = np.zeros(block.persons.n, dtype=np.int64)
    others = 0
    for frame, mask in zip(block.frames, masks, strict=True):
        if frame.distinct is None:
            counts += np.bincount(frame.person[mask], minlength=block.persons.n)
        else:
            others += int(mask.sum())
    others_fit = others <= budget
    fits = np.cumsum(counts) <= budget - (others if others_fit else 0)
    kept = []
    for frame, mask in zip(block.frames, masks, strict=True):
        keep = mask & (others_fit if frame.distinct is not None else fits[frame.person])
        kept.append(frame if keep.all() else frame.take(np.nonzero(keep)[0]))
    return kept


def _heads(block: Block) -> pa.Array:
    """Per person: the JSON head of client events, then the same with the experiment flag."""
    p = block.persons
    plain = join(
        take(DEVICE_HEADS, p.device),
        [Cat("$geoip_country_code", COUNTRIES, p.country).fragments()],
        tail="",
    )
    flag = Cat(FLAG, ("control", "test"), p.variant).fragments()
    return pa.concat_arrays([plain, join(plain, [flag], tail="")])


def _properties(block: Block, frame: Frame, heads: pa.Array, sessions: pa.Array) -> pa.Array:
    if frame.server:
        head: Fragments = SERVER_HEAD
    else:
        flagged = ~frame.anon & (frame.ts >= block.clock.us(block.persons.signup[frame.person]))
        head = take(heads, frame.person + np.where(flagged, block.persons.n, 0))
    parts = [] if frame.session is None else [take(sessions, frame.session)]
    parts.extend(prop.fragments() for prop in frame.props)
    text = join(head, parts)
    return pa.repeat(text, len(frame.ts)) if isinstance(text, pa.Scalar) else text


def _distinct_index(block: Block, frame: Frame, alias_from: I64, extra: int) -> I64:
    """Index into user ids + anonymous ids + aliases + explicit ids (from ``extra`` on)."""
    n = block.persons.n
    if frame.distinct is not None:
        return extra + np.arange(len(frame.ts), dtype=np.int64)
    if frame.anon:
        return frame.person + n
    if frame.server:
        return frame.person + np.where(frame.ts >= alias_from[frame.person], 2 * n, 0)
    return frame.person


def assemble(block: Block, project_id: int, budget: int) -> pa.Table:
    """The block's events in range, at most ``budget`` of them, sorted by timestamp."""
    frames = [f for f in _kept(block, budget) if len(f.ts)]
    p = block.persons
    session_ids = block.session_ids()
    sessions = Text("$session_id", session_ids).fragments()
    heads = _heads(block)
    alias_from = block.alias_from_us()
    names = sorted({f.event for f in frames})
    code = {name: i for i, name in enumerate(names)}
    explicit = [f.distinct for f in frames if f.distinct is not None]
    ids = pa.concat_arrays([p.user_ids, p.anon_ids, p.alias_ids, *explicit])
    extra = 3 * p.n
    distinct, events, device, session, ts = [], [], [], [], []
    for f in frames:
        distinct.append(_distinct_index(block, f, alias_from, extra))
        extra += 0 if f.distinct is None else len(f.ts)
        size = len(f.ts)
        events.append(np.full(size, code[f.event], dtype=np.int64))
        device.append(np.full(size, -1, dtype=np.int64) if f.server else p.device[f.person])
        session.append(np.full(size, -1, dtype=np.int64) if f.session is None else f.session)
        ts.append(f.ts)
    empty = [np.zeros(0, dtype=np.int64)]
    order = np.argsort(np.concatenate(ts or empty), kind="stable")

    def column(values: list[I64]) -> I64:
        return np.concatenate(values or empty)[order]

    stamps, kinds = column(ts), column(device)
    texts = [_properties(block, f, heads, sessions) for f in frames]
    properties = pa.concat_arrays(texts or [pa.array([], pa.string())]).take(pa.array(order))
    columns = [
        pa.array(np.full(len(order), project_id, dtype=np.int32)),
        uuid7(stamps, block.rng),
        take(pa.array(names, pa.string()), column(events)),
        take(ids, column(distinct)),
        pa.array(stamps, type=pa.timestamp("us")),
        properties,
        take(session_ids, column(session)),
        take(BROWSERS, kinds),
        take(OSES, kinds),
        take(DEVICE_TYPES, kinds),
    ]
    return pa.Table.from_arrays(columns, schema=RAW_SCHEMA)
