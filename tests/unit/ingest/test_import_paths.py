"""The vectorised import path (Parquet) and the per-row path (JSONL) store the same rows.

The same generated events go through both into fresh stores: every stored event,
person and merge, and the report (rejections with their reasons, duplicates), must
agree — with invalid rows, repeated uuids and identity events mixed in.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heron.ingest.importer import ImportReport, import_file
from heron.store.duckdb import DuckDBStore

START = 1_735_689_600  # 2025-01-01, epoch seconds
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
UUIDS = [
    "8a0c3e58-1c6c-4d6f-9d43-55e0a7f1c001",
    "8A0C3E58-1C6C-4D6F-9D43-55E0A7F1C002",
    "8a0c3e58-1c6c-4d6f-9d43-55e0a7f1c003",
]
DISTINCT_IDS = st.sampled_from(["user-1", "user-2", "anon-1", "anon-2"])
SCHEMA = pa.schema(
    [
        ("uuid", pa.string()),
        ("event", pa.string()),
        ("distinct_id", pa.string()),
        ("timestamp", pa.int64()),
        ("properties", pa.string()),
    ]
)

person_values = st.dictionaries(
    st.sampled_from(["plan", "email", "seats"]),
    st.one_of(st.sampled_from(["free", "pro", "a@x.io"]), st.integers(0, 9)),
    max_size=2,
)
properties = st.fixed_dictionaries(
    {},
    optional={
        "$session_id": st.sampled_from(["s-1", "s-2", ""]),
        "$anon_distinct_id": DISTINCT_IDS,
        "alias": DISTINCT_IDS,
        "$set": person_values,
        "$set_once": person_values,
        "$current_url": st.sampled_from(
            ["https://x.io/a?utm_source=news&utm_medium=mail", "https://y.io/b/c", "/rel"]
        ),
        "$referrer": st.sampled_from(["https://www.Google.com/search", ""]),
        "$user_agent": st.just(CHROME),
        "$groups": st.fixed_dictionaries({"company": st.sampled_from(["acme", "initech"])}),
        "amount": st.integers(-5, 5),
    },
)
BROKEN = {
    "event": st.sampled_from(["", None]),
    "distinct_id": st.sampled_from(["", "x" * 201]),
    "timestamp": st.just(4_102_444_800),  # 2100: too far in the future
    "properties": st.just([1]),  # not an object
    "uuid": st.just("not-a-uuid"),
}


STAMPS = st.one_of(  # three hours of traffic (sessions split on 30 idle minutes)
    st.integers(START, START + 3 * 3600),
    st.integers(START * 1000, (START + 3 * 3600) * 1000),  # milliseconds
)
NAMES = st.sampled_from(["pageview", "signup", "$identify", "$create_alias"])


@st.composite
def event_rows(draw: st.DrawFn) -> dict[str, Any]:
    """A valid event, or (one time in three) one with a field broken."""
    row: dict[str, Any] = draw(
        st.fixed_dictionaries(
            {
                "uuid": st.one_of(st.none(), st.sampled_from(UUIDS)),
                "event": NAMES,
                "distinct_id": DISTINCT_IDS,
                "timestamp": STAMPS,
                "properties": properties,
            }
        )
    )
    broken = draw(st.sampled_from([None, None, *BROKEN]))
    if broken is not None:
        row[broken] = draw(BROKEN[broken])
    return row


@st.composite
def files(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Events, plus repeats of some of them (same uuid, other time and name) anywhere."""
    events = draw(st.lists(event_rows(), max_size=30))
    for _ in range(draw(st.integers(0, 4)) if events else 0):
        original = draw(st.sampled_from(events))
        repeat = {
            **original,
            "uuid": original["uuid"] or UUIDS[0],
            "timestamp": draw(STAMPS),
            "event": draw(NAMES),
        }
        events.insert(draw(st.integers(0, len(events))), repeat)
    return events


def write_jsonl(path: Path, events: list[dict[str, Any]]) -> Path:
    lines = [{k: v for k, v in row.items() if v is not None} for row in events]
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    return path


def write_parquet(path: Path, events: list[dict[str, Any]]) -> Path:
    flat = [{**row, "properties": orjson.dumps(row["properties"]).decode()} for row in events]
    pq.write_table(pa.Table.from_pylist(flat, schema=SCHEMA), path)
    return path


def imported(path: Path, batch_size: int) -> tuple[ImportReport, dict[str, list[Any]]]:
    store = DuckDBStore(":memory:")
    try:
        report = import_file(path, 1, store, batch_size=batch_size)
        tables = {
            "events": "SELECT * EXCLUDE (inserted_at) FROM events ORDER BY uuid",
            "persons": "SELECT * EXCLUDE (updated_at) FROM persons ORDER BY person_id",
            "overrides": "SELECT * FROM person_overrides ORDER BY old_person_id",
            "groups": "SELECT project_id, group_type, group_type_index FROM group_types "
            "ORDER BY group_type",
        }
        return report, {name: store.query(sql).to_pylist() for name, sql in tables.items()}
    finally:
        store.close()


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=files(), batch_size=st.sampled_from([4, 1000]))
def test_parquet_and_jsonl_imports_store_the_same_rows(
    events: list[dict[str, Any]], batch_size: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        per_row, per_row_rows = imported(write_jsonl(Path(tmp) / "e.jsonl", events), batch_size)
        fast, fast_rows = imported(write_parquet(Path(tmp) / "e.parquet", events), batch_size)
    assert fast_rows == per_row_rows
    assert fast.as_dict() == per_row.as_dict()
