"""Trends, funnels and retention counted by group, against the person-based oracles.

Each event's unit becomes its ``company`` group (events without one drop out, see
:func:`~tests.unit.analysis.oracles.group_data.by_group`); identity merges no longer
matter. Another project holds the same group keys, so a leak would change the counts.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heron.store.base import EventStore
from tests.support.events import raw_batch
from tests.unit.analysis import test_funnels_oracle as funnels_case
from tests.unit.analysis import test_retention_oracle as retention_case
from tests.unit.analysis import test_trends_oracle as trends_case
from tests.unit.analysis.oracles import funnel_data, trends_oracle
from tests.unit.analysis.oracles import funnel_oracle as oracle
from tests.unit.analysis.oracles.group_data import (
    GROUP_TYPE,
    TIER,
    by_group,
    with_group_properties,
    with_groups,
)
from tests.unit.analysis.oracles.trends_data import ORACLE_SETTINGS, Scenario, execute, load
from tests.unit.analysis.oracles.trends_oracle import resolve
from tests.unit.analysis.test_lifecycle import mask_limit

pytestmark = pytest.mark.slow

UNIT_MATHS = {"dau", "weekly_active", "monthly_active"}


@st.composite
def grouped_scenarios(draw: st.DrawFn, cases: Any) -> tuple[Any, ...]:
    scenario, *rest = draw(cases())
    rows, noise = draw(with_groups(scenario.rows)), draw(with_groups(scenario.noise))
    return (replace(scenario, rows=rows, noise=noise), *rest)


GOLD = {"property": "tier", "type": "group", "group_type": GROUP_TYPE, "value": "gold"}
GROUP_FILTERS = st.sampled_from(
    [[], [GOLD], [{**GOLD, "operator": "neq"}], [{**GOLD, "value": "silver"}]]
)


def as_event_property(item: dict[str, Any]) -> dict[str, Any]:
    """A group-property filter or breakdown as the oracle's event property :data:`TIER`."""
    return {k: v for k, v in item.items() if k not in ("type", "group_type")} | {"property": TIER}


@ORACLE_SETTINGS
@given(case=grouped_scenarios(trends_case.cases))
def test_trends_count_groups(store: EventStore, case: tuple[Scenario, dict[str, Any]]) -> None:
    scenario, spec = case
    plain = {k: v for k, v in spec.items() if k != "formula"}
    project_id = load(store, scenario)
    rows = scenario.batch_rows(project_id)
    by_person = trends_oracle.trends(rows, project_id, scenario.tz, plain)
    by_company = trends_oracle.trends(by_group(rows), project_id, scenario.tz, plain)
    units = {s["name"] for s in spec["series"] if s["math"] in UNIT_MATHS}
    expected = [e for e in by_company if e["label"] in units]
    expected += [e for e in by_person if e["label"] not in units]
    got = execute(store, project_id, scenario.tz, {**plain, "aggregation_group_type": GROUP_TYPE})
    trends_case.assert_same_entries(got, expected)


@ORACLE_SETTINGS
@given(case=grouped_scenarios(retention_case.cases), filters=GROUP_FILTERS)
@pytest.mark.parametrize("words", [None, 0])
def test_retention_counts_groups(
    store: EventStore,
    words: int | None,
    case: tuple[Scenario, dict[str, Any], int],
    filters: list[dict[str, Any]],
) -> None:
    """Also with a filter on the group property ``tier`` of each event's company; from
    masks of periods and from the join (``words`` 0)."""
    scenario, spec, now_days = case
    oracle_spec = {**spec, "filters": [*spec["filters"], *map(as_event_property, filters)]}
    with mask_limit(words):
        retention_case.check_against_oracle(
            store,
            (scenario, oracle_spec, now_days),
            {"aggregation_group_type": GROUP_TYPE, "filters": [*spec["filters"], *filters]},
            lambda rows: by_group(with_group_properties(rows)),
        )


@st.composite
def funnel_cases(draw: st.DrawFn) -> funnel_data.Case:
    case = draw(funnels_case.cases())
    return replace(case, rows=draw(with_groups(case.rows)))


def _noise(rows: list[dict[str, Any]], project_id: int) -> list[dict[str, Any]]:
    """Another project's copy of the step-1 events and of the group updates (other tiers)."""
    out = []
    for row in rows:
        props = row["properties"]
        if row["event"] == "$groupidentify":
            props = {**props, "$group_set": {"tier": "theirs"}}
        elif row["event"] != "A":
            continue
        out.append({**row, "project_id": project_id, "properties": props})
    return out


@funnel_data.FUNNEL_SETTINGS
@given(case=funnel_cases(), by_tier=st.booleans())
def test_funnels_count_groups(store: EventStore, case: funnel_data.Case, by_tier: bool) -> None:
    """Also broken down by the group property ``tier`` (first touch) when drawn so."""
    spec, tz = case.spec, ZoneInfo(case.tz)
    project_id = funnel_data.load(store, case.rows)
    store.append(raw_batch(_noise(case.rows, project_id + 10_000)))
    rows = [{**r, "project_id": project_id} for r in case.rows]
    query = {**spec, "aggregation_group_type": GROUP_TYPE}
    if by_tier and "breakdown" in spec:
        tier = {"property": "tier", "type": "group", "group_type": GROUP_TYPE}
        query["breakdown"] = {**spec["breakdown"], **tier}
        spec = {**spec, "breakdown": {**spec["breakdown"], "property": TIER}}
        rows = with_group_properties(rows)
    units = oracle.units(resolve(by_group(rows), project_id, UTC), spec, tz)
    result = funnel_data.execute(store, project_id, query, case.tz)
    if spec["funnel_viz"] == "steps":
        expected = oracle.steps_result(units, spec)
    elif spec["funnel_viz"] == "trends":
        expected = oracle.trends_result(units, spec, oracle.day_keys(spec))
        for entry in result if isinstance(result, list) else [result]:
            del entry["labels"], entry["data"]
    else:
        expected = oracle.time_to_convert_result(units, spec)
    assert funnels_case.close(result, expected), (result, expected)


@ORACLE_SETTINGS
@given(
    case=grouped_scenarios(trends_case.cases),
    filters=GROUP_FILTERS,
    by_group_property=st.booleans(),
    aggregate=st.booleans(),
)
def test_trends_filter_and_break_down_by_group_properties(
    store: EventStore,
    case: tuple[Scenario, dict[str, Any]],
    filters: list[dict[str, Any]],
    by_group_property: bool,
    aggregate: bool,
) -> None:
    scenario, spec = case
    spec = {k: v for k, v in spec.items() if k != "formula"}
    spec["filters"] = [*spec["filters"], *filters]
    if by_group_property:
        spec["breakdown"] = {"property": "tier", "type": "group", "group_type": GROUP_TYPE}
    plain = {
        **spec,
        "filters": [
            as_event_property(f) if f.get("type") == "group" else f for f in spec["filters"]
        ],
    }
    if by_group_property:
        plain["breakdown"] = as_event_property(spec["breakdown"])
    project_id = load(store, scenario)
    rows = with_group_properties(scenario.batch_rows(project_id))
    expected = trends_oracle.trends(rows, project_id, scenario.tz, plain)
    if aggregate:
        units = {s["name"] for s in spec["series"] if s["math"] in UNIT_MATHS}
        by_company = trends_oracle.trends(by_group(rows), project_id, scenario.tz, plain)
        expected = [e for e in by_company if e["label"] in units] + [
            e for e in expected if e["label"] not in units
        ]
        spec["aggregation_group_type"] = GROUP_TYPE
    trends_case.assert_same_entries(execute(store, project_id, scenario.tz, spec), expected)
