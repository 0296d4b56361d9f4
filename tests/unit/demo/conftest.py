"""Generated data shared by the demo tests (each data set is generated once per session)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import pyarrow as pa
import pytest

from heron.demo import Planted, generate, planted

SMALL = 10_000
MEDIUM = 200_000


@dataclass(frozen=True)
class Sample:
    """A generated data set and the ground truth planted in it."""

    table: pa.Table
    truth: Planted


@cache
def sample(product: str, n_events: int) -> Sample:
    table = pa.concat_tables(generate(product, n_events, project_id=7))
    return Sample(table, planted(product, n_events))


@pytest.fixture(scope="session")
def small() -> Callable[[str], Sample]:
    return lambda product: sample(product, SMALL)


@pytest.fixture(scope="session")
def medium() -> Callable[[str], Sample]:
    return lambda product: sample(product, MEDIUM)
