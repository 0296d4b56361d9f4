"""Cohort membership against a plain-Python oracle, on randomized data with merged identities.

Three projects (two in non-UTC timezones) share one store, each with its own seeded
random events. Visitors (``a*``) are merged into users (``u*``) by ``$identify`` (except
in project 3, which has no merges at all); each merge is known by construction, so the
oracle resolves persons without the store.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heron.analysis.cohorts import CohortQuery, parse_definition, run_cohort
from heron.events import person_id_for
from heron.query.context import QueryContext
from heron.query.dialects import dialect
from heron.query.runner import Runner
from heron.store.base import EventStore
from tests.conftest import BACKENDS, make_store
from tests.support.events import raw_batch

NOW = datetime(2025, 6, 30, 15, 30)  # UTC
TIMEZONES = {1: "UTC", 2: "America/New_York", 3: "Asia/Tokyo"}
EVENTS = ["signup", "view", "buy"]
USERS = [f"u{i}" for i in range(4)]
VISITORS = [f"a{i}" for i in range(8)]


@dataclass
class Project:
    id: int
    tz: ZoneInfo
    events: list[dict[str, Any]] = field(default_factory=list)
    merged: dict[str, str] = field(default_factory=dict)
    props: dict[str, dict[str, Any]] = field(default_factory=dict)

    def person(self, distinct_id: str) -> str:
        return str(person_id_for(self.id, self.merged.get(distinct_id, distinct_id)))


def _project(project_id: int) -> Project:
    rng = random.Random(project_id)
    p = Project(project_id, ZoneInfo(TIMEZONES[project_id]))

    def at() -> datetime:
        return NOW - timedelta(seconds=rng.randint(0, 45 * 86400))

    for user in USERS:
        props = {"plan": rng.choice(["free", "pro", "team"]), "score": rng.randint(0, 100)}
        p.props[user] = props
        p.events.append(
            {
                "event": "$identify",
                "distinct_id": user,
                "timestamp": at(),
                "properties": {"$set": props},
            }
        )
    merge_rate = 0.0 if project_id == 3 else 0.5  # a project without merges, too
    for visitor in VISITORS:
        if rng.random() < merge_rate:
            user = rng.choice(USERS)
            p.merged[visitor] = user
            p.events.append(
                {
                    "event": "$identify",
                    "distinct_id": user,
                    "timestamp": at(),
                    "properties": {"$anon_distinct_id": visitor},
                }
            )
    for _ in range(60):
        p.events.append(
            {
                "event": rng.choice(EVENTS),
                "distinct_id": rng.choice(USERS + VISITORS),
                "timestamp": at(),
                "properties": {"amount": rng.randint(1, 50)},
            }
        )
    for i, row in enumerate(p.events):
        row["project_id"] = project_id
        row["uuid"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{project_id}/{i}"))
    return p


PROJECTS = {pid: _project(pid) for pid in TIMEZONES}


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EventStore]:
    s = make_store(request.param, tmp_path_factory.mktemp("cohorts"))
    s.append(raw_batch([row for p in PROJECTS.values() for row in p.events]))
    try:
        yield s
    finally:
        s.close()


# -- the oracle -----------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(text: str | None) -> float | None:
    try:
        return None if text is None else float(text)
    except ValueError:
        return None


def _matches(props: dict[str, Any], f: dict[str, Any]) -> bool:
    text, op, value = _text(props.get(f["property"])), f["operator"], f.get("value")
    if op == "is_set":
        return text is not None
    if op == "is_not_set":
        return text is None
    if op == "in":
        return text is not None and text in [_text(v) for v in value]
    if op in ("gt", "lte"):
        number = _number(text)
        return number is not None and (number > value if op == "gt" else number <= value)
    if op == "neq":
        return text is None or text != _text(value)
    return text is not None and text == _text(value)


def _local_start(p: Project, day: date) -> datetime:
    local = datetime.combine(day, time()).replace(tzinfo=p.tz)
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def _window(p: Project, days: int) -> tuple[datetime, datetime]:
    today = NOW.replace(tzinfo=ZoneInfo("UTC")).astimezone(p.tz).date()
    return _local_start(p, today - timedelta(days=days)), _local_start(p, today + timedelta(days=1))


def oracle(p: Project, d: dict[str, Any]) -> set[str]:
    persons: dict[str, list[dict[str, Any]]] = {}
    for row in p.events:
        persons.setdefault(p.person(row["distinct_id"]), []).append(row)
    everyone = set(persons)

    def count(person: str, event: str, days: int) -> int:
        lo, hi = _window(p, days)
        return sum(1 for r in persons[person] if r["event"] == event and lo <= r["timestamp"] < hi)

    if "and" in d:
        return set.intersection(*(oracle(p, part) for part in d["and"]))
    if "or" in d:
        return set.union(*(oracle(p, part) for part in d["or"]))
    if "not" in d:
        return everyone - oracle(p, d["not"])
    if "distinct_ids" in d:
        seen = {row["distinct_id"] for row in p.events}
        return {p.person(i) for i in d["distinct_ids"] if i in seen}
    if "properties" in d:
        props = {p.person(user): values for user, values in p.props.items()}
        return {x for x in everyone if all(_matches(props.get(x, {}), f) for f in d["properties"])}
    if "did" in d:
        return {
            x
            for x in everyone
            if count(x, d["did"], d["days"]) > 0 and count(x, d["not_did"], d["days"]) == 0
        }
    if "first_seen" in d:
        lo = _local_start(p, date.fromisoformat(d["first_seen"]["date_from"]))
        hi = _local_start(p, date.fromisoformat(d["first_seen"]["date_to"]) + timedelta(days=1))
        found = set()
        for x, rows in persons.items():
            stamps = [r["timestamp"] for r in rows if d.get("event") in (None, r["event"])]
            if stamps and lo <= min(stamps) < hi:
                found.add(x)
        return found
    compare = {"gte": int.__ge__, "lte": int.__le__, "eq": int.__eq__}[d["operator"]]
    return {x for x in everyone if compare(count(x, d["event"], d["days"]), d["count"])}


# -- random definitions ---------------------------------------------------------------------

FILTERS = st.one_of(
    st.builds(
        lambda op, v: {"property": "plan", "operator": op, "value": v},
        st.sampled_from(["eq", "neq"]),
        st.sampled_from(["free", "pro", "team"]),
    ),
    st.builds(
        lambda op, v: {"property": "score", "operator": op, "value": v},
        st.sampled_from(["gt", "lte"]),
        st.integers(0, 100),
    ),
    st.builds(
        lambda op: {"property": "plan", "operator": op},
        st.sampled_from(["is_set", "is_not_set"]),
    ),
    st.builds(
        lambda v: {"property": "plan", "operator": "in", "value": v},
        st.lists(st.sampled_from(["free", "pro", "team"]), min_size=1, max_size=2),
    ),
)
DAYS = st.integers(1, 40)
LEAVES = st.one_of(
    st.builds(
        lambda ids: {"distinct_ids": ids},
        st.lists(st.sampled_from([*USERS, *VISITORS, "ghost"]), min_size=1, max_size=5),
    ),
    st.builds(lambda fs: {"properties": fs}, st.lists(FILTERS, min_size=1, max_size=2)),
    st.builds(
        lambda e, op, n, days: {"event": e, "operator": op, "count": n, "days": days},
        st.sampled_from(EVENTS),
        st.sampled_from(["gte", "lte", "eq"]),
        st.integers(0, 4),
        DAYS,
    ),
    st.builds(
        lambda a, b, days: {"did": a, "not_did": b, "days": days},
        st.sampled_from(EVENTS),
        st.sampled_from(EVENTS),
        DAYS,
    ),
    st.builds(
        lambda back, span, event: {
            "first_seen": {
                "date_from": (NOW.date() - timedelta(days=back)).isoformat(),
                "date_to": (NOW.date() - timedelta(days=back) + timedelta(days=span)).isoformat(),
            },
            **({"event": event} if event else {}),
        },
        st.integers(0, 45),
        st.integers(0, 20),
        st.sampled_from([None, *EVENTS]),
    ),
)
DEFINITIONS = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"and": xs}),
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"or": xs}),
        inner.map(lambda x: {"not": x}),
    ),
    max_leaves=4,
)


def members(store: EventStore, p: Project, definition: dict[str, Any]) -> dict[str, Any]:
    ctx = QueryContext(p.id, p.tz, dialect(store.dialect), now=NOW.replace(tzinfo=ZoneInfo("UTC")))
    spec = CohortQuery(definition=parse_definition(definition), limit=10_000)
    return run_cohort(spec, Runner(store, ctx))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(project=st.sampled_from(sorted(PROJECTS)), definition=DEFINITIONS)
def test_membership_matches_the_oracle(
    loaded: EventStore, project: int, definition: dict[str, Any]
) -> None:
    p = PROJECTS[project]
    expected = oracle(p, definition)
    result = members(loaded, p, definition)
    assert result["count"] == len(expected), definition
    assert [x["person_id"] for x in result["persons"]] == sorted(expected), definition


def test_persons_carry_their_properties(loaded: EventStore) -> None:
    p = PROJECTS[2]
    result = members(loaded, p, {"distinct_ids": USERS})
    expected = {p.person(u): p.props[u] for u in USERS}
    assert {x["person_id"]: x["properties"] for x in result["persons"]} == expected


def test_the_oracle_data_has_merges_and_every_kind_of_member() -> None:
    assert PROJECTS[1].merged and PROJECTS[2].merged and not PROJECTS[3].merged
    for p in PROJECTS.values():
        assert oracle(p, {"event": "buy", "operator": "gte", "count": 1, "days": 7})
        assert oracle(p, {"not": {"event": "buy", "operator": "gte", "count": 1, "days": 7}})
