"""Building and encoding events."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from heron_sdk._events import LIB, EventFactory, encode_event, iso_timestamp


def test_an_event_has_its_own_uuid_a_timestamp_and_the_library():
    factory = EventFactory()
    first = factory.event("u1", "signup", {"plan": "pro"})
    second = factory.event("u1", "signup")
    assert first["uuid"] != second["uuid"]
    uuid.UUID(first["uuid"])
    assert first["properties"] == {"plan": "pro", "$lib": LIB, "$lib_version": "0.1.0"}
    stamp = datetime.fromisoformat(first["timestamp"])
    assert abs(stamp - datetime.now(UTC)) < timedelta(seconds=5)


def test_a_given_uuid_and_timestamp_are_kept():
    given = uuid.uuid4()
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    event = EventFactory().event("u1", "x", uuid=given, timestamp=when)
    assert event["uuid"] == str(given)
    assert event["timestamp"] == "2026-01-02T01:04:05.000000+00:00"


def test_a_naive_timestamp_is_local_time():
    naive = datetime(2026, 1, 2, 3, 4, 5)
    assert iso_timestamp(naive) == iso_timestamp(naive.astimezone())


@pytest.mark.parametrize("bad", ["", None, "x" * 201])
def test_names_are_checked(bad):
    with pytest.raises(ValueError, match="distinct_id"):
        EventFactory().event(bad, "x")
    with pytest.raises(ValueError, match="event"):
        EventFactory().event("u1", bad)


def test_an_integer_distinct_id_becomes_text():
    assert EventFactory().event(42, "x")["distinct_id"] == "42"  # type: ignore[arg-type]


def test_remembered_groups_are_added_and_explicit_ones_win():
    factory = EventFactory()
    factory.remember_group("u1", "company", "acme")
    factory.remember_group("u1", "team", "red")
    event = factory.event("u1", "x", {"$groups": {"team": "blue"}}, groups={"region": "eu"})
    assert event["properties"]["$groups"] == {"company": "acme", "team": "blue", "region": "eu"}
    assert "$groups" not in factory.event("u2", "x")["properties"]


def test_group_memory_is_bounded_least_recently_used_first():
    factory = EventFactory(max_remembered=2)
    factory.remember_group("a", "company", "1")
    factory.remember_group("b", "company", "2")
    factory.groups_of("a")
    factory.remember_group("c", "company", "3")
    assert factory.groups_of("b") == {}
    assert factory.groups_of("a") == {"company": "1"}


@dataclass
class Point:
    x: float


def test_unusual_values_are_encoded_and_non_finite_floats_become_null():
    event = {
        "when": datetime(2026, 1, 1, tzinfo=UTC),
        "id": uuid.UUID(int=1),
        "price": Decimal("9.5"),
        "tags": {"a"},
        "pair": (1, 2),
        "point": Point(float("nan")),
        "inf": float("inf"),
        "other": object,
    }
    decoded = json.loads(encode_event(event))
    assert decoded["when"] == "2026-01-01T00:00:00.000000+00:00"
    assert decoded["id"] == str(uuid.UUID(int=1))
    assert (decoded["price"], decoded["tags"], decoded["pair"]) == (9.5, ["a"], [1, 2])
    assert (decoded["point"], decoded["inf"]) == ({"x": None}, None)
    assert decoded["other"] == "<class 'object'>"
