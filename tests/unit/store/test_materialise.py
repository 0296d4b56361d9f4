"""The Python derivation of materialised columns stores exactly what the SQL derivation does."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heron.events import RAW_SCHEMA
from heron.store import duckdb as duckdb_store
from heron.store import materialise
from heron.store.duckdb import DuckDBStore

STORED = "SELECT * EXCLUDE (inserted_at) FROM events ORDER BY uuid"  # inserted_at: the commit time

_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_url_char = st.sampled_from([*"aZ09-._~/?#&=:@%+é ", "%20", "%2", "%zz", "%C3%A9", "%e9"])
_fragment = st.lists(_url_char, max_size=8).map("".join)
_scheme = st.sampled_from(["https", "http", "HTTP", "a+b.c-d", "1x", "", "mailto"])
_host = st.sampled_from(
    ["Example.COM", "www.b.io", "", "u:p@h.com", "xn--d.de", "bücher.de", "İ.tr"]
)


@st.composite
def _urls(draw: st.DrawFn) -> str:
    params = draw(
        st.lists(
            st.tuples(
                st.sampled_from([*materialise.UTM, "utm_x", "ref"]), _fragment, st.booleans()
            ),
            max_size=4,
        )
    )
    query = "".join(f"{'&' if amp else '?'}{name}={value}" for name, value, amp in params)
    return f"{draw(_scheme)}://{draw(_host)}{draw(_fragment)}{query}{draw(_fragment)}"


_ints = st.integers(-(2**63), 2**64 - 1)  # what orjson can write
_value = st.one_of(
    st.none(),
    _text,
    _urls(),
    _ints,
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dictionaries(st.just("k"), _ints, max_size=1),
)
_keys = st.sampled_from([*materialise.HOT_PROPERTIES, "other"])
_row = st.tuples(
    st.dictionaries(_keys, _value, max_size=8),
    st.one_of(st.none(), _text),
    st.tuples(*(st.one_of(st.none(), st.sampled_from(["Chrome", "iOS", ""])),) * 3),
)


def _batch(rows: list[tuple[dict[str, Any], str | None, tuple[str | None, ...]]]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "project_id": 1,
                "uuid": str(uuid.uuid4()),
                "event": "e",
                "distinct_id": f"d{i}",
                "timestamp": datetime(2025, 1, 1),
                "properties": orjson.dumps(properties).decode(),
                "session_id": session,
                "browser": agent[0],
                "os": agent[1],
                "device_type": agent[2],
            }
            for i, (properties, session, agent) in enumerate(rows)
        ],
        schema=RAW_SCHEMA,
    )


@pytest.fixture(scope="module")
def stores() -> Iterator[tuple[DuckDBStore, DuckDBStore]]:
    """One store deriving in Python, one in SQL (emptied before each example)."""
    python, sql = DuckDBStore(":memory:"), DuckDBStore(":memory:")
    yield python, sql
    python.close()
    sql.close()


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(rows=st.lists(_row, min_size=1, max_size=12))
def test_python_and_sql_derivations_store_identical_rows(
    stores: tuple[DuckDBStore, DuckDBStore],
    rows: list[tuple[dict[str, Any], str | None, tuple[str | None, ...]]],
) -> None:
    python, sql = stores
    batch = _batch(rows)
    for store in stores:
        store.query("DELETE FROM events")
    python.append(batch)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(duckdb_store, "PYTHON_DERIVATION_MAX_ROWS", 0)
        sql.append(batch)
    assert python.query(STORED).to_pylist() == sql.query(STORED).to_pylist()


def test_plain_rows_are_derived_in_python() -> None:
    url = "https://Shop.Example.com/a/b?utm_source=news%20letter&utm_medium=e&x=1#top"
    properties = {"$current_url": url, "$referrer": "https://u@Google.com:443/q", "$lib": "web"}
    derived, sql_rows = materialise.derive(_batch([(properties, "s1", (None, None, None))]))
    assert len(sql_rows) == 0
    row = derived.to_pylist()[0]
    assert (row["pathname"], row["referring_domain"]) == ("/a/b", "google.com")
    assert (row["utm_source"], row["utm_medium"], row["utm_campaign"]) == ("news letter", "e", None)
    assert (row["session_id"], row["lib"]) == ("s1", "web")


@pytest.mark.parametrize(
    "properties",
    [
        {"$current_url": 1.5},  # a float: DuckDB's number formatting is the SQL's business
        {"$referrer": "https://İstanbul.tr/"},  # non-ASCII host: Unicode lower-casing rules
        {"utm_source": {"nested": True}},
    ],
)
def test_unusual_rows_go_to_the_sql(properties: dict[str, Any]) -> None:
    _, sql_rows = materialise.derive(_batch([(properties, None, (None, None, None))]))
    assert sql_rows.tolist() == [0]


def test_non_canonical_json_goes_to_the_sql() -> None:
    batch = _batch([({"$lib": "a"}, None, (None, None, None))])
    repeated = batch.set_column(
        batch.schema.get_field_index("properties"),
        "properties",
        pa.array(['{"$lib": "a", "$lib": "b"}']),
    )
    _, sql_rows = materialise.derive(repeated)
    assert sql_rows.tolist() == [0]
