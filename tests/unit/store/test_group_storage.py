"""Group types and group properties: the pure extraction and planning, then both stores."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from heron.store.base import EventStore
from heron.store.groups import (
    MAX_GROUP_TYPES,
    GroupRow,
    GroupSet,
    assign_types,
    extract,
    merge_groups,
)
from tests.support.events import raw_batch

T0 = datetime(2025, 1, 1)
_NAMES = st.sampled_from(["company", "team", "org", '$weird "type"', "a}b", "", "x" * 101])
_KEYS = st.one_of(
    st.sampled_from(["acme", "", 'k"ey', "{", 7, 0, True, None, 1.5, ["a"]]), st.text(max_size=5)
)
_OTHER = st.dictionaries(
    st.sampled_from(["plan", "$set", "note"]),
    st.one_of(st.text(max_size=4), st.integers(-9, 9), st.just({"$groups": "not me"})),
    max_size=2,
)


def _valid(groups: dict[str, Any]) -> list[str]:
    return [
        name
        for name, key in groups.items()
        if 0 < len(name) <= 100
        and not isinstance(key, bool)
        and (isinstance(key, int) or (isinstance(key, str) and 0 < len(key) <= 400))
    ]


@settings(deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(1, 2),
            st.integers(0, 50),
            st.dictionaries(_NAMES, _KEYS, max_size=3),
            _OTHER,
            st.booleans(),
        ),
        max_size=12,
    )
)
def test_extract_finds_the_types_a_json_parse_would(rows: list[tuple[Any, ...]]) -> None:
    """The vectorised scan agrees with decoding every event, in first-appearance order."""
    batch_rows = []
    for project_id, minute, groups, other, spaced in rows:
        props = {**other, "$groups": groups}
        text = orjson.dumps(props).decode()
        if spaced:
            text = text.replace('"$groups":', '"$groups" :  ')
        batch_rows.append((project_id, T0 + timedelta(minutes=minute), text))
    batch = raw_batch(
        {"event": "e", "distinct_id": "d", "timestamp": ts, "project_id": p, "properties": {}}
        for p, ts, _ in batch_rows
    )
    batch = batch.set_column(
        batch.schema.get_field_index("properties"), "properties", [[t for *_, t in batch_rows]]
    )
    expected: dict[int, list[str]] = {}
    ordered = sorted(enumerate(batch_rows), key=lambda item: (item[1][1], item[0]))
    firsts: dict[tuple[int, str], datetime] = {}
    for _, (project_id, ts, text) in ordered:
        for name in _valid(orjson.loads(text)["$groups"]):
            firsts.setdefault((project_id, name), ts)
    for (project_id, name), _ in sorted(firsts.items(), key=lambda item: item[1]):
        expected.setdefault(project_id, []).append(name)
    found = extract(batch).types
    assert {p: sorted(n) for p, n in found.items()} == {p: sorted(n) for p, n in expected.items()}
    for project_id, names in found.items():
        stamps = [firsts[(project_id, n)] for n in names]
        assert stamps == sorted(stamps), "types are numbered in order of first appearance"


def test_assign_types_fills_free_indices_up_to_the_limit() -> None:
    assert assign_types({}, ["a", "b", "a"]) == {"a": 0, "b": 1}
    assert assign_types({"a": 0, "c": 2}, ["b", "a", "d", "e", "f"]) == {"b": 1, "d": 3, "e": 4}
    full = {f"t{i}": i for i in range(MAX_GROUP_TYPES)}
    assert assign_types(full, ["new"]) == {}


def test_merge_overwrites_in_order_and_keeps_the_first_creation() -> None:
    stored = {("company", "acme"): GroupRow({"name": "Old", "size": 1}, T0)}
    later = T0 + timedelta(days=1)
    sets = [
        GroupSet(1, "company", "acme", later, {"name": "Acme"}),
        GroupSet(1, "company", "acme", later, {"size": 2}),
        GroupSet(1, "company", "new", later, {"x": 1}),
        GroupSet(1, "sixth", "k", later, {"x": 1}),
    ]
    merged = merge_groups(stored, sets, ["company"])
    assert merged == {
        ("company", "acme"): GroupRow({"name": "Acme", "size": 2}, T0),
        ("company", "new"): GroupRow({"x": 1}, later),
    }


def _identify(group_type: str, key: Any, values: dict[str, Any], minute: int = 0) -> dict:
    return {
        "event": "$groupidentify",
        "distinct_id": "someone",
        "timestamp": T0 + timedelta(minutes=minute),
        "properties": {"$group_type": group_type, "$group_key": key, "$group_set": values},
    }


def _event(groups: dict[str, Any], minute: int = 0) -> dict:
    return {
        "event": "pageview",
        "distinct_id": "someone",
        "timestamp": T0 + timedelta(minutes=minute),
        "properties": {"$groups": groups},
    }


def _types(store: EventStore, project_id: int) -> list[tuple[str, int]]:
    rows = store.query(
        f"SELECT group_type, group_type_index FROM group_types WHERE project_id = {project_id} "
        "ORDER BY group_type_index"
    ).to_pylist()
    return [(r["group_type"], r["group_type_index"]) for r in rows]


def _groups(store: EventStore, project_id: int) -> dict[tuple[str, str], dict[str, Any]]:
    rows = store.query(
        f"SELECT group_type, group_key, properties FROM groups WHERE project_id = {project_id}"
    ).to_pylist()
    return {(r["group_type"], r["group_key"]): orjson.loads(r["properties"]) for r in rows}


def test_stores_register_types_and_merge_group_properties(store: EventStore) -> None:
    store.append(
        raw_batch(
            [
                _event({"team": "t1"}, minute=2),
                _event({"company": "acme", "team": "t1"}, minute=1),
                _identify("company", "acme", {"name": "Acme", "size": 3}, minute=3),
                _identify("company", 42, {"size": 1}, minute=3),
                _identify("company", "acme", {"size": 4}, minute=4),
            ]
        )
    )
    store.append(raw_batch([_identify("company", "acme", {"plan": "pro"}, minute=9)]))
    store.append(raw_batch([_identify("company", "acme", {"name": "Acme"}, minute=9)], 2))
    assert _types(store, 1) == [("company", 0), ("team", 1)]
    assert _groups(store, 1) == {
        ("company", "acme"): {"name": "Acme", "size": 4, "plan": "pro"},
        ("company", "42"): {"size": 1},
    }
    assert _types(store, 2) == [("company", 0)], "each project numbers its own types"
    assert _groups(store, 2) == {("company", "acme"): {"name": "Acme"}}


def test_stores_keep_at_most_five_types(store: EventStore) -> None:
    names = [f"type{i}" for i in range(MAX_GROUP_TYPES + 2)]
    store.append(raw_batch([_event({name: "k"}, minute=i) for i, name in enumerate(names[:3])]))
    store.append(raw_batch([_event({name: "k"}, minute=9) for name in names[3:]]))
    store.append(raw_batch([_identify(names[-1], "k", {"dropped": True})]))
    registered = _types(store, 1)
    assert registered[:3] == [("type0", 0), ("type1", 1), ("type2", 2)]
    assert len(registered) == MAX_GROUP_TYPES
    assert {name for name, _ in registered} < set(names)
    unregistered = set(names) - {name for name, _ in registered}
    assert not any(t in unregistered for t, _ in _groups(store, 1))
