"""Cohort definitions: parsing, errors, and ``CohortQuery`` results on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlglot import exp

from heron.analysis.cohorts import (
    BehaviouralCohort,
    CohortQuery,
    canonical,
    members_query,
    parse_definition,
    run_cohort,
)
from heron.events import person_id_for
from heron.query.context import QueryContext
from heron.query.dialects import dialect
from heron.query.registry import SpecError, parse_spec
from heron.query.runner import Runner
from heron.query.source import event_rows, person_id
from heron.store.base import EventStore
from tests.support.events import raw_batch

NOW = datetime(2025, 4, 10, 12, tzinfo=UTC)


def ev(distinct_id: str, event: str, days_ago: float, **properties: Any) -> dict[str, Any]:
    ts = NOW - timedelta(days=days_ago)
    return {"event": event, "distinct_id": distinct_id, "timestamp": ts, "properties": properties}


@pytest.fixture
def loaded(store: EventStore) -> EventStore:
    rows = [
        ev("ann", "buy", 1, amount=5),
        ev("ann", "buy", 2, amount=50),
        ev("ann", "signup", 30),
        ev("bob", "buy", 8),
        ev("bob", "signup", 3),
        ev("visitor", "view", 4),
        ev("ann", "$identify", 0.5, **{"$anon_distinct_id": "visitor", "$set": {"plan": "pro"}}),
        ev("cat", "view", 1),
    ]
    store.append(raw_batch(rows))
    store.append(raw_batch([ev("ann", "buy", 1), ev("zed", "buy", 1)], project_id=2))
    return store


def ctx_for(store: EventStore, **kw: Any) -> QueryContext:
    return QueryContext(1, ZoneInfo("UTC"), dialect(store.dialect), now=NOW, **kw)


def members(store: EventStore, definition: Any, **spec: Any) -> dict[str, Any]:
    query = CohortQuery(definition=parse_definition(definition), **spec)
    return run_cohort(query, Runner(store, ctx_for(store)))


def pid(distinct_id: str) -> str:
    return str(person_id_for(1, distinct_id))


def test_behavioural_counts_in_the_last_days(loaded: EventStore) -> None:
    twice = members(loaded, {"event": "buy", "operator": "gte", "count": 2, "days": 7})
    assert [p["person_id"] for p in twice["persons"]] == [pid("ann")]
    assert twice["persons"][0]["properties"] == {"plan": "pro"}
    never = members(loaded, {"event": "buy", "operator": "eq", "count": 0, "days": 7})
    assert {p["person_id"] for p in never["persons"]} == {pid("bob"), pid("cat")}
    big = {
        "event": "buy",
        "count": 1,
        "days": 7,
        "filters": [{"property": "amount", "operator": "gt", "value": 10}],
    }
    assert [p["person_id"] for p in members(loaded, big)["persons"]] == [pid("ann")]


def test_did_not_did_and_merged_visitors(loaded: EventStore) -> None:
    # The visitor's view (4 days ago) counts for ann, whom it was merged into.
    result = members(loaded, {"did": "view", "not_did": "signup", "days": 7})
    assert {p["person_id"] for p in result["persons"]} == {pid("ann"), pid("cat")}
    static = members(loaded, {"distinct_ids": ["visitor", "cat", "nobody"]})
    assert static["count"] == 2


def test_groups_and_acquisition(loaded: EventStore) -> None:
    signed_up_lately = {"first_seen": {"date_from": "2025-04-01", "date_to": "2025-04-10"}}
    assert {p["person_id"] for p in members(loaded, signed_up_lately)["persons"]} == {
        pid("bob"),
        pid("cat"),
    }
    pro_or_cat = {
        "or": [{"properties": [{"property": "plan", "value": "pro"}]}, {"distinct_ids": ["cat"]}]
    }
    assert members(loaded, pro_or_cat)["count"] == 2
    not_pro = {
        "and": [
            {"not": {"properties": [{"property": "plan", "value": "pro"}]}},
            {"distinct_ids": ["ann", "bob"]},
        ]
    }
    assert [p["person_id"] for p in members(loaded, not_pro)["persons"]] == [pid("bob")]


def test_paging_orders_by_person_id(loaded: EventStore) -> None:
    everyone = {"not": {"distinct_ids": ["nobody"]}}
    ordered = sorted([pid("ann"), pid("bob"), pid("cat")])
    first = members(loaded, everyone, limit=2)
    assert (first["count"], [p["person_id"] for p in first["persons"]]) == (3, ordered[:2])
    rest = members(loaded, everyone, limit=2, offset=2)
    assert [p["person_id"] for p in rest["persons"]] == ordered[2:]
    assert members(loaded, everyone, limit=0)["persons"] == []


def test_saved_cohorts_through_the_context_hook(loaded: EventStore) -> None:
    saved = parse_definition({"event": "buy", "count": 1, "days": 7})
    ctx = ctx_for(loaded)
    ctx.cohort_members = lambda cohort_id: members_query(ctx, saved)
    spec = CohortQuery(cohort=7, definition=parse_definition({"distinct_ids": ["ann", "bob"]}))
    result = run_cohort(spec, Runner(loaded, ctx))
    assert [p["person_id"] for p in result["persons"]] == [pid("ann")]
    # Any analysis filters by cohort through the event source.
    rows = event_rows(ctx, None, cohort=7).select(person_id(ctx).as_("person_id")).distinct()
    found = Runner(loaded, ctx).execute(rows).column("person_id").to_pylist()
    assert {str(p) for p in found} == {pid("ann")}


def test_parse_errors_name_the_field() -> None:
    with pytest.raises(SpecError) as caught:
        parse_definition({"event": "buy", "days": 0})
    assert caught.value.errors[0]["loc"] == ["definition", "behavioral", "days"]
    with pytest.raises(SpecError, match="needs one of the keys"):
        parse_definition({"colour": "red"})
    with pytest.raises(SpecError, match="at least 1 item"):
        parse_definition({"and": []})
    with pytest.raises(SpecError, match="give a cohort definition"):
        parse_spec({"kind": "CohortQuery"})
    with pytest.raises(SpecError, match="does not take date_from"):
        parse_spec({"kind": "CohortQuery", "cohort": 1, "date_from": "-7d"})


def test_definitions_round_trip_through_their_canonical_json() -> None:
    data = {
        "and": [
            {"event": "buy", "days": 7},
            {"not": {"did": "a", "not_did": "b", "days": 3}},
            {
                "or": [
                    {"distinct_ids": ["x"]},
                    {"first_seen": {"date_from": "-30d"}, "event": "signup"},
                ]
            },
            {"properties": [{"property": "plan", "operator": "in", "value": ["pro"]}]},
        ]
    }
    parsed = parse_definition(data)
    assert parse_definition(canonical(parsed)) == parsed
    assert canonical(parsed)["and"][0] == {
        "event": "buy",
        "operator": "gte",
        "count": 1,
        "days": 7,
        "filters": [],
    }
    assert canonical(parsed)["and"][3]["properties"][0]["type"] == "person"
    assert isinstance(parse_definition({"event": "x", "days": 1}), BehaviouralCohort)


def test_members_query_compiles_for_both_dialects() -> None:
    definition = parse_definition(
        {"and": [{"event": "buy", "days": 7}, {"not": {"distinct_ids": ["a"]}}]}
    )
    for name in ("duckdb", "clickhouse"):
        ctx = QueryContext(1, ZoneInfo("Europe/Berlin"), dialect(name), now=NOW)
        sql = members_query(ctx, definition).sql(dialect=name)
        assert "INTERSECT" in sql and "EXCEPT" in sql


@pytest.mark.parametrize(
    "definition",
    [{"event": "buy", "count": 1, "days": 7}, {"distinct_ids": ["visitor"]}],
    ids=["behavioural", "static, by a merged id"],
)
def test_a_cohort_filter_keeps_the_rows_of_ids_merged_into_a_member(
    loaded: EventStore, definition: dict[str, Any]
) -> None:
    # The source cuts rows by stored person id before resolving merges: the visitor's view,
    # stored under the visitor's own id, still counts for ann.
    ctx = ctx_for(loaded)
    cohort = parse_definition(definition)
    ctx.cohort_members = lambda cohort_id: members_query(ctx, cohort)
    rows = event_rows(ctx, None, cohort=1).select(
        person_id(ctx).as_("person_id"), exp.column("event", "e").as_("event")
    )
    found = Runner(loaded, ctx).execute(rows).to_pylist()
    assert {str(r["person_id"]) for r in found} == {pid("ann")}
    assert sorted(r["event"] for r in found) == ["$identify", "buy", "buy", "signup", "view"]
