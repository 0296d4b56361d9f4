"""``import_file``: JSONL, CSV and Parquet files end to end into a real DuckDB store."""

from __future__ import annotations

import csv
import gzip
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from heron.ingest.enrich import Sessionizer
from heron.ingest.importer import KEPT_REJECTIONS, ImportReport, Rejection, import_file
from heron.ingest.parse import Limits
from heron.store.duckdb import DuckDBStore

FORMATS = ["jsonl", "csv", "parquet"]
CANONICAL = ["uuid", "event", "distinct_id", "timestamp", "properties"]
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
GIVEN_UUID = "8a0c3e58-1c6c-4d6f-9d43-55e0a7f1c001"
ROWS: list[dict[str, Any]] = [
    {
        "uuid": GIVEN_UUID,
        "event": "pageview",
        "distinct_id": "alice",
        "timestamp": "2025-03-01T10:00:00Z",
        "properties": {"$current_url": "https://x.io/a?utm_source=news", "plan": "pro"},
    },
    {
        "event": "pageview",
        "distinct_id": "alice",
        "timestamp": "2025-03-01T10:10:00.250000Z",
        "properties": {"$current_url": "https://x.io/b"},
    },
    {"event": "signup", "distinct_id": "alice", "timestamp": "2025-03-01T11:00:00Z"},
    {
        "event": "pageview",
        "distinct_id": "bob",
        "timestamp": "2025-03-01T10:05:00Z",
        "properties": {"$session_id": "client-session", "$user_agent": CHROME},
    },
    {
        "event": "$identify",
        "distinct_id": "bob@x.io",
        "timestamp": "2025-03-01T10:06:00Z",
        "properties": {"$anon_distinct_id": "bob", "$set": {"email": "bob@x.io"}},
    },
]


def write(path: Path, rows: list[dict[str, Any]], fmt: str) -> Path:
    """Rows as a file of the format; ``properties`` are JSON text in CSV and Parquet."""
    if fmt == "jsonl":
        path.write_bytes(b"".join(orjson.dumps(row) + b"\n" for row in rows))
        return path
    flat = [
        {
            name: orjson.dumps(row[name]).decode()
            if name == "properties" and name in row
            else row.get(name)
            for name in CANONICAL
        }
        for row in rows
    ]
    if fmt == "csv":
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, CANONICAL)
            writer.writeheader()
            writer.writerows(flat)
    else:
        schema = pa.schema([(name, pa.string()) for name in CANONICAL])
        pq.write_table(pa.Table.from_pylist(flat, schema=schema), path)
    return path


def stored(store: DuckDBStore) -> list[dict[str, Any]]:
    return store.query(
        "SELECT uuid::VARCHAR AS uuid, event, distinct_id, epoch_us(timestamp) AS ts, "
        "properties, session_id, browser FROM events ORDER BY timestamp, event"
    ).to_pylist()


def micros(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1_000_000)


@pytest.fixture
def store(tmp_path: Path) -> DuckDBStore:
    events = DuckDBStore(tmp_path / "events.duckdb")
    yield events
    events.close()


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip(tmp_path: Path, store: DuckDBStore, fmt: str) -> None:
    path = write(tmp_path / f"events.{fmt}", ROWS, fmt)
    report = import_file(path, 1, store)
    assert (report.rows_read, report.imported, report.duplicates, report.rejected) == (5, 5, 0, 0)
    rows = stored(store)
    assert [(r["event"], r["distinct_id"], r["ts"]) for r in rows] == sorted(
        [(r["event"], r["distinct_id"], micros(r["timestamp"])) for r in ROWS],
        key=lambda item: (item[2], item[0]),
    )
    by_ts = {r["ts"]: r for r in rows}
    first, second, signup = (by_ts[micros(ROWS[i]["timestamp"])] for i in range(3))
    assert first["uuid"] == GIVEN_UUID
    assert orjson.loads(first["properties"]) == ROWS[0]["properties"]
    assert first["session_id"] == second["session_id"] != signup["session_id"]
    bob = by_ts[micros(ROWS[3]["timestamp"])]
    assert (bob["session_id"], bob["browser"]) == ("client-session", "Chrome")
    persons = store.query("SELECT properties FROM persons").to_pylist()
    assert [orjson.loads(p["properties"]) for p in persons] == [{"email": "bob@x.io"}]
    assert store.query("SELECT count(*) AS n FROM person_overrides").to_pylist() == [{"n": 1}]


@pytest.mark.parametrize("fmt", FORMATS)
def test_rejected_rows_are_reported_and_the_rest_lands(
    tmp_path: Path, store: DuckDBStore, fmt: str
) -> None:
    bad = [
        {**ROWS[1], "event": ""},
        {**ROWS[1], "timestamp": "yesterday"},
        {**ROWS[1], "uuid": "not-a-uuid"},
        {**ROWS[1], "timestamp": "1999-12-31T00:00:00Z"},
        {**ROWS[1], "properties": ["a list"]},
    ]
    path = write(tmp_path / f"events.{fmt}", [ROWS[0], *bad, ROWS[2]], fmt)
    report = import_file(path, 1, store)
    assert (report.rows_read, report.imported, report.rejected) == (7, 2, 5)
    assert report.rejections == [
        Rejection(2, "event", "required: a non-empty string"),
        Rejection(3, "timestamp", "must be ISO-8601 or epoch seconds/milliseconds"),
        Rejection(4, "uuid", "must be a UUID string"),
        Rejection(5, "timestamp", "before the oldest accepted date (2000-01-01)"),
        Rejection(6, "properties", "must be a JSON object"),
    ]
    assert str(report.rejections[0]) == "row 2: event: required: a non-empty string"
    assert [r["event"] for r in stored(store)] == ["pageview", "signup"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_importing_again_adds_nothing(tmp_path: Path, store: DuckDBStore, fmt: str) -> None:
    path = write(tmp_path / f"events.{fmt}", ROWS, fmt)
    first = import_file(path, 1, store, batch_size=2)
    again = import_file(path, 1, store, batch_size=3)
    assert (first.imported, again.imported, again.duplicates) == (5, 0, 5)
    assert len(stored(store)) == 5


@pytest.mark.parametrize("fmt", FORMATS)
def test_progress_reaches_the_file_size(tmp_path: Path, store: DuckDBStore, fmt: str) -> None:
    path = write(tmp_path / f"events.{fmt}", ROWS * 3, fmt)
    seen: list[int] = []
    import_file(path, 1, store, batch_size=4, progress=seen.append)
    assert len(seen) == 4
    assert seen == sorted(seen)
    assert seen[-1] == path.stat().st_size


def test_gzip_jsonl(tmp_path: Path, store: DuckDBStore) -> None:
    path = tmp_path / "events.jsonl.gz"
    path.write_bytes(gzip.compress(b"".join(orjson.dumps(row) + b"\n" for row in ROWS)))
    assert import_file(path, 1, store).imported == 5


def test_csv_extra_columns_become_properties(tmp_path: Path, store: DuckDBStore) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "event,distinct_id,timestamp,plan,seats,properties\n"
        'signup,u1,2025-03-01T10:00:00Z,pro,3,"{""plan"": ""free"", ""source"": ""ad""}"\n'
        "signup,u2,2025-03-01T10:00:01Z,,,\n"
        "signup,u3,1740823202,team,,\n"
    )
    report = import_file(path, 1, store)
    assert report.imported == 3
    props = [orjson.loads(r["properties"]) for r in stored(store)]
    assert props == [{"plan": "pro", "source": "ad", "seats": "3"}, {}, {"plan": "team"}]


def test_parquet_with_typed_columns(tmp_path: Path, store: DuckDBStore) -> None:
    table = pa.table(
        {
            "event": ["purchase", "purchase"],
            "distinct_id": pa.array([42, 43], pa.int64()),
            "timestamp": pa.array(
                [datetime(2025, 3, 1, 10, tzinfo=UTC), datetime(2025, 3, 1, 11, tzinfo=UTC)],
                pa.timestamp("ms", "UTC"),
            ),
            "properties": pa.array([{"amount": 9.5, "items": ["a", "b"]}, None]),
            "coupon": [None, "SPRING"],
        }
    )
    pq.write_table(table, tmp_path / "events.parquet")
    report = import_file(tmp_path / "events.parquet", 1, store)
    assert report.imported == 2
    rows = stored(store)
    assert [r["distinct_id"] for r in rows] == ["42", "43"]
    assert rows[0]["ts"] == micros("2025-03-01T10:00:00+00:00")
    assert orjson.loads(rows[0]["properties"]) == {"amount": 9.5, "items": ["a", "b"]}
    assert orjson.loads(rows[1]["properties"]) == {"coupon": "SPRING"}


def test_bad_utf8_and_bad_json_lines_are_rejected(tmp_path: Path, store: DuckDBStore) -> None:
    good = orjson.dumps(ROWS[1])
    path = tmp_path / "events.jsonl"
    path.write_bytes(good + b"\n" + good.replace(b"alice", b"al\xffce") + b"\n\n{nope\n" + good)
    report = import_file(path, 1, store)
    assert (report.rows_read, report.imported, report.duplicates) == (4, 1, 1)
    assert report.rejections == [
        Rejection(2, "", "not valid UTF-8"),
        Rejection(4, "", "not valid JSON"),
    ]
    assert str(report.rejections[1]) == "row 4: not valid JSON"


def test_huge_lines(tmp_path: Path, store: DuckDBStore) -> None:
    limits = Limits(max_event_bytes=1000)
    big = {**ROWS[1], "properties": {"blob": "x" * 2000}}
    huge = {**ROWS[1], "properties": {"blob": "x" * 50_000}}
    path = write(tmp_path / "events.jsonl", [big, huge, ROWS[2]], "jsonl")
    report = import_file(path, 1, store, limits=limits)
    assert report.imported == 1
    assert report.rejections == [
        Rejection(1, "properties", "larger than 1000 bytes"),
        Rejection(2, "", "line longer than 4000 bytes"),
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_files(tmp_path: Path, store: DuckDBStore, fmt: str) -> None:
    path = tmp_path / f"events.{fmt}"
    path.write_bytes(b"")
    assert import_file(path, 1, store) == ImportReport()
    if fmt == "csv":
        path.write_text(",".join(CANONICAL) + "\n")
        assert import_file(path, 1, store) == ImportReport()


def test_sent_at_does_not_shift_imported_timestamps(tmp_path: Path, store: DuckDBStore) -> None:
    row = {**ROWS[2], "sent_at": "2025-03-02T00:00:00Z"}
    import_file(write(tmp_path / "events.jsonl", [row], "jsonl"), 1, store)
    assert stored(store)[0]["ts"] == micros(ROWS[2]["timestamp"])


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_sessions_follow_the_timeout_across_chunks(
    tmp_path: Path, store: DuckDBStore, fmt: str
) -> None:
    rng = random.Random(5)
    start = micros("2025-03-01T00:00:00+00:00")
    stamps = sorted(start + rng.randrange(0, 6 * 3600) * 1_000_000 for _ in range(60))
    rows = [
        {"event": "tick", "distinct_id": f"u{i % 3}", "timestamp": ts / 1e6}
        for i, ts in enumerate(stamps)
    ]
    path = tmp_path / f"events.{fmt}"
    if fmt == "jsonl":
        write(path, rows, fmt)
    else:
        pq.write_table(pa.Table.from_pylist(rows), path)
    import_file(path, 1, store, batch_size=7)
    reference = Sessionizer()
    expected = {
        (r["distinct_id"], round(r["timestamp"] * 1e6)): reference.session_for(
            1, r["distinct_id"], round(r["timestamp"] * 1e6)
        )
        for r in rows
    }
    assert {(r["distinct_id"], r["ts"]): r["session_id"] for r in stored(store)} == expected
    assert len(set(expected.values())) > 3


def test_the_report_keeps_the_first_rejections_and_counts_all(
    tmp_path: Path, store: DuckDBStore
) -> None:
    rows = [{**ROWS[1], "event": ""}] * 30 + [{**ROWS[1], "timestamp": "?"}] * 5
    report = import_file(write(tmp_path / "events.csv", rows, "csv"), 1, store)
    assert report.rejected == 35
    assert [r.row for r in report.rejections] == list(range(1, KEPT_REJECTIONS + 1))
    assert report.as_dict()["reasons"] == [
        {"field": "event", "message": "required: a non-empty string", "count": 30},
        {
            "field": "timestamp",
            "message": "must be ISO-8601 or epoch seconds/milliseconds",
            "count": 5,
        },
    ]


def test_sessions_for_matches_session_for_event_by_event() -> None:
    minute = 60_000_000
    for seed in range(40):
        rng = random.Random(seed)
        bulk, single = Sessionizer(), Sessionizer()
        for _ in range(3):
            n = rng.randint(1, 40)
            ids = [f"u{rng.randint(0, 4)}" for _ in range(n)]
            stamps = [rng.randint(0, 400) * minute // rng.choice([1, 7]) for _ in range(n)]
            got = bulk.sessions_for(1, pa.array(ids), np.array(stamps)).to_pylist()
            expected: list[str | None] = [None] * n
            for i in sorted(range(n), key=lambda i: (ids[i], stamps[i])):
                expected[i] = single.session_for(1, ids[i], stamps[i])
            assert got == expected


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_memory_stays_bounded(tmp_path: Path, store: DuckDBStore) -> None:
    import tracemalloc

    n = 2_000_000
    rng = np.random.default_rng(3)
    users = pa.array(rng.integers(0, 20_000, n)).cast(pa.string())
    stamps = np.sort(micros("2025-01-01T00:00:00+00:00") + rng.integers(0, 7_200 * 10**6, n))
    table = pa.table(
        {
            "event": pa.array(np.array(["pageview", "click"])[rng.integers(0, 2, n)]),
            "distinct_id": users,
            "timestamp": pa.array(stamps, pa.timestamp("us")).cast(pa.string()),
            "properties": pa.array(['{"$current_url": "https://x.io/p", "plan": "pro"}'] * n),
        }
    )
    path = tmp_path / "events.csv"
    pa_csv.write_csv(table, path)
    del table, users, stamps
    import_file(write(tmp_path / "warm-up.csv", ROWS, "csv"), 1, store)  # lazy imports
    tracemalloc.start()
    try:
        report = import_file(path, 1, store)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.imported == n
    assert peak < path.stat().st_size / 3, "Python memory must not grow with the file"
