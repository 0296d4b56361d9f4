"""The public generator: deterministic, schema-exact, sized, streaming, in range."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from heron.demo import PRODUCTS, SIZES, generate, planted, timezone_for, write_parquet
from heron.events import RAW_SCHEMA

Data = Callable[[str], Any]


def _bytes(tables: list[pa.Table]) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, RAW_SCHEMA) as writer:
        for table in tables:
            writer.write_table(table)
    return sink.getvalue().to_pybytes()


def test_products_sizes_and_timezones() -> None:
    assert PRODUCTS == ("coaching", "campaigns", "funding")
    assert SIZES == {"small": 10_000, "medium": 1_000_000, "large": 10_000_000}
    assert [timezone_for(p) for p in PRODUCTS] == ["America/New_York", "UTC", "Europe/Berlin"]
    with pytest.raises(ValueError, match="unknown product"):
        timezone_for("bakery")


@pytest.mark.parametrize("product", PRODUCTS)
def test_same_arguments_give_identical_bytes(product: str) -> None:
    first = _bytes(list(generate(product, 3_000, project_id=3, seed=5)))
    again = _bytes(list(generate(product, 3_000, project_id=3, seed=5)))
    other = _bytes(list(generate(product, 3_000, project_id=3, seed=6)))
    assert first == again
    assert first != other


def test_batching_only_splits_the_stream() -> None:
    big = pa.concat_tables(generate("coaching", 5_000, project_id=1, batch_rows=100_000))
    tables = list(generate("coaching", 5_000, project_id=1, batch_rows=700))
    assert all(t.num_rows <= 700 for t in tables)
    assert pa.concat_tables(tables).equals(big)


@pytest.mark.parametrize("product", PRODUCTS)
def test_schema_size_order_and_range(product: str, small: Data) -> None:
    table = small(product).table
    truth = small(product).truth
    assert table.schema.equals(RAW_SCHEMA, check_metadata=True)
    assert table.num_rows == pytest.approx(10_000, rel=0.05)
    tz = ZoneInfo(timezone_for(product))
    lo = dt.datetime.combine(truth.start, dt.time(), tzinfo=tz).astimezone(dt.UTC)
    hi = dt.datetime.combine(truth.end + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    stamps = table.column("timestamp")
    assert pc.min(stamps).as_py() >= lo.replace(tzinfo=None)
    assert pc.max(stamps).as_py() < hi.astimezone(dt.UTC).replace(tzinfo=None)
    assert pc.all(pc.equal(table.column("project_id"), 7)).as_py()
    assert pc.count_distinct(table.column("uuid")).as_py() == table.num_rows


@pytest.mark.parametrize("product", PRODUCTS)
def test_each_table_is_sorted_by_timestamp(product: str) -> None:
    for table in generate(product, 8_000, project_id=1, batch_rows=2_500):
        stamps = table.column("timestamp").to_numpy()
        assert (stamps[1:] >= stamps[:-1]).all()


@pytest.mark.parametrize("product", PRODUCTS)
def test_properties_are_json_objects_matching_columns(product: str, small: Data) -> None:
    table = small(product).table
    for row in table.to_pylist():
        props = json.loads(row["properties"])
        assert isinstance(props, dict)
        assert props.get("$session_id") == row["session_id"]
        assert props.get("$browser") == row["browser"]
        assert props.get("$os") == row["os"]
        assert props.get("$device_type") == row["device_type"]
        assert props["$lib"] in ("web", "ios", "android", "python")
        if "$current_url" in props:
            assert props["$current_url"].startswith("https://")
            assert props["$pathname"] in props["$current_url"]
        for key in ("$set", "$set_once"):
            assert isinstance(props.get(key, {}), dict)


@pytest.mark.parametrize("product", PRODUCTS)
def test_person_properties_and_geography(product: str, small: Data) -> None:
    con = duckdb.connect()
    con.register("signups", small(product).table.filter(pc.field("event") == "signup"))
    rows = con.sql(
        """
        select properties->>'$."$set".country' as country,
               properties->>'$."$set_once".signup_date' as signup_date
        from signups
        """
    ).fetchall()
    assert rows
    for country, signup_date in rows:
        assert len(country) == 2 and country.isupper()
        dt.date.fromisoformat(signup_date)


def test_uuids_are_canonical_v7(small: Data) -> None:
    for value in small("funding").table.column("uuid").to_pylist()[:500]:
        parsed = uuid.UUID(value)
        assert str(parsed) == value and parsed.version == 7


@pytest.mark.parametrize("n_events", [0, 1_500, 40_000])
def test_sizes_are_within_five_percent(n_events: int) -> None:
    rows = sum(t.num_rows for t in generate("campaigns", n_events, project_id=1))
    assert rows == pytest.approx(n_events, rel=0.05)


@pytest.mark.parametrize(("product", "change"), [("coaching", 2), ("funding", 26)])
def test_a_november_range_crosses_the_autumn_dst_change(product: str, change: int) -> None:
    truth = planted(product, 1_000, end=dt.date(2025, 11, 30))
    assert truth.dst_changes == (dt.date(2025, 11 if change == 2 else 10, change),)
    tables = list(generate(product, 2_000, project_id=1, end=dt.date(2025, 11, 30), days=60))
    assert sum(t.num_rows for t in tables) == pytest.approx(2_000, rel=0.05)


def test_invalid_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        generate("coaching", -1, project_id=1)
    with pytest.raises(ValueError):
        generate("coaching", 10, project_id=1, batch_rows=0)
    with pytest.raises(ValueError, match="unknown product"):
        generate("bakery", 10, project_id=1)


def test_write_parquet_streams_the_same_events(tmp_path: Path) -> None:
    path = tmp_path / "funding.parquet"
    rows = write_parquet("funding", 4_000, path, project_id=2, batch_rows=1_000)
    stored = pq.read_table(path)
    assert stored.num_rows == rows
    assert stored.schema.equals(RAW_SCHEMA)
    assert stored.equals(pa.concat_tables(generate("funding", 4_000, project_id=2)))
