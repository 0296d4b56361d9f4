"""Identity merges as stored by DuckDB: chains across commits stay flat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from heron.events import person_id_for
from heron.store.duckdb_schema import OVERRIDES_OF_PERSONS, PERSON_ROWS
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


def identified_visitors(n: int) -> list[dict]:
    """``n`` anonymous visitors, each identified a second after their first pageview."""
    rows: list[dict] = []
    for i in range(n):
        rows.append({"event": "pageview", "distinct_id": f"anon-{i}", "timestamp": T0})
        rows.append(
            {
                "event": "$identify",
                "distinct_id": f"user-{i}",
                "timestamp": T0 + timedelta(seconds=1),
                "properties": {"$anon_distinct_id": f"anon-{i}", "$set": {"n": i}},
            }
        )
    return rows


def test_many_identity_ops_in_one_commit(duckdb_store):
    duckdb_store.append(raw_batch(identified_visitors(300)))
    assert len(set(resolved(duckdb_store).values())) == 300
    assert duckdb_store.query("select count(*) as n from persons").to_pylist()[0]["n"] == 300


def test_identity_lookups_use_the_person_id_indexes(duckdb_store):
    """Each commit with identity events looks its persons up by id; with a plan that scans
    the whole table instead, commit time grows with the number of persons stored."""
    duckdb_store.append(raw_batch(identified_visitors(50)))
    wanted = [str(person_id_for(1, f"{kind}-{i}")) for kind in ("anon", "user") for i in (3, 7)]
    for statement in (OVERRIDES_OF_PERSONS, PERSON_ROWS):
        with duckdb_store.cursor() as cursor:
            plan = cursor.execute(f"EXPLAIN ANALYZE {statement}", [1, wanted]).fetchall()[0][1]
        assert "Index Scan" in plan, plan
