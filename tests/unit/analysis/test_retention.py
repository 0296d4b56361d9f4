"""RetentionQuery: hand-checked cases, validation, and ClickHouse's own ``retention()``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heron.analysis import retention_masks
from heron.query.context import QueryContext
from heron.query.dialects import dialect
from heron.query.registry import KINDS, SpecError, parse_spec
from heron.query.runner import Runner
from heron.store.base import EventStore
from heron.store.clickhouse_transport import ChdbTransport
from tests.support.events import raw_batch
from tests.unit.analysis.oracles.funnel_data import FUNNEL_SETTINGS, PROJECTS
from tests.unit.analysis.test_lifecycle import mask_limit

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def retention(
    store: EventStore, project_id: int, spec: dict[str, Any], tz: str = "UTC", now: datetime = NOW
) -> dict[str, Any]:
    parsed = parse_spec({"kind": "RetentionQuery", **spec})
    ctx = QueryContext(project_id, ZoneInfo(tz), dialect(store.dialect), now=now)
    return KINDS["RetentionQuery"].run(parsed, Runner(store, ctx))


def event(name: str, who: str, moment: datetime, **properties: Any) -> dict[str, Any]:
    return {"event": name, "distinct_id": who, "timestamp": moment, "properties": properties}


def load(store: EventStore, rows: list[dict[str, Any]]) -> int:
    project_id = next(PROJECTS)
    store.append(raw_batch([{**r, "project_id": project_id} for r in rows]))
    return project_id


WEEKLY = {
    "target_event": "signup",
    "returning_event": "pageview",
    "period": "week",
    "periods": 3,
    "date_from": "2025-01-06",
    "date_to": "2025-01-26",
}


def test_first_time_and_recurring_weekly(store: EventStore) -> None:
    rows = [
        event("signup", "early", datetime(2025, 1, 1, 12)),
        event("signup", "early", datetime(2025, 1, 8, 12)),
        event("pageview", "early", datetime(2025, 1, 15, 12)),
        event("signup", "ann", datetime(2025, 1, 6, 9)),
        event("pageview", "ann", datetime(2025, 1, 7, 9)),
        event("pageview", "ann", datetime(2025, 1, 14, 9)),
        event("signup", "bob", datetime(2025, 1, 12, 23)),
        event("pageview", "bob", datetime(2025, 1, 27, 1)),
    ]
    project_id = load(store, rows)
    first = retention(store, project_id, WEEKLY)
    assert first == {
        "cohorts": [
            {"cohort_start": "2025-01-06", "size": 2, "values": [2, 1, 0, 1]},
            {"cohort_start": "2025-01-13", "size": 0, "values": [0, 0, 0, 0]},
            {"cohort_start": "2025-01-20", "size": 0, "values": [0, 0, 0, 0]},
        ]
    }
    recurring = retention(store, project_id, {**WEEKLY, "retention_type": "recurring"})
    assert recurring["cohorts"][0] == {
        "cohort_start": "2025-01-06",
        "size": 3,
        "values": [3, 2, 0, 1],
    }


def test_periods_not_yet_started_are_omitted(store: EventStore) -> None:
    project_id = load(store, [event("signup", "ann", datetime(2025, 1, 6, 9))])
    now = datetime(2025, 1, 15, tzinfo=UTC)
    cohorts = retention(store, project_id, WEEKLY, now=now)["cohorts"]
    assert [c["values"] for c in cohorts] == [[1, 0], [0], [0]]


def test_days_follow_the_project_timezone_across_dst(store: EventStore) -> None:
    berlin = ZoneInfo("Europe/Berlin")

    def local(*parts: int) -> datetime:
        return datetime(*parts, tzinfo=berlin).astimezone(UTC).replace(tzinfo=None)

    rows = [
        event("signup", "ann", local(2025, 3, 29, 23, 30)),
        event("pageview", "ann", local(2025, 3, 30, 0, 30)),
        event("signup", "bob", local(2025, 3, 30, 0, 10)),
        event("pageview", "bob", local(2025, 3, 30, 23, 50)),
        event("pageview", "bob", local(2025, 3, 31, 0, 5)),
    ]
    project_id = load(store, rows)
    spec = {
        **WEEKLY,
        "period": "day",
        "periods": 2,
        "date_from": "2025-03-29",
        "date_to": "2025-03-30",
    }
    result = retention(store, project_id, spec, tz="Europe/Berlin")
    assert result["cohorts"] == [
        {"cohort_start": "2025-03-29", "size": 1, "values": [1, 1, 0]},
        {"cohort_start": "2025-03-30", "size": 1, "values": [1, 1, 0]},
    ]
    assert result["shortcuts"] == {"d1": 1.0, "d7": 0.0, "d30": 0.0}


def test_shortcuts_weight_cohorts_by_size(store: EventStore) -> None:
    rows = [event("signup", f"a{i}", datetime(2025, 2, 1, 10)) for i in range(3)]
    rows += [event("pageview", "a0", datetime(2025, 2, 2, 10))]
    rows += [
        event("signup", "b", datetime(2025, 2, 2, 11)),
        event("pageview", "b", datetime(2025, 2, 3)),
    ]
    project_id = load(store, rows)
    spec = {
        **WEEKLY,
        "period": "day",
        "periods": 1,
        "date_from": "2025-02-01",
        "date_to": "2025-02-02",
    }
    result = retention(store, project_id, spec, now=datetime(2025, 2, 5, tzinfo=UTC))
    assert result["shortcuts"] == {"d1": 0.5, "d7": None, "d30": None}


def test_empty_range_lists_empty_cohorts(store: EventStore) -> None:
    project_id = load(store, [event("signup", "ann", datetime(2024, 1, 1))])
    result = retention(
        store, project_id, {**WEEKLY, "date_from": "2025-01-07", "date_to": "2025-01-12"}
    )
    assert result == {"cohorts": []}


def test_daily_returns_are_counted_across_mask_words(store: EventStore) -> None:
    """60 daily cohorts and 30 days after them take three mask words; a return 30 days
    after the 40th cohort day sits in the third. The join gives the same."""
    day0 = datetime(2025, 1, 1)
    rows = [
        event("signup", "ann", day0 + timedelta(days=39, hours=9)),
        event("pageview", "ann", day0 + timedelta(days=40, hours=9)),
        event("pageview", "ann", day0 + timedelta(days=69, hours=9)),
        event("signup", "bob", day0 + timedelta(days=2)),
        event("signup", "bob", day0 + timedelta(days=39)),
    ]
    project_id = load(store, rows)
    spec = {**WEEKLY, "period": "day", "date_from": "2025-01-01", "date_to": "2025-03-01"}
    results = []
    for words in (None, 0):
        with mask_limit(words):
            results.append(retention(store, project_id, spec))
    assert results[0] == results[1]
    cohorts = {c["cohort_start"]: c["size"] for c in results[0]["cohorts"] if c["size"]}
    assert cohorts == {"2025-01-03": 1, "2025-02-09": 1}
    assert results[0]["shortcuts"] == {"d1": 0.5, "d7": 0.0, "d30": 0.5}


def test_masks_fit_up_to_the_words_that_pay() -> None:
    assert retention_masks.mask_words(17, 25, "clickhouse") == 1
    assert retention_masks.mask_words(120, 150, "clickhouse") == 5
    assert retention_masks.mask_words(120, 150, "duckdb") is None
    assert retention_masks.mask_words(240, 270, "clickhouse") == 8
    assert retention_masks.mask_words(241, 271, "clickhouse") is None


@pytest.mark.parametrize(
    "bad",
    [
        {"breakdown": {"property": "plan"}},
        {"periods": 0},
        {"period": "hour"},
        {"retention_type": "x"},
    ],
)
def test_invalid_specs_are_rejected(bad: dict[str, Any]) -> None:
    with pytest.raises(SpecError):
        parse_spec({"kind": "RetentionQuery", **WEEKLY, **bad})


@pytest.fixture
def clickhouse(store: EventStore, tmp_path: Path) -> Iterator[Any]:
    """The chdb store's own engine, or a fresh one (chdb serves one directory per process)."""
    transport = getattr(store, "transport", None)
    if transport is not None:
        yield transport
        return
    own = ChdbTransport(str(tmp_path / "reference"))
    try:
        yield own
    finally:
        own.close()


DAY0 = date(2025, 4, 1)


@st.composite
def daily_rows(draw: st.DrawFn) -> list[tuple[str, str, int, int]]:
    """(event, person, day offset, minute) rows; persons never merge."""
    return draw(
        st.lists(
            st.tuples(
                st.sampled_from(["signup", "pageview"]),
                st.sampled_from(["p1", "p2", "p3", "p4"]),
                st.integers(-2, 9),
                st.integers(0, 1439),
            ),
            min_size=1,
            max_size=30,
        )
    )


@pytest.mark.slow
@FUNNEL_SETTINGS
@given(rows=daily_rows(), periods=st.integers(1, 4))
def test_first_time_days_equal_clickhouse_retention(
    store: EventStore, clickhouse: Any, rows: list[tuple[str, str, int, int]], periods: int
) -> None:
    def moment(day: int, minute: int) -> datetime:
        return datetime.combine(DAY0, datetime.min.time()) + timedelta(days=day, minutes=minute)

    project_id = load(store, [event(e, p, moment(d, m)) for e, p, d, m in rows])
    spec = {
        **WEEKLY,
        "period": "day",
        "periods": periods,
        "date_from": DAY0.isoformat(),
        "date_to": (DAY0 + timedelta(days=4)).isoformat(),
    }
    got = retention(store, project_id, spec)["cohorts"]

    clickhouse.command("DROP TABLE IF EXISTS retention_reference")
    clickhouse.command(
        "CREATE TABLE retention_reference (p String, ts DateTime, e String) ENGINE = Memory"
    )
    values = ", ".join(f"('{p}', '{moment(d, m):%Y-%m-%d %H:%M:%S}', '{e}')" for e, p, d, m in rows)
    clickhouse.command(f"INSERT INTO retention_reference VALUES {values}")
    returns = ", ".join(
        f"e = 'pageview' AND toDate(ts) = f.cohort + {n}" for n in range(1, periods + 1)
    )
    reference = clickhouse.query(
        "SELECT cohort, sumForEach(r) AS v FROM (SELECT p, f.cohort AS cohort, retention("
        f"e = 'signup' AND toDate(ts) = f.cohort, {returns}) AS r FROM retention_reference "
        "INNER JOIN (SELECT p, toDate(min(ts)) AS cohort FROM retention_reference "
        "WHERE e = 'signup' GROUP BY p) AS f USING p GROUP BY p, cohort) "
        f"WHERE cohort BETWEEN '{DAY0}' AND '{DAY0 + timedelta(days=4)}' GROUP BY cohort"
    ).to_pylist()
    expected = {row["cohort"].isoformat(): [int(v) for v in row["v"]] for row in reference}
    for cohort in got:
        want = expected.get(cohort["cohort_start"], [0] * (periods + 1))
        assert cohort["values"] == want, cohort
    assert {c["cohort_start"] for c in got} >= set(expected)
