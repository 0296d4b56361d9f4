"""Identity merges as stored by DuckDB: chains across commits stay flat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from heron.events import person_id_for
from tests.support.events import raw_batch

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def resolved(store) -> dict[str, str]:
    rows = store.query(
        "select e.distinct_id, coalesce(o.person_id, e.person_id)::varchar as person from events e "
        "left join person_overrides o on o.project_id = e.project_id and o.old_person_id = e.person_id"
    ).to_pylist()
    return {r["distinct_id"]: r["person"] for r in rows}


def test_merges_in_later_commits_move_earlier_overrides(duckdb_store):
    step = timedelta(minutes=1)
    duckdb_store.append(
        raw_batch(
            [
                {"event": "pageview", "distinct_id": "anon", "timestamp": T0},
                {
                    "event": "$create_alias",
                    "distinct_id": "middle",
                    "timestamp": T0 + step,
                    "properties": {"alias": "anon"},
                },
            ]
        )
    )
    duckdb_store.append(
        raw_batch(
            [
                {
                    "event": "$create_alias",
                    "distinct_id": "final",
                    "timestamp": T0 + 2 * step,
                    "properties": {"alias": "middle"},
                },
            ]
        )
    )
    people = resolved(duckdb_store)
    assert set(people.values()) == {str(person_id_for(1, "final"))}
    overrides = duckdb_store.query("select count(*) as n from person_overrides").to_pylist()[0]["n"]
    assert overrides == 2


def test_many_identity_ops_in_one_commit(duckdb_store):
    rows = []
    for i in range(300):
        rows.append({"event": "pageview", "distinct_id": f"anon-{i}", "timestamp": T0})
        rows.append(
            {
                "event": "$identify",
                "distinct_id": f"user-{i}",
                "timestamp": T0 + timedelta(seconds=1),
                "properties": {"$anon_distinct_id": f"anon-{i}", "$set": {"n": i}},
            }
        )
    duckdb_store.append(raw_batch(rows))
    assert len(set(resolved(duckdb_store).values())) == 300
    assert duckdb_store.query("select count(*) as n from persons").to_pylist()[0]["n"] == 300
