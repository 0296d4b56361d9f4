"""Every built-in event metric against its plain-Python oracle, on randomized data, per backend."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heron.store.base import EventStore
from tests.unit.metrics import oracle
from tests.unit.metrics.metric_data import History, histories, load, run_metric

ORACLE = settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SESSION = [
    "sessions",
    "session_duration",
    "pages_per_session",
    "bounce_rate",
    "sessions_per_user",
    "active_minutes",
]
RETENTION = [(n, after) for n in (1, 7) for after in (False, True)]
FORMULAS = ["dau", "signups", "open_rate", "gmv", "gross_margin", "ai_session_satisfaction"]
RANGE = st.sampled_from(
    [
        ("2025-03-01", "2025-03-14", "day"),
        ("2025-03-03", "2025-03-16", "week"),
        ("2025-02-20", "2025-03-31", "month"),
    ]
)


def close(actual: list[float], expected: list[float], what: Any) -> None:
    assert len(actual) == len(expected), what
    for a, b in zip(actual, expected, strict=True):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), (what, actual, expected)


def by_value(result: Any, metric: str) -> dict[Any, list[float]]:
    entries = result if isinstance(result, list) else [result]
    return {e.get("breakdown_value"): e["series"][metric] for e in entries}


def expected_for(name: str, evs: list[oracle.Ev], f: oracle.Frame) -> list[float]:
    if name in SESSION:
        return oracle.session_values(evs, f, name)
    if name == "message_response_time":
        return oracle.message_response_time(evs, f)
    if name == "activation_rate":
        return oracle.activation_rate(evs, f)
    if name == "average_funding_time":
        return oracle.average_funding_time(evs, f)
    if name.startswith("d") and "retention" in name:
        n = int(name[1:].split("_")[0])
        return oracle.retention(evs, f, n, name.endswith("on_or_after"))
    return oracle.formula_metric(evs, f, name)


@pytest.mark.slow
@ORACLE
@given(history=histories(), window=RANGE)
def test_event_metrics_match_the_oracle(
    store: EventStore, history: History, window: tuple[str, str, str]
) -> None:
    project_id = load(store, history)
    date_from, date_to, interval = window
    evs = oracle.events(history.batch_rows(project_id), project_id, oracle.ZoneInfo(history.tz))
    f = oracle.frame(date_from, date_to, interval, history.tz)
    names = [
        *SESSION,
        "message_response_time",
        "activation_rate",
        "average_funding_time",
        *FORMULAS,
    ]
    names += [f"d{n}_retention{'_on_or_after' if after else ''}" for n, after in RETENTION]
    for name in names:
        spec = {"metric": name, "interval": interval, "date_from": date_from, "date_to": date_to}
        got = run_metric(store, project_id, history.tz, spec)
        close(got["series"][name], expected_for(name, evs, f), name)


@pytest.mark.slow
@ORACLE
@given(history=histories(), window=RANGE, broken=st.booleans())
def test_goal_habit_nudge_metrics_match_the_oracle(
    store: EventStore, history: History, window: tuple[str, str, str], broken: bool
) -> None:
    project_id = load(store, history)
    date_from, date_to, interval = window
    evs = oracle.events(history.batch_rows(project_id), project_id, oracle.ZoneInfo(history.tz))
    f = oracle.frame(date_from, date_to, interval, history.tz)
    cases = {
        "goal_completion_rate": ("cohort", lambda b: oracle.goal_completion_rate(evs, f, b)),
        "habit_adherence_score": ("scheduled_days", lambda b: oracle.habits(evs, f, "score", b)),
        "avg_streak_length": ("scheduled_days", lambda b: oracle.habits(evs, f, "streak", b)),
        "ai_nudge_effectiveness": ("persona", lambda b: oracle.nudge_effectiveness(evs, f, b)),
    }
    for name, (prop, expected) in cases.items():
        spec: dict[str, Any] = {
            "metric": name,
            "interval": interval,
            "date_from": date_from,
            "date_to": date_to,
        }
        if broken:
            spec["breakdown"] = {"property": prop}
        got = by_value(run_metric(store, project_id, history.tz, spec), name)
        want = expected(prop if broken else None)
        assert sorted(got, key=repr) == sorted(want, key=repr), name
        for key, values in want.items():
            close(got[key], values, (name, key))
