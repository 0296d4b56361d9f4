"""Funnel levels against ClickHouse's own ``windowFunnel``, run by chdb on the same rows.

Randomized events (ties, events matching several steps, merged identities, windows of
seconds and of days) are stored in each backend and queried through Heron; the same rows, with
persons resolved, go into a chdb table and through ``windowFunnel(window, 'strict_once'
[, 'strict_order'][, 'strict_increase'])``. Per-person levels must be identical, and so
must the per-(person, day) levels of trends units (step 1 restricted to the day).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heron.store.base import EventStore
from heron.store.clickhouse_transport import ChdbTransport
from tests.unit.analysis.oracles.funnel_data import (
    FUNNEL_SETTINGS,
    Case,
    event_rows,
    execute,
    funnel_steps,
    load,
    person_names,
    unit_levels,
    windows,
)
from tests.unit.analysis.oracles.trends_oracle import resolve

pytestmark = pytest.mark.slow


@pytest.fixture
def clickhouse(store: EventStore, tmp_path: Path) -> Iterator[Any]:
    """ClickHouse to compute the reference: the chdb store's own engine, else a fresh one.

    chdb serves one data directory per process at a time, so the reference shares the
    store's when the store is chdb.
    """
    transport = getattr(store, "transport", None)
    if transport is not None:
        yield transport
        return
    own = ChdbTransport(str(tmp_path / "reference"))
    try:
        yield own
    finally:
        own.close()


@st.composite
def cases(draw: st.DrawFn) -> Case:
    scale, window = draw(windows())
    spec: dict[str, Any] = {
        "kind": "FunnelsQuery",
        "steps": draw(funnel_steps()),
        "conversion_window": window,
        "order": draw(st.sampled_from(["ordered", "ordered", "strict"])),
        "strict_increase": draw(st.integers(0, 3)) == 0,
        "date_from": "2025-03-01",
        "date_to": "2025-03-31",
    }
    return Case(draw(event_rows(scale)), spec)


def _literal(value: str) -> str:
    assert value.isalnum(), value
    return f"'{value}'"


def _condition(step: dict[str, Any]) -> str:
    parts = [f"e = {_literal(step['event'])}"]
    parts += [f"ifNull(plan = {_literal(f['value'])}, 0)" for f in step.get("filters", [])]
    return "(" + " AND ".join(parts) + ")"


def clickhouse_levels(chs: Any, rows: list[dict[str, Any]], spec: dict[str, Any]) -> dict:
    """``{(person, day or None): level}`` from ``windowFunnel`` over the resolved rows."""
    chs.command("DROP TABLE IF EXISTS funnel_reference")
    chs.command(
        "CREATE TABLE funnel_reference (p String, ts UInt64, e String, plan Nullable(String)) "
        "ENGINE = Memory"
    )
    values = []
    for event in rows:
        micros = int(event.utc.replace(tzinfo=UTC).timestamp()) * 1_000_000
        micros += event.utc.microsecond
        plan = event.properties.get("plan")
        values.append(
            f"({_literal(event.person)}, {micros}, {_literal(event.event)}, "
            f"{'NULL' if plan is None else _literal(plan)})"
        )
    chs.command(f"INSERT INTO funnel_reference VALUES {', '.join(values)}")
    unit = {"second": 1, "day": 86400}[spec["conversion_window"]["unit"]]
    window = spec["conversion_window"]["value"] * unit * 1_000_000
    modes = ["'strict_once'"]
    if spec["order"] == "strict":
        modes.append("'strict_order'")
    if spec["strict_increase"]:
        modes.append("'strict_increase'")
    steps = spec["steps"]
    names = ", ".join(sorted({_literal(s["event"]) for s in steps}))
    conditions = [_condition(s) for s in steps]
    funnel = f"windowFunnel({window}, {', '.join(modes)})"
    per_person = (
        f"SELECT p, NULL AS b, {funnel}(ts, {', '.join(conditions)}) AS level "
        f"FROM funnel_reference WHERE e IN ({names}) GROUP BY p"
    )
    day = "toDate(fromUnixTimestamp64Micro(toInt64(ts), 'UTC'))"
    first = f"{conditions[0]} AND {day} = b"
    per_day = (
        f"SELECT p, b, {funnel}(ts, {', '.join([first, *conditions[1:]])}) AS level "
        "FROM funnel_reference INNER JOIN (SELECT p, groupUniqArray("
        f"{day}) AS bs FROM funnel_reference WHERE {conditions[0]} GROUP BY p) AS s USING p "
        f"ARRAY JOIN bs AS b WHERE e IN ({names}) GROUP BY p, b"
    )
    levels = {}
    for sql in (per_person, per_day):
        for row in chs.query(sql).to_pylist():
            levels[(row["p"], row["b"])] = int(row["level"])
    return {key: level for key, level in levels.items() if level > 0}


def heron_levels(store: EventStore, project_id: int, spec: dict[str, Any]) -> dict:
    names = person_names(store, project_id)
    out = {}
    for viz in ("steps", "trends"):
        table = unit_levels(store, project_id, {**spec, "funnel_viz": viz})
        for row in table.to_pylist():
            bucket = row["bucket"].date() if "bucket" in row else None
            out[(names[str(row["p"])], bucket)] = row["level"]
    return out


@FUNNEL_SETTINGS
@given(case=cases())
def test_levels_equal_clickhouse_window_funnel(
    store: EventStore, clickhouse: Any, case: Case
) -> None:
    project_id = load(store, case.rows)
    rows = [{**r, "project_id": project_id} for r in case.rows]
    resolved = resolve(rows, project_id, UTC)
    owner = {r["distinct_id"]: e.person for r, e in zip(rows, resolved, strict=True)}
    mine = {
        (owner[d], b): level for (d, b), level in heron_levels(store, project_id, case.spec).items()
    }
    funnel_events = [e for e in resolved if e.event in {s["event"] for s in case.spec["steps"]}]
    expected = clickhouse_levels(clickhouse, funnel_events, case.spec) if funnel_events else {}
    assert mine == expected
    persons = [level for (_, bucket), level in expected.items() if bucket is None]
    steps = execute(store, project_id, case.spec)["steps"]
    counts = [sum(level >= j for level in persons) for j in range(1, len(steps) + 1)]
    assert [s["count"] for s in steps] == counts
