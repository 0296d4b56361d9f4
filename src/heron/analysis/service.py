"""The query service: spec JSON in, ``{"results", "timings", "cached"}`` out.

Used the same way by the HTTP API, the CLI and Python (:func:`query`). Results are cached
by (project, timezone, canonical spec, saved cohort definitions it uses, the project's
data version, the clock): new events change the data version, so they invalidate every
cached result of their project without any bookkeeping. The clock part is the local date,
or the minute when the spec has hour-relative bounds or ``now``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import orjson
from sqlglot import exp

import heron.query.sql  # noqa: F401  (registers SQLQuery; analyses register on import)
from heron.analysis.cohort_store import (
    CohortSource,
    MetaCohorts,
    load_definition,
    referenced_cohorts,
)
from heron.analysis.cohorts import CohortDefinition, canonical, members_query
from heron.config import Settings, load_settings
from heron.query.cache import MemoryCache, QueryCache, cache_key
from heron.query.context import QueryContext
from heron.query.dialects import dialect
from heron.query.registry import KINDS, SpecError, parse_spec
from heron.query.runner import Runner
from heron.query.shared import SharedResults
from heron.store.base import EventStore

_INTERVAL_PARTS = ("months", "days", "nanoseconds")
_FINE_BOUND = re.compile(r"^\s*(now|-\d+h)\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ProjectInfo:
    """What a query needs to know about its project."""

    id: int
    timezone: str = "UTC"


class Extension(Protocol):
    """Project state beyond events that some query kinds read (saved metrics, revenue).

    ``load`` returns the value put in ``ctx.extensions[name]`` and a JSON-able version
    that joins the cache key, so results change when that state does.
    """

    name: str
    kinds: frozenset[str]

    def load(self, project_id: int) -> tuple[Any, Any]: ...


class QueryService:
    """Runs specs against one event store, with a result cache and saved cohorts."""

    def __init__(
        self,
        store: EventStore,
        cache: QueryCache | None = None,
        cohorts: CohortSource | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        extensions: Sequence[Extension] = (),
    ) -> None:
        self.store = store
        self.cache: QueryCache = cache if cache is not None else MemoryCache()
        self.cohorts = cohorts
        self.clock = clock
        self.extensions = tuple(extensions)
        self.shared = SharedResults()

    def run(
        self,
        project: ProjectInfo,
        spec_json: Any,
        *,
        refresh: bool = False,
        share_activity: bool = False,
    ) -> dict[str, Any]:
        """Run one spec for one project; :class:`SpecError` when the spec is invalid.

        ``share_activity``: the spec is one of several run together (a dashboard's widgets),
        see ``QueryContext.share_activity``; the results are the same either way."""
        started = time.perf_counter()
        spec = parse_spec(spec_json)
        tz = ZoneInfo(project.timezone)
        now = self.clock()
        spec_data = spec.model_dump(mode="json", by_alias=True)
        definitions = {
            cid: self._definition(project.id, cid) for cid in referenced_cohorts(spec_data)
        }
        loaded = {e.name: e.load(project.id) for e in self.extensions if spec.kind in e.kinds}
        key = cache_key(
            project.id,
            project.timezone,
            spec_data,
            {str(cid): canonical(d) for cid, d in definitions.items()},
            self.store.data_version(project.id),
            _clock_part(spec_data, now, tz),
            *([{name: version for name, (_, version) in loaded.items()}] if loaded else []),
        )
        if not refresh:
            hit = self.cache.get(key)
            if hit is not None:
                return _envelope(orjson.loads(hit), started, 0.0, cached=True)
        ctx = QueryContext(
            project.id, tz, dialect(self.store.dialect), now=now, share_activity=share_activity
        )
        ctx.extensions = {name: value for name, (value, _) in loaded.items()}

        def cohort_members(cohort_id: int) -> exp.Query:
            if cohort_id not in definitions:
                definitions[cohort_id] = self._definition(project.id, cohort_id)
            return members_query(ctx, definitions[cohort_id])

        ctx.cohort_members = cohort_members
        runner = Runner(self.store, ctx, self.shared)
        try:
            raw = KINDS[spec.kind].run(spec, runner)
        except SpecError:
            raise
        except ValueError as exc:
            raise SpecError([{"loc": [], "msg": str(exc), "type": "value_error"}]) from None
        blob = orjson.dumps(
            raw, default=_json_default, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
        )
        self.cache.set(key, blob)
        return _envelope(orjson.loads(blob), started, runner.seconds, cached=False)

    def _definition(self, project_id: int, cohort_id: int) -> CohortDefinition:
        if self.cohorts is None:
            raise SpecError(
                [
                    {
                        "loc": ["cohort"],
                        "msg": "saved cohorts are not available",
                        "type": "value_error",
                    }
                ]
            )
        return load_definition(self.cohorts, project_id, cohort_id)


def _envelope(results: Any, started: float, sql_seconds: float, *, cached: bool) -> dict[str, Any]:
    total_ms = (time.perf_counter() - started) * 1000
    timings = {"total_ms": round(total_ms, 3), "sql_ms": round(sql_seconds * 1000, 3)}
    return {"results": results, "timings": timings, "cached": cached}


def _clock_part(spec_data: Any, now: datetime, tz: ZoneInfo) -> str:
    local = now.astimezone(tz)
    if _has_fine_bound(spec_data):
        return local.strftime("%Y-%m-%dT%H:%M")
    return local.date().isoformat()


def _has_fine_bound(value: Any) -> bool:
    if isinstance(value, str):
        return bool(_FINE_BOUND.match(value))
    if isinstance(value, dict):
        return any(_has_fine_bound(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_fine_bound(v) for v in value)
    return False


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, set | frozenset):
        return list(value)
    if isinstance(value, date):
        return value.isoformat()
    if all(hasattr(value, part) for part in _INTERVAL_PARTS):
        return {part: getattr(value, part) for part in _INTERVAL_PARTS}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__} in a query result")


def query(spec: Any, project_id: int, settings: Settings | None = None) -> dict[str, Any]:
    """Run a spec for a project of the configured data dir (the Python API).

    Opens the metadata database and the event store, runs, and closes them; returns the
    same envelope as the HTTP API. Raises ``LookupError`` for an unknown project and
    :class:`SpecError` for an invalid spec.
    """
    from heron.meta.db import close_meta, open_meta
    from heron.meta.projects import get_project
    from heron.store.base import open_store

    settings = settings or load_settings()
    meta = open_meta(settings)
    try:
        with meta() as s:
            project = get_project(s, project_id)
            if project is None:
                raise LookupError(f"no project with id {project_id}")
            info = ProjectInfo(project.id, project.timezone)
        store = open_store(settings.resolved_events_url)
        try:
            from heron.metrics.extensions import meta_extensions

            service = QueryService(
                store, MemoryCache(), MetaCohorts(meta), extensions=meta_extensions(meta)
            )
            return service.run(info, spec)
        finally:
            store.close()
    finally:
        close_meta(meta)
