"""Metric snapshots: pre-aggregated values per metric, interval, dimension and bucket.

A snapshot series is computed by the same ``MetricQuery`` code over its coverage (from
its first bucket to the end of the project's local today) and stored in the metadata
database with the store's data version and a watermark (the newest ``inserted_at`` it
has seen). A refresh recomputes only what new events can have changed: from the bucket
of the earliest newly inserted event — minus the metric's reach into the past (a late
activity changes the D7 retention of the cohort 7 days before it) — to the coverage end.
Late events are therefore included however old their timestamps.

``MetricQuery`` answers from snapshots only when they are exactly what it would compute:
the series' data version is the store's current one (no event arrived since), the range
starts on a bucket boundary inside the coverage and ends on a boundary or at the coverage
end, and the query has no filters or cohort. Metrics whose buckets depend on where the
range starts (sessions are cut at the range start) and metrics reading the subscription
ledger (revenue metrics, CAC, simple LTV: webhooks change them without new events) are
not snapshotted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker
from sqlglot import exp

from heron.analysis.intervals import Buckets, as_datetime
from heron.meta.metric_models import MetricSnapshot, SnapshotState
from heron.meta.models import Project
from heron.metrics.builtins import BUILTINS
from heron.metrics.sessions import SESSION_METRICS
from heron.query import dates
from heron.query.context import QueryContext, TimeRange
from heron.query.dialects import dialect
from heron.query.runner import Runner
from heron.query.source import event_rows, person_id
from heron.store.base import EventStore
from heron.store.identity import IDENTITY_EVENTS

EXTENSION = "snapshots"
DAY = timedelta(days=1)
HORIZON = timedelta(days=400)
"""How far back a new series starts when the project's data is older."""
DEFAULT_SERIES = tuple((m, "day", "") for m in ("dau", "wau", "mau", "stickiness", "signups"))
"""Snapshotted unless the project setting ``metric_snapshots`` lists others."""
REACH: dict[str, timedelta | None] = {
    "d1_retention": DAY,
    "d7_retention": 7 * DAY,
    "d30_retention": 30 * DAY,
    "d1_retention_on_or_after": None,
    "d7_retention_on_or_after": None,
    "d30_retention_on_or_after": None,
    "message_response_time": None,
    "ai_nudge_effectiveness": DAY,
    "activation_rate": 7 * DAY,
}
"""How far before an event's bucket it can change values (``None``: any bucket)."""
NONE_KEY = "null"


@dataclass(frozen=True, slots=True)
class SeriesKey:
    metric: str
    interval: str
    dimension: str = ""


def snapshottable(key: SeriesKey) -> str | None:
    """Why a series cannot be snapshotted (``None`` when it can)."""
    builtin = BUILTINS.get(key.metric)
    if builtin is None:
        return f"unknown built-in metric {key.metric!r}"
    if builtin.reads_ledger or key.metric in SESSION_METRICS:
        return f"{key.metric!r} is not snapshotted (see docs/metrics.md)"
    if key.interval not in ("day", "week", "month"):
        return "snapshots need a day, week or month interval"
    if key.dimension and builtin.formula is not None:
        return "formula metrics are snapshotted without a dimension"
    return None


def configured(settings: Mapping[str, Any]) -> list[SeriesKey]:
    raw = settings.get("metric_snapshots")
    if not isinstance(raw, list):
        return [SeriesKey(*s) for s in DEFAULT_SERIES]
    keys = [
        SeriesKey(
            str(s.get("metric")), str(s.get("interval", "day")), str(s.get("dimension") or "")
        )
        for s in raw
        if isinstance(s, dict)
    ]
    return [k for k in keys if snapshottable(k) is None]


def settings_hash(settings: Mapping[str, Any]) -> str:
    """A fingerprint of what metric values depend on besides events (event map, options)."""
    relevant = {k: settings.get(k) for k in ("event_map", "metric_options")}
    return hashlib.sha256(orjson.dumps(relevant, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _project_hash(s: Session, project_id: int) -> str:
    project = s.get(Project, project_id)
    return settings_hash(dict(project.settings or {}) if project is not None else {})


def _key(value: Any) -> str:
    return NONE_KEY if value is None else orjson.dumps(value).decode()


def _unkey(text: str) -> Any:
    return None if text == NONE_KEY else orjson.loads(text)


def _state(s: Session, project_id: int, key: SeriesKey) -> SnapshotState | None:
    query = select(SnapshotState).where(
        SnapshotState.project_id == project_id,
        SnapshotState.metric == key.metric,
        SnapshotState.interval == key.interval,
        SnapshotState.dimension == key.dimension,
    )
    return s.scalars(query).first()


def _new_events(runner: Runner, watermark: datetime | None) -> tuple[Any, Any]:
    """Earliest timestamp a refresh must recompute from, and the newest ``inserted_at``, of
    events at or past the watermark.

    At, not only past: a commit stamped with the watermark's very instant may become
    visible after the scan that set it. A new ``$identify`` or ``$create_alias`` may merge
    persons, which changes every bucket where the merged person was active, so the
    earliest event of each person such an event resolves to counts as new too.
    """
    since: exp.Expression | None = None
    if watermark is not None:
        moment = watermark.astimezone(UTC).replace(tzinfo=None)
        since = exp.GT(
            this=exp.column("inserted_at", "e"), expression=runner.ctx.dialect.timestamp(moment)
        )
    fresh = event_rows(runner.ctx, None).select(
        exp.alias_(exp.Min(this=exp.column("timestamp", "e")), "first_ts"),
        exp.alias_(exp.Max(this=exp.column("inserted_at", "e")), "inserted"),
    )
    merging = event_rows(runner.ctx, None, events=IDENTITY_EVENTS).select(person_id(runner.ctx))
    if since is not None:
        fresh = fresh.where(since)
        merging = merging.where(since.copy())
    merged = event_rows(runner.ctx, None).select(
        exp.alias_(exp.Min(this=exp.column("timestamp", "e")), "first_ts")
    )
    merged = merged.where(exp.In(this=person_id(runner.ctx), query=merging.subquery()))
    row = runner.execute(fresh).to_pylist()[0]
    if row["first_ts"] is None:
        return None, row["inserted"]
    earliest = runner.execute(merged).to_pylist()[0]["first_ts"]
    first = row["first_ts"] if earliest is None else min(row["first_ts"], earliest)
    return first, row["inserted"]


def refresh(
    store: EventStore,
    meta: sessionmaker[Session],
    project_id: int,
    key: SeriesKey,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Bring one series up to date; returns what was recomputed."""
    from heron.metrics.extensions import MetricsExtension
    from heron.metrics.query import MetricQuery, compute

    problem = snapshottable(key)
    if problem:
        raise ValueError(problem)
    now = now or datetime.now(UTC)
    with meta() as s:
        project = s.get(Project, project_id)
        if project is None:
            raise LookupError(f"no project with id {project_id}")
        tz = ZoneInfo(project.timezone)
        fingerprint = settings_hash(dict(project.settings or {}))
        state = _state(s, project_id, key)
        if state is not None and state.settings_hash != fingerprint:
            state = None
        watermark = state.watermark if state else None
    version = store.data_version(project_id)
    ctx = QueryContext(project_id, tz, dialect(store.dialect), now=now)
    ctx.extensions["metrics"] = MetricsExtension(meta).load(project_id)[0]
    runner = Runner(store, ctx)
    first_ts, inserted = _new_events(runner, watermark)
    end = dates.truncate(now.astimezone(tz).replace(tzinfo=None), "day") + DAY
    interval: Any = key.interval
    if state is None:
        oldest = _local(first_ts, tz) if first_ts is not None else end - DAY
        start = dates.truncate(max(oldest, end - HORIZON), interval)
        coverage_start = start
    else:
        coverage_start = datetime.fromisoformat(state.coverage_start)
        old_end = datetime.fromisoformat(state.coverage_end)
        candidates = [dates.truncate(old_end - DAY, interval)]
        if first_ts is not None:
            reach = REACH.get(key.metric, timedelta(0))
            late = coverage_start if reach is None else _local(first_ts, tz) - reach
            candidates.append(dates.truncate(max(late, coverage_start), interval))
        start = min(candidates)
        if first_ts is None and old_end == end:
            start = end
    rows: dict[str, dict[str, Any]] = {}
    if start < end:
        spec: dict[str, Any] = {
            "kind": "MetricQuery",
            "metric": key.metric,
            "interval": key.interval,
            "date_from": start.date().isoformat(),
            "date_to": (end - DAY).date().isoformat(),
        }
        if key.dimension:
            spec["breakdown"] = {"property": key.dimension}
        _, labels, values = compute(MetricQuery.model_validate(spec), runner)
        for i, label in enumerate(labels):
            rows[label] = {_key(value): data[i] for value, data in values.items()}
    with meta.begin() as s:
        scope = (
            MetricSnapshot.project_id == project_id,
            MetricSnapshot.metric == key.metric,
            MetricSnapshot.interval == key.interval,
            MetricSnapshot.dimension == key.dimension,
        )
        if rows:
            s.execute(delete(MetricSnapshot).where(*scope, MetricSnapshot.bucket >= min(rows)))
            for label, value in rows.items():
                s.add(
                    MetricSnapshot(
                        project_id=project_id,
                        metric=key.metric,
                        interval=key.interval,
                        dimension=key.dimension,
                        bucket=label,
                        values=value,
                    )
                )
        state = _state(s, project_id, key)
        if state is None:
            state = SnapshotState(
                project_id=project_id,
                metric=key.metric,
                interval=key.interval,
                dimension=key.dimension,
            )
            s.add(state)
        state.coverage_start = coverage_start.isoformat()
        state.coverage_end = end.isoformat()
        state.watermark = (
            as_datetime(inserted).replace(tzinfo=UTC) if inserted is not None else watermark
        )
        state.data_version = version
        state.settings_hash = fingerprint
    return {
        "metric": key.metric,
        "interval": key.interval,
        "dimension": key.dimension,
        "buckets": len(rows),
    }


def _local(utc: Any, tz: ZoneInfo) -> datetime:
    return as_datetime(utc).replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)


def refresh_project(
    store: EventStore, meta: sessionmaker[Session], project_id: int
) -> list[dict[str, Any]]:
    """Refresh every configured series of a project."""
    with meta() as s:
        project = s.get(Project, project_id)
        settings = dict(project.settings or {}) if project is not None else {}
    return [refresh(store, meta, project_id, key) for key in configured(settings)]


@dataclass(slots=True)
class SnapshotReader:
    """Answers ``MetricQuery`` buckets from fresh snapshots (``ctx.extensions["snapshots"]``)."""

    meta: sessionmaker[Session]
    project_id: int

    def read(
        self, key: SeriesKey, buckets: Buckets, rng: TimeRange, version: int
    ) -> dict[Any, list[float]] | None:
        """Values per breakdown value, or ``None`` when the snapshots cannot answer exactly."""
        if snapshottable(key) is not None or not buckets.keys:
            return None
        if buckets.keys[0] != rng.start_local:
            return None
        with self.meta() as s:
            state = _state(s, self.project_id, key)
            if state is None or state.data_version != version:
                return None
            if state.settings_hash != _project_hash(s, self.project_id):
                return None
            start, end = (
                datetime.fromisoformat(state.coverage_start),
                datetime.fromisoformat(state.coverage_end),
            )
            boundary = dates.step(buckets.keys[-1], key.interval) == rng.end_local  # type: ignore[arg-type]
            if (
                rng.start_local < start
                or rng.end_local > end
                or not (boundary or rng.end_local == end)
            ):
                return None
            query = select(MetricSnapshot).where(
                MetricSnapshot.project_id == self.project_id,
                MetricSnapshot.metric == key.metric,
                MetricSnapshot.interval == key.interval,
                MetricSnapshot.dimension == key.dimension,
                MetricSnapshot.bucket.in_(buckets.labels),
            )
            found = {row.bucket: row.values for row in s.scalars(query)}
        if len(found) != len(buckets.labels):
            return None
        out: dict[Any, list[float]] = {}
        for i, label in enumerate(buckets.labels):
            for value_key, value in found[label].items():
                out.setdefault(_unkey(value_key), [0.0] * len(buckets.labels))[i] = value
        if not key.dimension:
            out.setdefault(None, [0.0] * len(buckets.labels))
        return out


class SnapshotExtension:
    """Gives ``MetricQuery`` a reader of the project's snapshots."""

    name = EXTENSION
    kinds = frozenset({"MetricQuery"})

    def __init__(self, meta: sessionmaker[Session]) -> None:
        self.meta = meta

    def load(self, project_id: int) -> tuple[SnapshotReader, int]:
        return SnapshotReader(self.meta, project_id), 0
