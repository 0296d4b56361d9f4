"""Randomized event histories exercising every built-in metric, and a runner for MetricQuery."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from heron.metrics.query import MetricQuery
from heron.metrics.settings import MetricSettings
from heron.query.context import QueryContext
from heron.query.dialects import dialect
from heron.query.registry import KINDS, parse_spec
from heron.query.runner import Runner
from heron.store.base import EventStore
from tests.support.events import raw_batch

assert MetricQuery  # registered
PROJECTS = itertools.count(5000, 2)
NOW = datetime(2026, 1, 1, tzinfo=UTC)
ANCHOR = datetime(2025, 3, 5, 12)
PEOPLE = ["u1", "u2", "u3", "anon1"]
EVENTS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "signup": st.just({}),
    "pageview": st.just({}),
    "activated": st.just({}),
    "$identify": st.just({"$anon_distinct_id": "anon1"}),
    "goal_created": st.fixed_dictionaries(
        {"goal_id": st.sampled_from(["g1", "g2", "g3"]), "cohort": st.sampled_from(["a", "b"])}
    ),
    "goal_completed": st.fixed_dictionaries({"goal_id": st.sampled_from(["g1", "g2", "g3"])}),
    "goal_abandoned": st.fixed_dictionaries({"goal_id": st.sampled_from(["g1", "g2", "g3"])}),
    "habit_created": st.fixed_dictionaries(
        {
            "habit_id": st.sampled_from(["h1", "h2"]),
            "scheduled_days": st.sampled_from(["mon,wed,fri", "tue,thu,sat,sun", "daily"]),
        }
    ),
    "habit_checked": st.fixed_dictionaries({"habit_id": st.sampled_from(["h1", "h2"])}),
    "nudge_sent": st.fixed_dictionaries({"persona": st.sampled_from(["coach", "friend"])}),
    "message_sent": st.fixed_dictionaries({"conversation_id": st.sampled_from(["c1", "c2"])}),
    "message_received": st.fixed_dictionaries({"conversation_id": st.sampled_from(["c1", "c2"])}),
    "project_created": st.fixed_dictionaries({"project_id": st.sampled_from(["p1", "p2"])}),
    "project_funded": st.fixed_dictionaries({"project_id": st.sampled_from(["p1", "p2"])}),
    "email_delivered": st.just({}),
    "email_opened": st.just({}),
    "payment": st.fixed_dictionaries({"amount": st.integers(1, 500), "cost": st.integers(0, 100)}),
    "funding": st.fixed_dictionaries({"amount": st.integers(1, 500)}),
    "session_rated": st.fixed_dictionaries({"rating": st.integers(1, 5)}),
}


@dataclass(frozen=True)
class History:
    tz: str
    rows: list[dict[str, Any]]

    def batch_rows(self, project_id: int) -> list[dict[str, Any]]:
        mine = [{**r, "project_id": project_id} for r in self.rows]
        noise = [{**r, "project_id": project_id + 1, "distinct_id": "x"} for r in self.rows]
        return mine + noise


@st.composite
def histories(draw: st.DrawFn) -> History:
    tz = draw(st.sampled_from(["UTC", "America/New_York"]))
    rows = []
    for _ in range(draw(st.integers(0, 40))):
        event = draw(st.sampled_from(sorted(EVENTS)))
        ts = ANCHOR + timedelta(minutes=draw(st.integers(-4 * 1440, 12 * 1440)))
        person = draw(st.sampled_from(PEOPLE))
        row: dict[str, Any] = {
            "event": event,
            "distinct_id": "u1" if event == "$identify" else person,
            "timestamp": ts,
            "properties": draw(EVENTS[event]),
        }
        if event == "pageview" or draw(st.booleans()):
            row["session_id"] = f"{person}-{draw(st.integers(0, 2))}"
        rows.append(row)
    return History(tz, rows)


def load(store: EventStore, history: History) -> int:
    project_id = next(PROJECTS)
    rows = history.batch_rows(project_id)
    if rows:
        store.append(raw_batch(rows))
    return project_id


def run_metric(
    store: EventStore,
    project_id: int,
    tz: str,
    spec: dict[str, Any],
    settings: MetricSettings | None = None,
) -> Any:
    parsed = parse_spec({"kind": "MetricQuery", **spec})
    ctx = QueryContext(project_id, ZoneInfo(tz), dialect(store.dialect), now=NOW)
    ctx.extensions["metrics"] = settings or MetricSettings()
    return KINDS["MetricQuery"].run(parsed, Runner(store, ctx))
