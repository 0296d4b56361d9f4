"""The peers of the query suite: the same trend, funnel and retention questions answered by
ClickHouse's native functions (through chdb), by pandas and by PostgreSQL.

Every peer reads the same rows: ``(person, event, timestamp)`` of the project's events
exported from Heron's DuckDB store, with ``person`` already resolved through identity
merges. Peers therefore do no identity work; Heron does, on every query. Each answer
is a view of :mod:`bench.query_specs`, so it compares with Heron's by ``==``.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from bench import query_specs as q

POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
THREADS = 2
PEER_DATABASE = "bench_peer"
PEER_ROWS_SQL = """
SELECT coalesce(o.person_id, e.person_id)::VARCHAR AS person, e.event, e.timestamp
FROM events AS e
LEFT JOIN person_overrides AS o ON o.project_id = e.project_id AND o.old_person_id = e.person_id
WHERE e.project_id = ?
"""
"""The peers' rows, read from Heron's DuckDB store: the person each event resolves to."""

DESCRIPTIONS = (
    "clickhouse native: a plain MergeTree `ORDER BY (event, toDate(timestamp), person, "
    f"timestamp)`; `count`/`uniqExact`, `windowFunnel({q.FUNNEL_WINDOW_DAYS} days, 'strict_once')`, "
    "`retention`",
    "pandas: one DataFrame (int person codes, categorical events) built before timing; "
    "funnel by `merge_asof` chains, retention by week joins",
    "postgres: a fresh database, btree on (event, ts), `work_mem = 256MB`; trend by GROUP BY, "
    "funnel by window functions, retention by joins; at 1M only unless `--pg-10m`",
)
"""How each peer answers, for the report."""
Question = Callable[[], Any]
QUESTIONS = ("trend", "funnel", "retention")


def questions(peer: Any) -> dict[str, Question]:
    """A peer's answers by question: its ``trend``, ``funnel`` and ``retention`` methods."""
    return {name: getattr(peer, name) for name in QUESTIONS}


def utc_bounds() -> tuple[datetime, datetime]:
    """The range ``[FIRST_DAY, LAST_DAY]`` as half-open naive UTC instants."""
    tz = ZoneInfo(q.TIMEZONE)

    def utc(day: date) -> datetime:
        return datetime.combine(day, time(), tz).astimezone(UTC).replace(tzinfo=None)

    return utc(q.FIRST_DAY), utc(date.fromordinal(q.LAST_DAY.toordinal() + 1))


def _literal(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _names(events: tuple[str, ...]) -> str:
    return ", ".join(f"'{e}'" for e in events)


# -- ClickHouse, native -----------------------------------------------------------------


class ClickHouseNative:
    """A plain MergeTree of the peers' rows in the chdb store's engine (chdb serves one data
    directory per process), queried with ``uniqExact``, ``windowFunnel`` and ``retention``."""

    table = f"{PEER_DATABASE}.events"

    def __init__(self, transport: Any, rows: pa.Table) -> None:
        self.transport = transport
        lo, hi = utc_bounds()
        self.lo = f"toDateTime64('{_literal(lo)}', 6, 'UTC')"
        self.hi = f"toDateTime64('{_literal(hi)}', 6, 'UTC')"
        self.ensure(rows)

    def ensure(self, rows: pa.Table) -> None:
        """Create the table from ``rows`` unless it already holds as many (a previous run's)."""
        self.transport.command(f"CREATE DATABASE IF NOT EXISTS {PEER_DATABASE}")
        try:
            count = self.transport.query(f"SELECT count() AS n FROM {self.table}")
            if int(count["n"][0].as_py()) == rows.num_rows:
                return
        except self.transport.errors:
            pass
        self.transport.command(f"DROP TABLE IF EXISTS {self.table}")
        self.transport.command(
            f"CREATE TABLE {self.table} (person UUID, event LowCardinality(String), "
            "timestamp DateTime64(6, 'UTC')) ENGINE = MergeTree "
            "ORDER BY (event, toDate(timestamp), person, timestamp)"
        )
        self.transport.insert_from(
            f"INSERT INTO {self.table} SELECT toUUID(person), event, timestamp FROM {{source}}",
            rows,
        )
        self.transport.command(f"OPTIMIZE TABLE {self.table} FINAL")

    def _query(self, sql: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.transport.query(sql).to_pylist()
        return rows

    def trend(self) -> q.TrendView:
        rows = self._query(
            f"SELECT toString(toDate(timestamp, '{q.TIMEZONE}')) AS day, count() AS total, "
            f"uniqExact(person) AS dau FROM {self.table} WHERE event = '{q.TREND_EVENT}' "
            f"AND timestamp >= {self.lo} AND timestamp < {self.hi} GROUP BY day"
        )
        return q.trend_view({r["day"]: (int(r["total"]), int(r["dau"])) for r in rows})

    def funnel(self) -> q.FunnelView:
        window = q.FUNNEL_WINDOW_DAYS * 86_400 * 1_000_000
        steps = ", ".join(f"event = '{e}'" for e in q.FUNNEL_STEPS)
        counts = ", ".join(
            f"countIf(level >= {k}) AS c{k}" for k in range(1, len(q.FUNNEL_STEPS) + 1)
        )
        rows = self._query(
            f"SELECT {counts} FROM (SELECT person, windowFunnel({window}, 'strict_once')"
            f"(toUInt64(toUnixTimestamp64Micro(timestamp)), {steps}) AS level "
            f"FROM {self.table} WHERE event IN ({_names(q.FUNNEL_STEPS)}) "
            f"AND timestamp >= {self.lo} AND timestamp < {self.hi} GROUP BY person)"
        )
        return tuple(int(rows[0][f"c{k}"]) for k in range(1, len(q.FUNNEL_STEPS) + 1))

    def retention(self) -> q.RetentionView:
        weeks = ", ".join(
            f"e.event = '{q.RETENTION_RETURNING}' AND "
            f"toMonday(e.timestamp, '{q.TIMEZONE}') = addWeeks(c.cohort, {n})"
            for n in range(1, q.RETENTION_PERIODS + 1)
        )
        rows = self._query(
            f"""
            SELECT cohort, sumForEach(r) AS v FROM (
                SELECT person, any(c.cohort) AS cohort,
                       retention(e.event = '{q.RETENTION_TARGET}', {weeks}) AS r
                FROM {self.table} AS e
                INNER JOIN (
                    SELECT person, toMonday(min(timestamp), '{q.TIMEZONE}') AS cohort
                    FROM {self.table} WHERE event = '{q.RETENTION_TARGET}' GROUP BY person
                    HAVING cohort >= '{q.RETENTION_FROM}' AND cohort <= '{q.LAST_DAY}'
                ) AS c ON e.person = c.person
                WHERE e.event IN ({_names((q.RETENTION_TARGET, q.RETENTION_RETURNING))})
                GROUP BY person
            ) GROUP BY cohort"""
        )
        return _retention_from_arrays((r["cohort"], r["v"]) for r in rows)


def _retention_from_arrays(rows: Any) -> q.RetentionView:
    """``(cohort, [size, back in week 1, …])`` rows → the view."""
    sizes: dict[date, int] = {}
    returned: dict[tuple[date, int], int] = {}
    for cohort, values in rows:
        sizes[cohort] = int(values[0])
        for n, value in enumerate(values[1:], start=1):
            returned[(cohort, n)] = int(value)
    return q.retention_view(sizes, returned)


# -- pandas ---------------------------------------------------------------------------------


def pandas_frame(rows: pa.Table) -> pd.DataFrame:
    """The rows as an analyst would hold them: integer person codes, categorical events,
    naive UTC timestamps (built once, outside the timings). The codes come from Arrow's
    dictionary encoding, not from a Python string per row (at 100M rows those alone would
    take ~9 GB)."""
    persons = rows["person"].dictionary_encode().unify_dictionaries()
    codes = [chunk.indices.to_numpy(zero_copy_only=False) for chunk in persons.chunks]
    events = rows["event"].dictionary_encode().unify_dictionaries()
    return pd.DataFrame(
        {
            "person": np.concatenate(codes).astype(np.int64) if codes else np.zeros(0, np.int64),
            "event": events.to_pandas(),
            "ts": rows["timestamp"].to_pandas(),
        }
    )


def local_days(ts: pd.Series) -> pd.Series:
    """Naive UTC timestamps → the local midnight of their day in the project timezone."""
    local = ts.dt.tz_localize("UTC").dt.tz_convert(q.TIMEZONE).dt.tz_localize(None)
    return local.dt.normalize()


def local_weeks(ts: pd.Series) -> pd.Series:
    """Naive UTC timestamps → the local Monday of their week."""
    days = local_days(ts)
    return days - pd.to_timedelta(days.dt.dayofweek, unit="D")


class PandasPeer:
    """Vectorised pandas, one DataFrame of all rows."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.df = frame
        lo, hi = utc_bounds()
        self.lo, self.hi = pd.Timestamp(lo), pd.Timestamp(hi)

    def _events(self, event: str, *, in_range: bool = True) -> pd.DataFrame:
        df = self.df
        mask = df["event"] == event
        if in_range:
            mask &= (df["ts"] >= self.lo) & (df["ts"] < self.hi)
        return df.loc[mask, ["person", "ts"]]

    def trend(self) -> q.TrendView:
        rows = self._events(q.TREND_EVENT)
        grouped = rows.groupby(local_days(rows["ts"]))["person"].agg(["size", "nunique"])
        return q.trend_view(
            {
                day.date().isoformat(): (int(total), int(dau))
                for day, total, dau in zip(
                    grouped.index, grouped["size"], grouped["nunique"], strict=True
                )
            }
        )

    def funnel(self) -> q.FunnelView:
        return funnel_counts(
            [self._events(e) for e in q.FUNNEL_STEPS], pd.Timedelta(days=q.FUNNEL_WINDOW_DAYS)
        )

    def retention(self) -> q.RetentionView:
        return retention_matrix(
            self._events(q.RETENTION_TARGET, in_range=False),
            self._events(q.RETENTION_RETURNING, in_range=False),
        )


def funnel_counts(steps: list[pd.DataFrame], window: pd.Timedelta) -> q.FunnelView:
    """Persons reaching each step of an ordered funnel (``windowFunnel`` semantics).

    ``steps`` are each step's ``(person, ts)`` rows. From every step-1 event the earliest
    next step at or after the previous one (an as-of join) is the best continuation, so a
    person's level is the best over their step-1 events of that greedy chain.
    """
    chains = steps[0].rename(columns={"ts": "start"}).sort_values("start")
    chains["level"] = 1
    chains["at"] = chains["start"]
    reached = chains
    for step, rows in enumerate(steps[1:], start=2):
        right = rows.rename(columns={"ts": "next"}).sort_values("next")
        joined = pd.merge_asof(
            reached.sort_values("at"),
            right,
            left_on="at",
            right_on="next",
            by="person",
            direction="forward",
        )
        reached = joined[joined["next"].notna() & (joined["next"] - joined["start"] <= window)]
        reached = reached.assign(at=reached["next"], level=step).drop(columns="next")
        chains = pd.concat([chains, reached[["person", "start", "level", "at"]]])
    level = chains.groupby("person")["level"].max()
    return tuple(int((level >= k).sum()) for k in range(1, len(steps) + 1))


def retention_matrix(target: pd.DataFrame, returning: pd.DataFrame) -> q.RetentionView:
    """First-time weekly retention from the target and returning events' ``(person, ts)``."""
    first = target.groupby("person")["ts"].min()
    cohort = local_weeks(first)
    lo, hi = pd.Timestamp(q.RETENTION_FROM), pd.Timestamp(q.LAST_DAY)
    cohort = cohort[(cohort >= lo) & (cohort <= hi)].rename("cohort")
    back = returning[returning["person"].isin(cohort.index)]
    back = pd.DataFrame({"person": back["person"], "week": local_weeks(back["ts"])})
    back = back.drop_duplicates().join(cohort, on="person")
    back["n"] = (back["week"] - back["cohort"]).dt.days // 7
    back = back[(back["n"] >= 1) & (back["n"] <= q.RETENTION_PERIODS)]
    counts = back.groupby(["cohort", "n"]).size()
    sizes = cohort.value_counts()
    return q.retention_view(
        {c.date(): int(n) for c, n in sizes.items()},
        {(c.date(), int(n)): int(v) for (c, n), v in counts.items()},
    )


# -- PostgreSQL -----------------------------------------------------------------------------


class PostgresPeer:
    """A fresh database (dropped by :meth:`close`) with one ``events`` table and a btree on
    ``(event, ts)``; plain SQL, ``max_parallel_workers_per_gather = 1`` (leader + 1 worker)."""

    def __init__(self, rows: pa.Table, url: str = POSTGRES_URL) -> None:
        import psycopg

        self.admin_url = url
        self.name = f"heron_bench_queries_{os.getpid()}"
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {self.name}")
            admin.execute(f"CREATE DATABASE {self.name}")
        self.con = psycopg.connect(url.rsplit("/", 1)[0] + f"/{self.name}", autocommit=True)
        self.con.execute(
            "CREATE TABLE events (person uuid NOT NULL, event text NOT NULL, ts timestamp NOT NULL)"
        )
        with self.con.cursor() as cur, cur.copy("COPY events FROM STDIN (FORMAT csv)") as copy:
            for batch in rows.to_batches(500_000):
                buffer = io.BytesIO()
                pacsv.write_csv(batch, buffer, pacsv.WriteOptions(include_header=False))
                copy.write(buffer.getvalue())
        self.con.execute("CREATE INDEX events_event_ts ON events (event, ts)")
        self.con.execute("VACUUM ANALYZE events")
        self.con.execute(f"SET max_parallel_workers_per_gather = {THREADS - 1}")
        self.con.execute("SET work_mem = '256MB'")
        lo, hi = utc_bounds()
        self.lo, self.hi = f"'{_literal(lo)}'", f"'{_literal(hi)}'"
        self.local = f"((ts AT TIME ZONE 'UTC') AT TIME ZONE '{q.TIMEZONE}')"

    def _rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()

    def trend(self) -> q.TrendView:
        rows = self._rows(
            f"SELECT {self.local}::date AS day, count(*), count(DISTINCT person) FROM events "
            f"WHERE event = '{q.TREND_EVENT}' AND ts >= {self.lo} AND ts < {self.hi} GROUP BY 1"
        )
        return q.trend_view({day.isoformat(): (int(t), int(d)) for day, t, d in rows})

    def funnel(self) -> q.FunnelView:
        """Window functions: each row's earliest later step events (ties included, by RANGE);
        the earliest step 2 after a step 1 carries the earliest step 3 after it."""
        one, two, three = q.FUNNEL_STEPS
        frame = (
            "(PARTITION BY person ORDER BY ts RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING)"
        )
        window = f"interval '{q.FUNNEL_WINDOW_DAYS} days'"
        row = self._rows(
            f"""
            WITH s AS (
                SELECT person, event, ts FROM events
                WHERE event IN ({_names(q.FUNNEL_STEPS)}) AND ts >= {self.lo} AND ts < {self.hi}
            ), a AS (
                SELECT person, event, ts, min(ts) FILTER (WHERE event = '{three}') OVER w AS n3
                FROM s WINDOW w AS {frame}
            ), b AS (
                SELECT person, event, ts,
                       min(ts) FILTER (WHERE event = '{two}') OVER w AS t2,
                       min(n3) FILTER (WHERE event = '{two}') OVER w AS t3
                FROM a WINDOW w AS {frame}
            ), levels AS (
                SELECT person, max(1 + coalesce((t2 - ts <= {window})::int, 0)
                                     + coalesce((t3 - ts <= {window})::int, 0)) AS level
                FROM b WHERE event = '{one}' GROUP BY person
            )
            SELECT count(*), count(*) FILTER (WHERE level >= 2), count(*) FILTER (WHERE level >= 3)
            FROM levels"""
        )[0]
        return tuple(int(v) for v in row)

    def retention(self) -> q.RetentionView:
        week = f"date_trunc('week', {self.local})::date"
        rows = self._rows(
            f"""
            WITH cohorts AS (
                SELECT person, date_trunc('week', min({self.local}))::date AS cohort FROM events
                WHERE event = '{q.RETENTION_TARGET}' GROUP BY person
            ), members AS (
                SELECT * FROM cohorts
                WHERE cohort >= '{q.RETENTION_FROM}' AND cohort <= '{q.LAST_DAY}'
            ), active AS (
                SELECT DISTINCT person, {week} AS week FROM events
                WHERE event = '{q.RETENTION_RETURNING}'
            )
            SELECT m.cohort, 0 AS n, count(*) FROM members AS m GROUP BY 1
            UNION ALL
            SELECT m.cohort, (a.week - m.cohort) / 7 AS n, count(*)
            FROM members AS m JOIN active AS a ON a.person = m.person
             AND a.week > m.cohort AND a.week <= m.cohort + {7 * q.RETENTION_PERIODS}
            GROUP BY 1, 2"""
        )
        sizes = {cohort: int(c) for cohort, n, c in rows if n == 0}
        returned = {(cohort, int(n)): int(c) for cohort, n, c in rows if n > 0}
        return q.retention_view(sizes, returned)

    def close(self) -> None:
        import psycopg

        self.con.close()
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
