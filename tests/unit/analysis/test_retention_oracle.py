"""RetentionQuery against the plain-Python oracle, on randomized data, on every backend.

Events cluster around DST changes, with ties and merged identities (the trends
scenarios); ranges may be empty of events or start mid-period; ``now`` falls inside the
range so that periods still to come are cut off.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heron.query.context import QueryContext
from heron.query.dialects import dialect
from heron.query.registry import KINDS, parse_spec
from heron.query.runner import Runner
from heron.store.base import EventStore
from tests.unit.analysis.oracles import retention_oracle
from tests.unit.analysis.oracles.trends_data import (
    FILTERS,
    ORACLE_SETTINGS,
    Scenario,
    load,
    scenarios,
)
from tests.unit.analysis.oracles.trends_oracle import resolve
from tests.unit.analysis.test_lifecycle import mask_limit

pytestmark = pytest.mark.slow


@st.composite
def cases(draw: st.DrawFn) -> tuple[Scenario, dict[str, Any], int]:
    scenario = draw(scenarios())
    period = draw(st.sampled_from(["day", "week", "month"]))
    start = draw(st.integers(-40, 5))
    length = draw(st.integers(0, 30))
    spec = {
        "kind": "RetentionQuery",
        "target_event": draw(st.sampled_from(["signup", "pageview"])),
        "returning_event": draw(st.sampled_from(["signup", "pageview"])),
        "period": period,
        "periods": draw(st.integers(1, 4)),
        "retention_type": draw(st.sampled_from(["first_time", "recurring"])),
        "date_from": scenario.local_date(start),
        "date_to": scenario.local_date(start + length),
        "filters": draw(FILTERS),
        "target_filters": draw(FILTERS),
    }
    now_days = draw(st.integers(-20, 60))
    return scenario, spec, now_days


def same(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12)
    return a == b


Rows = list[dict[str, Any]]


def check_against_oracle(
    store: EventStore,
    case: tuple[Scenario, dict[str, Any], int],
    extra: dict[str, Any] | None = None,
    oracle_rows: Callable[[Rows], Rows] = lambda rows: rows,
) -> None:
    """Run the case's spec (with ``extra`` fields) and compare with the oracle on
    ``oracle_rows`` of the stored rows."""
    scenario, spec, now_days = case
    project_id = load(store, scenario)
    tz = ZoneInfo(scenario.tz)
    now = (scenario.anchor + timedelta(days=now_days)).replace(tzinfo=ZoneInfo("UTC"))
    ctx = QueryContext(project_id, tz, dialect(store.dialect), now=now)
    parsed = parse_spec({**spec, **(extra or {})})
    got = KINDS["RetentionQuery"].run(parsed, Runner(store, ctx))
    events = resolve(oracle_rows(scenario.batch_rows(project_id)), project_id, tz)
    now_local = now.astimezone(tz).replace(tzinfo=None)
    expected = retention_oracle.retention(events, spec, now_local)
    assert same(got, expected), (got, expected)


@ORACLE_SETTINGS
@given(case=cases())
@pytest.mark.parametrize("words", [None, 0])
def test_retention_matches_the_oracle(
    store: EventStore, words: int | None, case: tuple[Scenario, dict[str, Any], int]
) -> None:
    """From masks of periods (``None``) and from the join of members and returns (0)."""
    with mask_limit(words):
        check_against_oracle(store, case)
