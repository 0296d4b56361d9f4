"""The streaming loop: blocks of persons → sorted Arrow tables of at most ``batch_rows``."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from heron.demo.assemble import add_spike, assemble
from heron.demo.clock import Clock, make_clock
from heron.demo.effects import Planted, Spike, spike_day
from heron.demo.frames import Block
from heron.demo.population import ProductSpec, draw_persons

PRE_DAYS = 30
"""New members sign up from this many days before the range on (their events before it
are not emitted), long enough for the range to begin in a steady state."""
MIN_BLOCK = 64
MAX_BLOCK = 4096


def clock_for(spec: ProductSpec, end: dt.date, days: int) -> Clock:
    return make_clock(spec.timezone, end, days, PRE_DAYS, spec.weekday, spec.hourly)


def planted_for(spec: ProductSpec, n_events: int, seed: int, end: dt.date, days: int) -> Planted:
    clock = clock_for(spec, end, days)
    truth = spec.truth
    spike_date = clock.start + dt.timedelta(days=spike_day(seed, days))
    return Planted(
        product=spec.name,
        timezone=spec.timezone,
        n_events=n_events,
        start=clock.start,
        end=clock.end,
        funnel=truth.funnel,
        churn=truth.churn,
        experiment=truth.experiment,
        identity=truth.identity,
        spike=Spike(truth.spike_event, spike_date, truth.spike_multiplier),
        ties=truth.ties,
        dst_changes=clock.dst_changes(),
    )


def generate_spec(
    spec: ProductSpec,
    product_index: int,
    n_events: int,
    *,
    project_id: int,
    seed: int,
    end: dt.date,
    days: int,
    batch_rows: int,
) -> Iterator[pa.Table]:
    """The data set, block by block, until ``n_events`` events have been produced."""
    if n_events < 0 or days < 1 or batch_rows < 1 or seed < 0:
        raise ValueError("n_events and seed must be >= 0, days and batch_rows >= 1")
    clock = clock_for(spec, end, days)
    spike_at = PRE_DAYS + spike_day(seed, days)
    return _blocks(spec, product_index, n_events, project_id, seed, clock, batch_rows, spike_at)


def _blocks(
    spec: ProductSpec,
    product_index: int,
    n_events: int,
    project_id: int,
    seed: int,
    clock: Clock,
    batch_rows: int,
    spike_at: int,
) -> Iterator[pa.Table]:
    expected_persons = n_events / spec.events_per_person
    size = int(min(MAX_BLOCK, max(MIN_BLOCK, math.ceil(1.15 * expected_persons))))
    emitted = 0
    index = 0
    while emitted < n_events:
        rng = np.random.default_rng([seed, product_index, index])
        persons = draw_persons(rng, clock, spec.population, index * size, size)
        block = Block(index, seed, rng, clock, persons, expected_persons)
        spec.build(block)
        add_spike(block, spec.truth.spike_event, spike_at, spec.truth.spike_multiplier)
        table = assemble(block, project_id, n_events - emitted)
        if table.num_rows == 0:
            return
        emitted += table.num_rows
        index += 1
        for offset in range(0, table.num_rows, batch_rows):
            yield table.slice(offset, batch_rows)
