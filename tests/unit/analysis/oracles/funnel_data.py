"""Hypothesis strategies and helpers for the funnel reference and oracle tests.

Events of three names (``A``, ``B``, ``C``) on a few distinct ids that merge through
``$identify``, at times drawn from a small pool so that ties are common, on a scale of
seconds (with a few microsecond offsets) or of days. Steps repeat event names (so one
event can match several steps) and some carry a ``plan`` filter.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlglot import exp

import heron.analysis  # noqa: F401  (registers the query kinds)
from heron.analysis import funnels_queries
from heron.analysis.funnels_spec import FunnelsQuery
from heron.analysis.funnels_sql import FunnelSQL
from heron.query.context import QueryContext
from heron.query.dialects import dialect
from heron.query.registry import KINDS, parse_spec
from heron.query.runner import Runner
from heron.query.source import event_rows as source_rows
from heron.query.source import person_id
from heron.store.base import EventStore
from tests.support.events import raw_batch

USERS = ["u1", "u2", "u3"]
ANONS = ["a1", "a2"]
EVENTS = ["A", "B", "C"]
BASE = datetime(2025, 3, 7, 12, 0)
NOW = datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC"))
PROJECTS = itertools.count(5000)

FUNNEL_SETTINGS = settings(
    max_examples=int(os.environ.get("HERON_ORACLE_EXAMPLES", "12")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Case:
    rows: list[dict[str, Any]]
    spec: dict[str, Any]
    tz: str = "UTC"


@st.composite
def event_rows(draw: st.DrawFn, scale: timedelta, max_rows: int = 18) -> list[dict[str, Any]]:
    pool = draw(st.lists(st.integers(0, 12), min_size=1, max_size=5))
    offset = st.one_of(st.sampled_from(pool), st.integers(0, 14))
    micro = st.sampled_from([0, 0, 0, 1, 500_000])
    rows = []
    for _ in range(draw(st.integers(1, max_rows))):
        ts = BASE + draw(offset) * scale + timedelta(microseconds=draw(micro))
        if draw(st.integers(0, 9)) == 0:
            rows.append(
                {
                    "event": "$identify",
                    "distinct_id": draw(st.sampled_from(USERS)),
                    "timestamp": ts,
                    "properties": {"$anon_distinct_id": draw(st.sampled_from(ANONS))},
                }
            )
            continue
        plan = draw(st.sampled_from(["a", "b", None]))
        rows.append(
            {
                "event": draw(st.sampled_from(EVENTS)),
                "distinct_id": draw(st.sampled_from(USERS + ANONS)),
                "timestamp": ts,
                "properties": {} if plan is None else {"plan": plan},
            }
        )
    return rows


PLAN_A = {"property": "plan", "operator": "eq", "value": "a"}


@st.composite
def funnel_steps(draw: st.DrawFn, max_steps: int = 4) -> list[dict[str, Any]]:
    steps = []
    for _ in range(draw(st.integers(2, max_steps))):
        step: dict[str, Any] = {"event": draw(st.sampled_from(EVENTS))}
        if draw(st.integers(0, 3)) == 0:
            step["filters"] = [PLAN_A]
        steps.append(step)
    return steps


@st.composite
def windows(draw: st.DrawFn) -> tuple[timedelta, dict[str, Any]]:
    """A time scale for the events and a conversion window on that scale."""
    if draw(st.booleans()):
        return timedelta(seconds=1), {"value": draw(st.integers(1, 8)), "unit": "second"}
    return timedelta(days=1), {"value": draw(st.integers(1, 8)), "unit": "day"}


def load(store: EventStore, rows: list[dict[str, Any]]) -> int:
    project_id = next(PROJECTS)
    store.append(raw_batch([{**r, "project_id": project_id} for r in rows]))
    return project_id


def context(store: EventStore, project_id: int, tz: str = "UTC") -> QueryContext:
    return QueryContext(project_id, ZoneInfo(tz), dialect(store.dialect), now=NOW)


def execute(store: EventStore, project_id: int, spec: dict[str, Any], tz: str = "UTC") -> Any:
    parsed = parse_spec(spec)
    return KINDS[parsed.kind].run(parsed, Runner(store, context(store, project_id, tz)))


def unit_levels(
    store: EventStore, project_id: int, spec: dict[str, Any], tz: str = "UTC"
) -> pa.Table:
    """Every unit's person, bucket (trends), level and reported chain times."""
    parsed = parse_spec(spec)
    assert isinstance(parsed, FunnelsQuery)
    ctx = context(store, project_id, tz)
    sql = FunnelSQL(ctx, parsed, ctx.time_range(parsed.date_from, parsed.date_to))
    return Runner(store, ctx).execute(funnels_queries.levels(sql))


def person_names(store: EventStore, project_id: int) -> dict[str, str]:
    """Resolved person uuid → one distinct id it holds (the store's own resolution)."""
    ctx = context(store, project_id)
    rows = source_rows(ctx, None).select(
        exp.alias_(exp.column("distinct_id", "e"), "d"), exp.alias_(person_id(ctx), "p")
    )
    out: dict[str, str] = {}
    for row in Runner(store, ctx).execute(rows).to_pylist():
        out.setdefault(str(row["p"]), row["d"])
    return out
