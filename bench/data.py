"""The benchmark's events: one Parquet file per size, generated once and cached.

The events come from :func:`heron.demo.generate` (the realistic demo data) when it is
available, otherwise from a small vectorised synthetic generator of the same shape.
Every measurement of a run (HTTP bodies, bulk import, peers) reads the same file.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bench.harness import BENCH_DATA

CANONICAL = ["uuid", "event", "distinct_id", "timestamp", "properties"]
"""The columns of the import file: the canonical event (CONTRACTS.md), properties as JSON."""
DEMO_PRODUCT = "campaigns"
SEED = 42
END = date(2025, 6, 30)
"""A fixed end date keeps the cached file identical across days."""
ROW_GROUP = 100_000


def _demo_batches(n_events: int) -> Iterator[pa.Table] | None:
    try:
        demo = importlib.import_module("heron.demo")
        generate = demo.generate
        products = demo.PRODUCTS
    except (ImportError, AttributeError):
        return None
    product = DEMO_PRODUCT if DEMO_PRODUCT in products else products[0]
    return generate(product, n_events, project_id=1, seed=SEED, end=END)


_EVENTS = pa.array(
    ["pageview", "email_opened", "email_clicked", "signup", "purchase", "$autocapture"]
)
_EVENT_WEIGHTS = np.array([0.45, 0.2, 0.12, 0.08, 0.05, 0.10])
_PATHS = pa.array(["/", "/pricing", "/campaigns", "/campaigns/new", "/reports", "/settings"])
_SOURCES = pa.array(["newsletter", "google", "twitter", "direct", "partner"])
_BROWSERS = pa.array(["Chrome", "Safari", "Firefox", "Edge"])


def synthetic_batch(rng: np.random.Generator, n: int, start_us: int, span_us: int) -> pa.Table:
    """``n`` synthetic canonical events (no per-row Python), in time order."""
    stamps = np.sort(rng.integers(start_us, start_us + span_us, n))
    persons = rng.zipf(1.3, n) % 200_000
    event = _EVENTS.take(pa.array(rng.choice(len(_EVENTS), n, p=_EVENT_WEIGHTS)))
    path = _PATHS.take(pa.array(rng.integers(0, len(_PATHS), n)))
    source = _SOURCES.take(pa.array(rng.integers(0, len(_SOURCES), n)))
    browser = _BROWSERS.take(pa.array(rng.integers(0, len(_BROWSERS), n)))
    session = pc.cast(pa.array(persons * 1000 + (stamps // 1_800_000_000) % 1000), pa.string())
    amount = pc.cast(pa.array(rng.integers(100, 10_000, n)), pa.string())
    distinct_id = pc.binary_join_element_wise("user-", pc.cast(pa.array(persons), pa.string()), "")
    properties = pc.binary_join_element_wise(
        '{"$current_url":"https://app.example.com',
        path,
        "?utm_source=",
        source,
        '","$browser":"',
        browser,
        '","$session_id":"s',
        session,
        '","amount":',
        amount,
        ',"plan":"pro"}',
        "",
    )
    uuids = pa.array(_uuids(rng, n))
    return pa.table(
        {
            "uuid": uuids,
            "event": event,
            "distinct_id": distinct_id,
            "timestamp": pa.array(stamps, pa.timestamp("us")),
            "properties": properties,
        }
    )


def _uuids(rng: np.random.Generator, n: int) -> list[str]:
    raw = rng.bytes(16 * n)
    return [str(uuid.UUID(bytes=raw[i : i + 16], version=4)) for i in range(0, 16 * n, 16)]


def _synthetic_batches(n_events: int) -> Iterator[pa.Table]:
    rng = np.random.default_rng(SEED)
    end_us = int(datetime(END.year, END.month, END.day, tzinfo=UTC).timestamp() * 1_000_000)
    span_us = 90 * 86_400 * 1_000_000
    per_batch = ROW_GROUP
    batches = max(1, -(-n_events // per_batch))
    step = span_us // batches
    for index in range(batches):
        n = min(per_batch, n_events - index * per_batch)
        yield synthetic_batch(rng, n, end_us - span_us + index * step, step)


@dataclass(frozen=True, slots=True)
class Dataset:
    path: Path
    source: str
    rows: int
    """What the generator produced: the demo generator stops close to the requested count."""


def dataset(n_events: int) -> Dataset:
    """The cached Parquet file of about ``n_events`` canonical events (delete it to renew)."""
    BENCH_DATA.mkdir(parents=True, exist_ok=True)
    demo = _demo_batches(n_events)
    source = f"heron.demo {DEMO_PRODUCT}" if demo is not None else "synthetic"
    path = BENCH_DATA / f"events-{'demo' if demo is not None else 'synthetic'}-{n_events}.parquet"
    if path.exists():
        return Dataset(path, source, pq.ParquetFile(path).metadata.num_rows)
    partial = path.with_suffix(".partial")
    schema = pa.schema(
        [
            pa.field("uuid", pa.string()),
            pa.field("event", pa.string()),
            pa.field("distinct_id", pa.string()),
            pa.field("timestamp", pa.timestamp("us")),
            pa.field("properties", pa.string()),
        ]
    )
    written = 0
    with pq.ParquetWriter(partial, schema) as writer:
        for batch in demo if demo is not None else _synthetic_batches(n_events):
            table = batch.select(CANONICAL).cast(schema)
            writer.write_table(table, row_group_size=ROW_GROUP)
            written += table.num_rows
    partial.rename(path)
    return Dataset(path, source, written)


def http_event(event: str, distinct_id: str, properties: str) -> bytes:
    """One event as the HTTP API takes it: no ``uuid`` (each request inserts new rows) and
    no ``timestamp`` (live traffic: the server stamps the receipt time)."""
    return b'{"event":%s,"distinct_id":%s,"properties":%s}' % (
        orjson.dumps(event),
        orjson.dumps(distinct_id),
        properties.encode(),
    )


def http_bodies(path: Path, batch: int, events: int) -> list[bytes]:
    """Request bodies of ``batch`` events each, built from the first ``events`` events."""
    table = pq.ParquetFile(path).read_row_group(0).slice(0, events)
    rows = [
        http_event(e, d, p)
        for e, d, p in zip(
            table["event"].to_pylist(),
            table["distinct_id"].to_pylist(),
            table["properties"].to_pylist(),
            strict=True,
        )
    ]
    if batch == 1:
        return rows
    return [
        b'{"batch":[' + b",".join(rows[i : i + batch]) + b"]}"
        for i in range(0, len(rows) - batch + 1, batch)
    ]


def write_bodies(bodies: list[bytes], path: Path) -> Path:
    """One body per line (compact JSON has no raw newlines), for the wrk script."""
    if any(b"\n" in body for body in bodies):
        raise ValueError("a request body contains a newline")
    path.write_bytes(b"\n".join(bodies) + b"\n")
    return path
