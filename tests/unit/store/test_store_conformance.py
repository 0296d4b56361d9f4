"""The event-store contract, run on every backend through the shared ``store`` fixture.

Every expectation is written once, so both backends are held to the same values; a
behaviour one backend cannot match is a strict ``xfail`` for that backend only.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pyarrow as pa
import pytest
from sqlglot import exp

from heron.events import MATERIALISED_COLUMNS, person_id_for
from heron.query.context import QueryContext
from heron.query.dialects import dialect
from heron.query.runner import Runner
from heron.query.source import event_rows, person_id
from heron.store.base import EventStore
from tests.support.events import raw_batch

T0 = datetime(2025, 3, 1, 12)


def ev(distinct_id: str, name: str = "$pageview", at: datetime = T0, **extra: Any) -> dict:
    return {"event": name, "distinct_id": distinct_id, "timestamp": at, **extra}


def rows(store: EventStore, sql: str) -> list[dict[str, Any]]:
    """Result rows in a backend-independent order."""
    return sorted(store.query(sql).to_pylist(), key=repr)


def pid(distinct_id: str, project_id: int = 1) -> str:
    return str(person_id_for(project_id, distinct_id))


def xfail_on(store: EventStore, backend: str, reason: str, request: pytest.FixtureRequest) -> None:
    if store.dialect == backend:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))


# -- append and dedupe ----------------------------------------------------------------------


def test_same_uuid_twice_in_a_batch(store: EventStore) -> None:
    key = str(uuid.uuid4())
    result = store.append(raw_batch([ev("a", uuid=key), ev("a", uuid=key), ev("b")]))
    assert (result.inserted, result.duplicates) == (2, 1)
    assert rows(store, "SELECT count(*) AS n FROM events") == [{"n": 2}]


@pytest.mark.parametrize("at", [T0, None], ids=["old", "live"])
def test_same_uuid_across_batches(store: EventStore, at: datetime | None) -> None:
    moment = at or datetime.now(UTC).replace(tzinfo=None)
    batch = raw_batch([ev("a", at=moment), ev("b", at=moment)])
    assert store.append(batch).inserted == 2
    again = store.append(batch)
    assert (again.inserted, again.duplicates) == (0, 2)
    exact = store.append(batch, exact=True)
    assert (exact.inserted, exact.duplicates) == (0, 2)
    assert rows(store, "SELECT count(*) AS n FROM events") == [{"n": 2}]


def test_exact_mode_checks_the_stored_rows(store: EventStore) -> None:
    batch = raw_batch([ev("a"), ev("b", at=T0 + timedelta(days=40))])
    assert store.append(batch, exact=True).inserted == 2
    mixed = pa.concat_tables([batch, raw_batch([ev("c")])])
    result = store.append(mixed, exact=True)
    assert (result.inserted, result.duplicates) == (1, 2)


def test_rows_without_uuid_get_one_and_are_never_duplicates(store: EventStore) -> None:
    batch = raw_batch([ev("a"), ev("a")])
    batch = batch.set_column(1, "uuid", pa.nulls(2, pa.string()))
    assert store.append(batch).inserted == 2
    assert store.append(batch, exact=True).inserted == 2
    found = rows(store, "SELECT uuid FROM events")
    assert len({r["uuid"] for r in found}) == 4
    assert all(uuid.UUID(r["uuid"]) for r in found)


def test_same_uuid_in_two_projects_is_two_events(store: EventStore) -> None:
    key = str(uuid.uuid4())
    batch = raw_batch([ev("a", uuid=key, project_id=1), ev("a", uuid=key, project_id=2)])
    assert store.append(batch).inserted == 2


def test_data_version_moves_only_for_written_projects(store: EventStore) -> None:
    before = store.data_version(1), store.data_version(2)
    store.append(raw_batch([ev("a")]))
    assert store.data_version(1) != before[0]
    assert store.data_version(2) == before[1]


def test_stored_row_types(store: EventStore) -> None:
    store.append(raw_batch([ev("a", properties={"$current_url": "https://x.test/"})]))
    events = store.query("SELECT * FROM events").schema
    expected = {
        "project_id": pa.int32(),
        "uuid": pa.string(),
        "person_id": pa.string(),
        "timestamp": pa.timestamp("us"),
        "inserted_at": pa.timestamp("us"),
        "properties": pa.string(),
        **dict.fromkeys(MATERIALISED_COLUMNS, pa.string()),
    }
    assert {name: events.field(name).type for name in expected} == expected
    row = rows(store, "SELECT person_id, timestamp FROM events")[0]
    assert row == {"person_id": pid("a"), "timestamp": T0}


# -- materialised columns -------------------------------------------------------------------

URL_CASES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (
        {"$current_url": "https://Ex.test/p/a?utm_source=news%20letter&utm_medium=email#x"},
        {"pathname": "/p/a", "utm_source": "news letter", "utm_medium": "email"},
    ),
    (
        {"$current_url": "https://ex.test?utm_campaign=spring&utm_term=a%26b#utm_content=no"},
        {"pathname": None, "utm_campaign": "spring", "utm_term": "a&b", "utm_content": None},
    ),
    (
        {"$current_url": "https://ex.test/?utm_source=url", "utm_source": "prop"},
        {"pathname": "/", "utm_source": "prop"},
    ),
    (
        {"$current_url": "https://ex.test/x?utm_source=url&utm_medium=", "utm_source": ""},
        {"pathname": "/x", "utm_source": "url", "utm_medium": None},
    ),
    (
        {"$current_url": "https://ex.test/a+b?utm_source=a+b&utm_term=%zz%2", "$pathname": "/own"},
        {"pathname": "/own", "utm_source": "a+b", "utm_term": "%zz%2"},
    ),
    ({"$current_url": "not a url ?utm_source=s"}, {"pathname": None, "utm_source": "s"}),
    ({"$current_url": "myapp://screen/home?x=1"}, {"pathname": "/home"}),
    ({"$current_url": ""}, {"current_url": None, "pathname": None}),
    (
        {"$referrer": "https://User:pw@WWW.Google.COM:443/search?q=1"},
        {"referring_domain": "www.google.com"},
    ),
    (
        {"$referrer": "android-app://com.google.android.gm/"},
        {"referring_domain": "com.google.android.gm"},
    ),
    ({"$referrer": "$direct"}, {"referrer": "$direct", "referring_domain": None}),
    ({"$referrer": "https://MÜNCHEN.test/"}, {"referring_domain": "münchen.test"}),
    ({"$referrer": "https://a.test/", "$referring_domain": "given"}, {"referring_domain": "given"}),
    ({"$referrer": ""}, {"referrer": None, "referring_domain": None}),
    (
        {"$browser": 12, "$os": True, "$lib": {"v": [1, "x"]}, "$device_type": 1.0},
        {"browser": "12", "os": "true", "lib": '{"v":[1,"x"]}', "device_type": "1.0"},
    ),
    ({"$browser": None, "$os": "", "$lib": "web"}, {"browser": None, "os": None, "lib": "web"}),
    ({"$session_id": 42}, {"session_id": "42"}),
    ({"$current_url": "https://ex.test/é?utm_source=%C3%A9%F0%9F%98%80"}, {"utm_source": "é😀"}),
]


@pytest.mark.parametrize(("props", "expected"), URL_CASES, ids=lambda v: repr(v)[:60])
def test_materialised_columns(
    store: EventStore, props: dict[str, Any], expected: dict[str, Any]
) -> None:
    store.append(raw_batch([ev("a", properties=props)]))
    columns = ", ".join(expected)
    assert rows(store, f"SELECT {columns} FROM events") == [expected]


def test_batch_columns_win_over_properties(store: EventStore) -> None:
    batch = raw_batch(
        [ev("a", session_id="s-col", properties={"$browser": "p", "$session_id": "p"})]
    )
    for name in ("browser", "os", "device_type"):
        batch = batch.set_column(
            batch.schema.get_field_index(name), name, pa.array([f"{name}-col"])
        )
    store.append(batch)
    found = rows(store, "SELECT session_id, browser, os, device_type FROM events")
    assert found == [
        {
            "session_id": "s-col",
            "browser": "browser-col",
            "os": "os-col",
            "device_type": "device_type-col",
        }
    ]


def test_undecodable_utm_is_kept_as_sent(store: EventStore) -> None:
    store.append(
        raw_batch([ev("a", properties={"$current_url": "https://x.test/?utm_source=%E9"})])
    )
    assert rows(store, "SELECT utm_source FROM events") == [{"utm_source": "%E9"}]


def test_referring_domain_special_case_mappings(
    store: EventStore, request: pytest.FixtureRequest
) -> None:
    xfail_on(store, "clickhouse", "lowerUTF8 applies context rules (İ→i̇, final σ→ς)", request)
    store.append(raw_batch([ev("a", properties={"$referrer": "https://İΣΑΣ.test/"})]))
    assert rows(store, "SELECT referring_domain FROM events") == [{"referring_domain": "iσασ.test"}]


# -- identity -------------------------------------------------------------------------------


def persons(store: EventStore) -> list[dict[str, Any]]:
    found = rows(store, "SELECT person_id, properties, is_identified FROM persons")
    return [{**r, "properties": orjson.loads(r["properties"])} for r in found]


def overrides(store: EventStore) -> dict[str, str]:
    return {
        r["old_person_id"]: r["person_id"]
        for r in rows(store, "SELECT old_person_id, person_id FROM person_overrides")
    }


def identify(user: str, anon: str, at: datetime = T0, **props: Any) -> dict:
    return ev(user, "$identify", at, properties={"$anon_distinct_id": anon, **props})


def test_identify_merges_the_visitor_into_the_user(store: EventStore) -> None:
    store.append(
        raw_batch([ev("anon"), identify("user", "anon", T0 + timedelta(1), **{"$set": {"a": 1}})])
    )
    assert overrides(store) == {pid("anon"): pid("user")}
    assert persons(store) == [
        {"person_id": pid("user"), "properties": {"a": 1}, "is_identified": True}
    ]


def test_create_alias_merges(store: EventStore) -> None:
    store.append(raw_batch([ev("main", "$create_alias", properties={"alias": "other"})]))
    assert overrides(store) == {pid("other"): pid("main")}


def test_chained_merges_across_batches_stay_flat(store: EventStore) -> None:
    store.append(raw_batch([ev("c", "$create_alias", properties={"alias": "b", "$set": {"x": 1}})]))
    store.append(raw_batch([ev("b", "$set", properties={"$set": {"y": 2}})]))
    store.append(
        raw_batch([ev("d", "$create_alias", at=T0 + timedelta(1), properties={"alias": "c"})])
    )
    assert overrides(store) == {pid("b"): pid("d"), pid("c"): pid("d")}
    assert persons(store) == [
        {"person_id": pid("d"), "properties": {"x": 1, "y": 2}, "is_identified": False}
    ]


def test_chained_merges_in_one_batch(store: EventStore) -> None:
    batch = [
        identify("u1", "a1", T0, **{"$set": {"plan": "free", "from": "a1"}}),
        ev("u2", "$create_alias", T0 + timedelta(hours=1), properties={"alias": "u1"}),
        ev("u2", "$set", T0 + timedelta(hours=2), properties={"$set": {"plan": "pro"}}),
    ]
    store.append(raw_batch(batch))
    assert overrides(store) == {pid("a1"): pid("u2"), pid("u1"): pid("u2")}
    assert persons(store) == [
        {
            "person_id": pid("u2"),
            "properties": {"plan": "pro", "from": "a1"},
            "is_identified": False,
        }
    ]


def test_two_identified_users_are_not_merged_by_identify(store: EventStore) -> None:
    store.append(raw_batch([identify("u1", "x1"), identify("u2", "x2")]))
    store.append(raw_batch([identify("u1", "u2", T0 + timedelta(1))]))
    assert overrides(store) == {pid("x1"): pid("u1"), pid("x2"): pid("u2")}
    assert sorted(p["person_id"] for p in persons(store)) == sorted([pid("u1"), pid("u2")])


def test_set_and_set_once_apply_in_time_order(store: EventStore) -> None:
    late, early = T0 + timedelta(hours=2), T0 + timedelta(hours=1)
    batch = [
        ev(
            "u", "$set", late, properties={"$set": {"plan": "late"}, "$set_once": {"first": "late"}}
        ),
        ev(
            "u",
            "$set",
            early,
            properties={"$set": {"plan": "early"}, "$set_once": {"first": "early"}},
        ),
    ]
    store.append(raw_batch(batch))
    store.append(
        raw_batch([ev("u", "$set", T0, properties={"$set_once": {"first": "x", "new": 1}})])
    )
    assert persons(store) == [
        {
            "person_id": pid("u"),
            "properties": {"plan": "late", "first": "early", "new": 1},
            "is_identified": False,
        }
    ]


def test_survivor_properties_win_on_merge(store: EventStore) -> None:
    store.append(
        raw_batch([ev("anon", "$set", properties={"$set": {"plan": "anon", "only": "anon"}})])
    )
    store.append(raw_batch([ev("user", "$set", properties={"$set": {"plan": "user"}})]))
    store.append(raw_batch([identify("user", "anon", T0 + timedelta(1))]))
    assert persons(store) == [
        {
            "person_id": pid("user"),
            "properties": {"plan": "user", "only": "anon"},
            "is_identified": True,
        }
    ]


def test_analyses_resolve_persons_through_overrides(store: EventStore) -> None:
    store.append(raw_batch([ev("anon"), ev("other"), identify("user", "anon", T0 + timedelta(1))]))
    ctx = QueryContext(project_id=1, timezone=ZoneInfo("UTC"), dialect=dialect(store.dialect))
    query = event_rows(ctx, None, person_properties=True).select(
        exp.column("distinct_id", "e"),
        exp.alias_(person_id(ctx), "resolved"),
        exp.alias_(exp.column("is_identified", "p"), "identified"),
    )
    found = sorted(Runner(store, ctx).execute(query).to_pylist(), key=repr)
    assert found == sorted(
        [
            {"distinct_id": "anon", "resolved": pid("user"), "identified": True},
            {"distinct_id": "other", "resolved": pid("other"), "identified": None},
            {"distinct_id": "user", "resolved": pid("user"), "identified": True},
        ],
        key=repr,
    )


# -- projects and odd data ------------------------------------------------------------------


def test_projects_are_isolated(store: EventStore) -> None:
    for project in (1, 2):
        store.append(raw_batch([ev("anon"), ev("user")], project_id=project))
    store.append(raw_batch([identify("user", "anon", T0 + timedelta(1))], project_id=1))
    assert overrides(store) == {pid("anon", 1): pid("user", 1)}
    ctx = QueryContext(project_id=2, timezone=ZoneInfo("UTC"), dialect=dialect(store.dialect))
    query = event_rows(ctx, None).select(exp.alias_(person_id(ctx), "resolved"))
    found = sorted(r["resolved"] for r in Runner(store, ctx).execute(query).to_pylist())
    assert found == sorted([pid("anon", 2), pid("user", 2)])


def test_bad_and_huge_property_values(store: EventStore) -> None:
    deep: Any = "bottom"
    for _ in range(60):
        deep = {"d": deep}
    props = {
        "huge": "x" * 300_000,
        "deep": deep,
        "quote'\"key": "v",
        "$current_url": "https://x.test/" + "p" * 10_000,
        "nul": "a\x00b",
        "emoji": "😀\u2028",
    }
    store.append(raw_batch([ev("a", properties=props)]))
    d = dialect(store.dialect)
    column = exp.column("properties")
    select = exp.select(
        *(exp.alias_(d.json_string(column, key), f"v{i}") for i, key in enumerate(props))
    ).from_("events")
    found = store.query(select.sql(dialect=d.name)).to_pylist()[0]
    expected = [v if isinstance(v, str) else orjson.dumps(v).decode() for v in props.values()]
    assert list(found.values()) == expected
    assert rows(store, "SELECT length(pathname) AS n FROM events") == [{"n": 10_001}]
