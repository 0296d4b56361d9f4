"""Frames of generated events and the per-block context the generators fill.

A :class:`Frame` is a batch of one event type: who did it, when (epoch microseconds),
in which session, and its properties still as arrays. A :class:`Block` is one chunk of
persons generated from its own random stream, so blocks are independent and the output
is deterministic whatever the chunking of the consumer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pyarrow as pa

from heron.demo.clock import Clock
from heron.demo.encode import Prop, uuid7
from heron.demo.vec import F64, I64, Bools, expand

_NEVER = np.iinfo(np.int64).max


@dataclass(slots=True)
class Frame:
    """Events of one type.

    ``anon`` events use the person's anonymous id; ``server`` events carry no device,
    session or feature flag, and use the person's alias (when they have one) once it
    exists. ``distinct`` replaces person ids for events of non-persons (``person`` -1).
    """

    event: str
    person: I64
    ts: I64
    props: tuple[Prop, ...] = ()
    session: I64 | None = None
    server: bool = False
    anon: bool = False
    distinct: pa.Array | None = None

    def take(self, idx: I64) -> Frame:
        return replace(
            self,
            person=self.person[idx],
            ts=self.ts[idx],
            props=tuple(p.take(idx) for p in self.props),
            session=None if self.session is None else self.session[idx],
            distinct=None if self.distinct is None else self.distinct.take(pa.array(idx)),
        )


@dataclass(frozen=True, slots=True, eq=False)
class Persons:
    """The persons of one block, their identities and the attributes every product uses."""

    signup: F64
    """Hours since the clock origin: signup (members) or first visit (visitors)."""
    member: Bools
    established: Bools
    """Members who signed up long before the clock's origin."""
    anon_first: Bools
    variant: I64
    """0 control, 1 test; -1 outside the experiment (visitors, established members)."""
    device: I64
    country: I64
    user_ids: pa.Array
    anon_ids: pa.Array
    alias_ids: pa.Array
    """Null for persons without an alias."""
    alias_at: F64
    """Hours at which the alias is created (infinite without one)."""

    @property
    def n(self) -> int:
        return len(self.signup)


@dataclass(frozen=True, slots=True)
class Segment:
    """Events laid out in sessions: their session (index into the laid-out sessions),
    ordinal within their segment of the session, and timestamps."""

    session: I64
    ordinal: I64
    ts: I64


def layout(
    rng: np.random.Generator, start_us: I64, counts: Sequence[I64], mean_gap_s: float
) -> list[Segment]:
    """Place consecutive segments of events in each session, separated by random gaps.

    ``counts[t][s]`` events of segment ``t`` in session ``s``; segments follow each other
    in order, the first event of a session at its start.
    """
    total = np.sum(np.stack(counts), axis=0) if counts else np.zeros(len(start_us), np.int64)
    owner, ordinal = expand(total)
    gaps = (rng.exponential(mean_gap_s, len(owner)) * 1000 + 1000).astype(np.int64) * 1000
    gaps[ordinal == 0] = 0
    elapsed = np.cumsum(gaps)
    base = np.cumsum(total) - total
    times = start_us[owner] + elapsed - elapsed[base[owner]]
    segments = []
    offset = np.zeros(len(start_us), dtype=np.int64)
    for count in counts:
        session, ordinal = expand(count)
        segments.append(Segment(session, ordinal, times[base[session] + offset[session] + ordinal]))
        offset = offset + count
    return segments


@dataclass(eq=False)
class Block:
    """The context one chunk of persons is generated in."""

    index: int
    seed: int
    rng: np.random.Generator
    clock: Clock
    persons: Persons
    expected_persons: float
    """How many persons the whole data set will have (for global quantities)."""
    frames: list[Frame] = field(default_factory=list)
    session_starts: list[I64] = field(default_factory=list)
    n_sessions: int = 0
    n_ids: int = 0

    def add(self, frame: Frame) -> None:
        if len(frame.ts):
            self.frames.append(frame)

    def new_sessions(self, start_us: I64) -> I64:
        """Register sessions starting at ``start_us``; returns their indices."""
        idx = np.arange(self.n_sessions, self.n_sessions + len(start_us), dtype=np.int64)
        self.session_starts.append(np.asarray(start_us, dtype=np.int64))
        self.n_sessions += len(start_us)
        return idx

    def session_ids(self) -> pa.Array:
        starts = self.session_starts or [np.zeros(0, dtype=np.int64)]
        return uuid7(np.concatenate(starts), self.rng)

    def emit(
        self,
        event: str,
        person: I64,
        hours: F64,
        props: tuple[Prop, ...] = (),
        server: bool = False,
    ) -> I64:
        """Add events at ``hours``, each client event in a session of its own; returns times."""
        ts = self.clock.us(hours)
        self.add(Frame(event, person, ts, props, None if server else self.new_sessions(ts), server))
        return ts

    def new_ids(self, n: int) -> I64:
        """Integers unique in the data set, for goal, habit, project … ids."""
        first = self.index * 1_000_000_000 + self.n_ids + 1
        self.n_ids += n
        return np.arange(first, first + n, dtype=np.int64)

    def alias_from_us(self) -> I64:
        at = self.persons.alias_at
        return np.where(np.isfinite(at), self.clock.us(np.nan_to_num(at)), _NEVER)
