"""The vectorised import checks agree with ``parse_event`` on every row they accept."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heron.ingest.columnar import derived_uuid, prepare, row_objects
from heron.ingest.fastpath import FastPath
from heron.ingest.parse import FieldError, Limits, parse_event

NOW_US = int(dt.datetime(2026, 6, 1, tzinfo=dt.UTC).timestamp() * 1_000_000)
LIMITS = Limits()


@pytest.fixture(scope="module")
def fast() -> FastPath:
    path = FastPath(LIMITS, NOW_US)
    yield path
    path.close()


def verdicts(fast: FastPath, table: pa.Table) -> tuple[dict[int, dict[str, Any]], list[Any]]:
    """Rows the fast path passed (by position), and ``parse_event``'s verdict on every row."""
    prepared = prepare(table)
    passed, slow = fast.check(prepared)
    rows = {} if passed is None else {r["row"]: r for r in passed.to_pylist()}
    assert sorted([*rows, *slow.tolist()]) == list(range(table.num_rows))
    results = []
    for i, obj in enumerate(row_objects(prepared, np.arange(table.num_rows))):
        if isinstance(obj, tuple):
            results.append(FieldError(i, *obj))
        else:
            results.append(parse_event(obj, i, received_us=NOW_US, sent_at_us=None, limits=LIMITS))
    return rows, results


def assert_agrees(fast: FastPath, table: pa.Table) -> dict[int, dict[str, Any]]:
    rows, results = verdicts(fast, table)
    for i, row in rows.items():
        expected = results[i]
        assert not isinstance(expected, FieldError), (table.slice(i, 1).to_pylist(), expected)
        if expected.uuid is not None:
            assert row["uuid"] == expected.uuid
        assert (row["event"], row["distinct_id"], row["timestamp_us"]) == (
            expected.event,
            expected.distinct_id,
            expected.timestamp_us,
        )
        assert orjson.loads(row["properties"]) == expected.properties
    return rows


def events(n: int, **columns: Any) -> pa.Table:
    return pa.table({"event": ["signup"] * n, "distinct_id": ["u1"] * n, **columns})


TIMESTAMP_TEXTS = [
    "2025-01-01",
    "2025-01-01T10:00:00",
    "2025-01-01 10:00:00.123457",
    "2025-01-01T10:00:00Z",
    "2025-01-01T10:00:00.999999-01:30",
    "2025-01-01T10:00:00+0200",
    "2025-01-01T10:00",
    "2025-02-30",
    "2025-01-01T24:00:00",
    "2025-01-01T23:59:60",
    " 2025-01-01",
    "2025-01-01T10:00:00.1234567",
    "20250101T100000",
    "1999-12-31T23:59:59Z",
    "2099-01-01",
    "1735689600",
    "1735689600123",
    "1735689600.5",
    "-5",
    "99999999999",
    "100000000000",
    "nonsense",
    None,
]


def test_timestamp_texts(fast: FastPath) -> None:
    rows = assert_agrees(fast, events(len(TIMESTAMP_TEXTS), timestamp=TIMESTAMP_TEXTS))
    assert {0, 1, 2, 3, 4, 5, 15, 16, 17, 22} <= set(rows)


@pytest.mark.parametrize(
    "values",
    [
        pa.array([1735689600, 1735689600123, -5, 10**17, 99999999999, 100000000000]),
        pa.array([1735689600.5, 1735689600123.25, float("nan"), float("inf"), 1735689600.0000005]),
        pa.array([dt.datetime(2025, 1, 1, 10, 0, 0, 123457), dt.datetime(1999, 1, 1), None]),
        pa.array([dt.datetime(2025, 1, 1, 10, 0, 0, 123457)], pa.timestamp("ns", "Europe/Berlin")),
        pa.array([dt.date(2025, 1, 2), None]),
        pa.array([1735689600, None], pa.uint32()),
    ],
    ids=["ints", "floats", "naive-us", "zoned-ns", "dates", "uint32"],
)
def test_typed_timestamps(fast: FastPath, values: pa.Array) -> None:
    rows = assert_agrees(fast, events(len(values), timestamp=values))
    assert 0 in rows


def test_microsecond_rounding_is_that_of_parse_event(fast: FastPath) -> None:
    micros = np.random.default_rng(1).integers(946_684_800_000_000, NOW_US, 2000)
    table = events(len(micros), timestamp=pa.array(micros, pa.timestamp("us")))
    assert len(assert_agrees(fast, table)) == len(micros)


def test_uuid_spellings(fast: FastPath) -> None:
    canonical = "0f8fad5b-d9cb-469f-a165-70867728950e"
    spellings = [canonical, canonical.upper(), f"{{{canonical}}}", canonical.replace("-", "")]
    rows = assert_agrees(fast, events(6, uuid=[*spellings, "nope", ""]))
    assert {rows[0]["uuid"], rows[1]["uuid"]} == {canonical}


def test_uuid_bytes(fast: FastPath) -> None:
    raw = pa.array([b"\x0f" * 16, None], pa.binary(16))
    rows = assert_agrees(fast, events(2, uuid=raw))
    assert rows[0]["uuid"] == "0f0f0f0f-0f0f-0f0f-0f0f-0f0f0f0f0f0f"


PROPERTIES = [
    '{"a": 1, "b": "info", "c": [true, null, 1.5e10]}',
    '{"a":NaN}',
    '{"a": -Infinity}',
    '{"a":1,}',
    '{"a":1e400}',
    '{"a":"\\ud800"}',
    "[1]",
    '"x"',
    "nope",
    '{"$set": {"plan": "pro"}}',
    '{"$set": 1}',
    '{"a":' * 16 + "1" + "}" * 16,
    '{"a":' * 17 + "1" + "}" * 17,
    None,
    "{}",
    '\n{"b": 2}',
    '{"a": "' + "y" * (1024 * 1024) + '"}',
    '{"$session_id": "s1", "$user_agent": "curl/8.0"}',
    '{"$user_agent": 5}',
    '{"$set_once": [1]}',
    '{"$set_once": {"a": 1}, "$set": null}',
    '{"id": "0195aac-e271f3-12345678901234567890", "n": 1e5}',
    '{"a": [1, 2.5e400]}',
    '{"a": 123456789012345678901}',
]


def test_properties_texts(fast: FastPath) -> None:
    rows = assert_agrees(fast, events(len(PROPERTIES), properties=PROPERTIES))
    assert {0, 9, 11, 13, 14, 17, 20, 21} <= set(rows)
    assert not {1, 2, 3, 4, 5, 10, 19, 22, 23} & set(rows)


def test_names_lengths_and_utf8(fast: FastPath) -> None:
    names = ["e", "", None, "x" * 200, "x" * 201, "é" * 200]
    assert len(assert_agrees(fast, pa.table({"event": names, "distinct_id": names}))) == 3
    raw = pa.table({"event": pa.array([b"e", b"\xff"]), "distinct_id": [b"d", b"d"]})
    rows, results = verdicts(fast, raw)
    assert set(rows) == {0}
    assert results[1] == FieldError(1, "event", "not valid UTF-8")


def test_extra_columns_are_merged_into_properties(fast: FastPath) -> None:
    table = events(
        3,
        properties=['{"plan": "free", "k": 1}', None, "bad"],
        plan=["pro", None, "x"],
        seats=pa.array([3, None, 1]),
    )
    rows = assert_agrees(fast, table)
    assert orjson.loads(rows[0]["properties"]) == {"plan": "pro", "k": 1, "seats": 3}
    assert orjson.loads(rows[1]["properties"]) == {}
    assert 2 not in rows


def test_struct_and_map_properties(fast: FastPath) -> None:
    structs = pa.array([{"a": 1, "b": [1.5, None]}, None])
    maps = pa.array([[("a", 1)], None], pa.map_(pa.string(), pa.int64()))
    for properties in (structs, maps):
        assert len(assert_agrees(fast, events(2, properties=properties))) == 2


def test_person_properties_take_the_per_row_path(fast: FastPath) -> None:
    rows, results = verdicts(fast, events(2, person_properties=['{"email": "a@b.c"}', None]))
    assert set(rows) == {1}
    assert results[0].properties == {"$set": {"email": "a@b.c"}}


def test_client_session_and_user_agent_are_extracted(fast: FastPath) -> None:
    table = events(
        3,
        properties=[
            '{"$session_id": "s1", "$user_agent": "curl/8.0"}',
            '{"$session_id": "", "$user_agent": "", "$raw_user_agent": "Wget/1.0"}',
            '{"$browser": "Firefox", "$user_agent": "curl/8.0"}',
        ],
    )
    rows = assert_agrees(fast, table)
    assert [(rows[i]["session"], rows[i]["agent"]) for i in range(3)] == [
        ("s1", "curl/8.0"),
        (None, "Wget/1.0"),
        (None, None),
    ]


def test_derived_uuid_is_the_same_in_sql_and_python(fast: FastPath) -> None:
    table = events(2, timestamp=["2025-01-01T00:00:00Z", None], properties=['{"a":1}', "{}"])
    rows = assert_agrees(fast, table)
    assert rows[0]["uuid"] == derived_uuid("signup", "u1", 1735689600000000, '{"a":1}')
    assert rows[1]["uuid"] == derived_uuid("signup", "u1", None, "{}")


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=12,
)
stamps = st.one_of(
    st.datetimes(dt.datetime(1995, 1, 1), dt.datetime(2030, 1, 1)).map(lambda d: d.isoformat()),
    st.integers(900_000_000, 1_900_000_000_000).map(str),
    st.floats(9e8, 2e9).map(lambda f: f"{f:.6f}"),
    st.text(max_size=12),
    st.none(),
)
rows_strategy = st.lists(
    st.tuples(
        st.text(max_size=3),
        st.one_of(st.uuids().map(str), st.uuids().map(lambda u: str(u).upper()), st.none()),
        stamps,
        st.dictionaries(st.text(max_size=6), json_values, max_size=4).map(lambda d: json.dumps(d)),
    ),
    min_size=1,
    max_size=30,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(rows=rows_strategy)
def test_random_rows_agree(
    fast: FastPath, rows: list[tuple[str, str | None, str | None, str]]
) -> None:
    names, uuids, times, props = (list(column) for column in zip(*rows, strict=True))
    columns = {"event": names, "distinct_id": names, "uuid": uuids, "timestamp": times}
    table = pa.table(
        {**columns, "properties": props},
        schema=pa.schema([(name, pa.string()) for name in [*columns, "properties"]]),
    )
    assert_agrees(fast, table)
