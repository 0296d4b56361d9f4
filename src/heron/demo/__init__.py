"""Deterministic demo, test and benchmark data: realistic events with planted effects.

``generate(product, n_events, project_id=…)`` streams Arrow tables with
:data:`heron.events.RAW_SCHEMA` (each sorted by timestamp), byte-identical for the same
arguments, in bounded memory, from ten thousand to a hundred million events.
``planted(...)`` states the ground truth the data carries (a funnel drop, a churn
driver, a spike, an A/B lift, anonymous-then-identified persons, timestamp ties), so
analyses can be tested against it. Identity and person properties are carried by the
events themselves (``$identify``, ``$create_alias``, ``$set``, ``$set_once``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from os import PathLike

import pyarrow as pa
import pyarrow.parquet as pq

from heron.demo import campaigns, coaching, funding
from heron.demo.effects import Churn, Experiment, Funnel, Identity, Planted, Spike
from heron.demo.generator import generate_spec, planted_for
from heron.demo.population import ProductSpec
from heron.events import RAW_SCHEMA

__all__ = [
    "DEFAULT_END",
    "PRODUCTS",
    "SIZES",
    "Churn",
    "Experiment",
    "Funnel",
    "Identity",
    "Planted",
    "Spike",
    "generate",
    "planted",
    "timezone_for",
    "write_parquet",
]

PRODUCTS = ("coaching", "campaigns", "funding")
SIZES = {"small": 10_000, "medium": 1_000_000, "large": 10_000_000}
"""Events per product for the named benchmark sizes."""
DEFAULT_END = dt.date(2025, 4, 30)
"""The last local day of the default range (its 120 days cross the March DST change)."""

_SPECS: dict[str, ProductSpec] = {
    spec.name: spec for spec in (coaching.SPEC, campaigns.SPEC, funding.SPEC)
}


def _spec(product: str) -> ProductSpec:
    try:
        return _SPECS[product]
    except KeyError:
        raise ValueError(f"unknown product {product!r}; expected one of {PRODUCTS}") from None


def timezone_for(product: str) -> str:
    """The IANA timezone the product's activity follows (its project timezone)."""
    return _spec(product).timezone


def planted(
    product: str, n_events: int, seed: int = 0, end: dt.date = DEFAULT_END, days: int = 120
) -> Planted:
    """The ground truth planted in ``generate(product, n_events, seed=seed, end=end, days=days)``."""
    return planted_for(_spec(product), n_events, seed, end, days)


def generate(
    product: str,
    n_events: int,
    *,
    project_id: int,
    seed: int = 0,
    end: dt.date = DEFAULT_END,
    days: int = 120,
    batch_rows: int = 100_000,
) -> Iterator[pa.Table]:
    """Stream about ``n_events`` events (within 5 %) of the ``days`` local dates up to ``end``.

    Each table has at most ``batch_rows`` rows, :data:`RAW_SCHEMA`, and is sorted by
    timestamp; persons are generated in independent blocks, so tables of different blocks
    overlap in time.
    """
    return generate_spec(
        _spec(product),
        PRODUCTS.index(product),
        n_events,
        project_id=project_id,
        seed=seed,
        end=end,
        days=days,
        batch_rows=batch_rows,
    )


def write_parquet(
    product: str,
    n_events: int,
    path: str | PathLike[str],
    *,
    project_id: int,
    seed: int = 0,
    end: dt.date = DEFAULT_END,
    days: int = 120,
    batch_rows: int = 100_000,
) -> int:
    """Stream :func:`generate` into a Parquet file (zstd); returns the number of events."""
    rows = 0
    with pq.ParquetWriter(path, RAW_SCHEMA, compression="zstd") as writer:
        for table in generate(
            product,
            n_events,
            project_id=project_id,
            seed=seed,
            end=end,
            days=days,
            batch_rows=batch_rows,
        ):
            writer.write_table(table, row_group_size=batch_rows)
            rows += table.num_rows
    return rows
