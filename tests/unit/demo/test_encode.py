"""Vectorised JSON and UUID encoding."""

from __future__ import annotations

import json
import uuid

import numpy as np
import pyarrow as pa

from heron.demo.encode import Cat, Const, Ident, Int, Text, join, objects, prefixed, uuid7


def test_properties_encode_to_json_objects_skipping_absent_values() -> None:
    codes = np.array([0, 1, -1])
    props = [
        Cat("plan", ("free", "pro"), codes),
        Int("amount", np.array([0, 999, -5]), np.array([True, True, False])),
        Ident("goal_id", "goal_", np.array([1, 2, 3])),
        Text("$current_url", pa.array(["https://a.example/x", None, "https://b.example/"])),
        Text("$set", pa.array(['{"plan":"pro"}', '{"a":1}', "{}"]), raw=True),
        Const("currency", "USD"),
    ]
    head = pa.array(['{"$lib":"web"'] * 3)
    rows = [json.loads(t) for t in join(head, [p.fragments() for p in props]).to_pylist()]
    assert rows[0] == {
        "$lib": "web",
        "plan": "free",
        "amount": 0,
        "goal_id": "goal_1",
        "$current_url": "https://a.example/x",
        "$set": {"plan": "pro"},
        "currency": "USD",
    }
    assert "$current_url" not in rows[1] and rows[1]["plan"] == "pro"
    assert "plan" not in rows[2] and "amount" not in rows[2]


def test_take_selects_rows_of_every_property() -> None:
    props = [Cat("k", ("a", "b"), np.array([0, 1])), Int("n", np.array([5, 6])), Const("c", 1)]
    picked = [p.take(np.array([1])).fragments() for p in props]
    (text,) = join(pa.array(["{"]), picked).to_pylist()
    assert json.loads(text.replace("{,", "{")) == {"k": "b", "n": 6, "c": 1}


def test_objects_build_nested_values() -> None:
    text = objects([Cat("country", ("US", "DE"), np.array([1, -1]))], 2).to_pylist()
    assert [json.loads(t) for t in text] == [{"country": "DE"}, {}]
    assert prefixed("user_", np.array([7])).to_pylist() == ["user_7"]


def test_uuid7_carries_the_millisecond_and_is_deterministic() -> None:
    ts = np.array([1_700_000_000_123_456, 0], dtype=np.int64)
    first = uuid7(ts, np.random.default_rng(3)).to_pylist()
    assert first == uuid7(ts, np.random.default_rng(3)).to_pylist()
    parsed = uuid.UUID(first[0])
    assert str(parsed) == first[0] and parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    assert int(first[0].replace("-", "")[:12], 16) == 1_700_000_000_123
