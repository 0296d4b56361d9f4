"""Hypothesis strategies for the trends / stickiness / lifecycle oracle tests.

Events cluster around a DST change of America/New_York or Europe/Berlin (with ties and
events minutes either side of the change), distinct ids merge through ``$identify``
with ``$anon_distinct_id``, and a second project gets its own, different events.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from heron.analysis import lifecycle as lifecycle  # registers LifecycleQuery
from heron.analysis import stickiness as stickiness  # registers StickinessQuery
from heron.analysis import trends as trends  # registers TrendsQuery
from heron.query.context import QueryContext
from heron.query.dialects import dialect
from heron.query.registry import KINDS, parse_spec
from heron.query.runner import Runner
from heron.store.base import EventStore
from tests.support.events import raw_batch

TRANSITIONS = {
    "America/New_York": [datetime(2025, 3, 9, 7), datetime(2025, 11, 2, 6)],
    "Europe/Berlin": [datetime(2025, 3, 30, 1), datetime(2025, 10, 26, 1)],
}
"""UTC instants of DST changes."""

USERS = ["u1", "u2", "u3"]
ANONS = ["anon1", "anon2", "anon3", "anon4"]
EVENTS = ["pageview", "pageview", "signup"]
PROJECTS = itertools.count(1000, 2)
"""Each example gets a fresh project ``p`` (and ``p + 1`` for the other tenant's noise)."""

ORACLE_SETTINGS = settings(
    max_examples=int(os.environ.get("HERON_ORACLE_EXAMPLES", "12")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

_PLAN = st.sampled_from(["a", "b", "c", None, ...])
_AMOUNT = st.one_of(
    st.just(...),
    st.integers(-5, 100),
    st.integers(-40, 400).map(lambda n: n / 4),
    st.sampled_from(["12", "2.5", "abc", "", None, True]),
)


@dataclass(frozen=True)
class Scenario:
    tz: str
    anchor: datetime
    rows: list[dict[str, Any]]
    noise: list[dict[str, Any]]

    def local_date(self, days: int) -> str:
        local = self.anchor.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(self.tz))
        return (local.date() + timedelta(days=days)).isoformat()

    def batch_rows(self, project_id: int) -> list[dict[str, Any]]:
        mine = [{**r, "project_id": project_id} for r in self.rows]
        return mine + [{**r, "project_id": project_id + 1} for r in self.noise]


@st.composite
def _rows(draw: st.DrawFn, anchor: datetime, span_days: int) -> list[dict[str, Any]]:
    near = st.integers(-180, 180)
    far = st.integers(-span_days * 1440, 12 * 1440)
    pool = draw(st.lists(st.one_of(near, far), min_size=1, max_size=6))
    minutes = st.one_of(st.sampled_from(pool), near, far)
    rows = []
    for _ in range(draw(st.integers(0, 28))):
        minute = draw(minutes)
        ts = anchor + timedelta(minutes=minute)
        if draw(st.integers(0, 6)) == 0:
            rows.append(
                {
                    "event": "$identify",
                    "distinct_id": draw(st.sampled_from(USERS)),
                    "timestamp": ts,
                    "properties": {"$anon_distinct_id": draw(st.sampled_from(ANONS + USERS))},
                }
            )
            continue
        properties = {}
        plan, amount = draw(_PLAN), draw(_AMOUNT)
        if plan is not ...:
            properties["plan"] = plan
        if amount is not ...:
            properties["amount"] = amount
        distinct_id = draw(st.sampled_from(USERS + ANONS))
        rows.append(
            {
                "event": draw(st.sampled_from(EVENTS)),
                "distinct_id": distinct_id,
                "timestamp": ts,
                "properties": properties,
                "session_id": _session(distinct_id, minute),
            }
        )
    return rows


def _session(distinct_id: str, minute: int) -> str | None:
    """A session id derived from the row (no extra draw): two-hour sessions per distinct id,
    with some rows sessionless (``None``) or with an empty id."""
    if minute % 7 == 0:
        return None
    if minute % 11 == 0:
        return ""
    return f"s{minute // 120}-{distinct_id}"


@st.composite
def scenarios(draw: st.DrawFn, span_days: int = 35) -> Scenario:
    tz = draw(st.sampled_from(sorted(TRANSITIONS)))
    anchor = draw(st.sampled_from(TRANSITIONS[tz]))
    return Scenario(tz, anchor, draw(_rows(anchor, span_days)), draw(_rows(anchor, span_days)))


FILTERS = st.sampled_from(
    [
        [],
        [],
        [{"property": "plan", "operator": "neq", "value": "b"}],
        [{"property": "plan", "operator": "eq", "value": "a"}],
    ]
)

NOW = datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC"))


def execute(store: EventStore, project_id: int, tz: str, spec: dict[str, Any]) -> Any:
    """Run a spec through the registry, as the API does."""
    parsed = parse_spec(spec)
    ctx = QueryContext(project_id, ZoneInfo(tz), dialect(store.dialect), now=NOW)
    return KINDS[parsed.kind].run(parsed, Runner(store, ctx))


def load(store: EventStore, scenario: Scenario) -> int:
    """Store a scenario's rows under a fresh project (and its noise under the next one)."""
    project_id = next(PROJECTS)
    rows = scenario.batch_rows(project_id)
    if rows:
        store.append(raw_batch(rows))
    return project_id
