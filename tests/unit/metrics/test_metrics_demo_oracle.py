"""Every built-in event metric on ``heron.demo`` data of each product, against the oracle.

The randomized histories of :mod:`.test_metrics_oracle` reach the corners; this runs the
same definitions on what the demo generator plants (sessions, identified visitors, DST,
each product's own events). The oracle models ``$identify`` merges, not ``$create_alias``,
so the demo's alias events are left out of both sides.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from heron.demo import PRODUCTS, generate
from heron.store.base import EventStore
from tests.unit.metrics import oracle
from tests.unit.metrics.metric_data import run_metric
from tests.unit.metrics.test_metrics_oracle import FORMULAS, RETENTION, SESSION, close, expected_for

TZ = "Europe/Berlin"
END = date(2025, 4, 5)  # the window below holds the spring DST change (2025-03-30)
WINDOWS = [("2025-03-20", "2025-04-05", "day"), ("2025-03-03", "2025-04-05", "week")]


def demo_rows(store: EventStore, product: str, project_id: int) -> list[dict[str, Any]]:
    table = pa.concat_tables(
        generate(product, 3_000, project_id=project_id, seed=7, end=END, days=40)
    )
    table = table.filter(pc.not_equal(table.column("event"), "$create_alias"))
    store.append(table)
    rows = table.to_pylist()
    for row in rows:
        row["properties"] = orjson.loads(row["properties"])
    return rows


@pytest.mark.slow
@pytest.mark.parametrize("product", PRODUCTS)
def test_builtin_metrics_on_demo_data_match_the_oracle(store: EventStore, product: str) -> None:
    project_id = 7000 + PRODUCTS.index(product)
    rows = demo_rows(store, product, project_id)
    evs = oracle.events(rows, project_id, oracle.ZoneInfo(TZ))
    names = [*SESSION, "message_response_time", "activation_rate", "average_funding_time"]
    names += [*FORMULAS, "wau", "mau", "stickiness"]
    names += [f"d{n}_retention{'_on_or_after' if after else ''}" for n, after in RETENTION]
    for date_from, date_to, interval in WINDOWS:
        f = oracle.frame(date_from, date_to, interval, TZ)
        for name in names:
            spec = {
                "metric": name,
                "interval": interval,
                "date_from": date_from,
                "date_to": date_to,
            }
            got = run_metric(store, project_id, TZ, spec)
            close(got["series"][name], expected_for(name, evs, f), (product, interval, name))
