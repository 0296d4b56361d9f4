"""What the query suite asks: the data set's shape, one spec per insight, and how to
run a spec through Heron (the runner directly: no result cache) and read its numbers.

Every peer answers the trend, funnel and retention questions in the *views* defined
here (plain tuples), so a peer's numbers and Heron's compare with ``==``.
"""

from __future__ import annotations

import importlib
import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bench.harness import median, proc_memory, repeat

PRODUCT = "funding"
"""Demo product with a planted funnel (signup → project_viewed → funding) and churn."""
SEED = 0
PROJECT_ID = 1
TIMEZONE = "Europe/Berlin"
"""``heron.demo.timezone_for("funding")``; the generator's local days are this zone's."""
FIRST_DAY = date(2025, 1, 1)
LAST_DAY = date(2025, 4, 30)
"""``heron.demo.DEFAULT_END`` and the 120 local days before it: the whole data set."""
NOW = datetime(2025, 5, 1, 12, tzinfo=UTC)
"""The queries' clock: the day after the data ends (fixes relative cohorts and retention)."""

TREND_EVENT = "pageview"
BREAKDOWN_PROPERTY = "$browser"
FUNNEL_STEPS = ("signup", "project_viewed", "funding")
FUNNEL_WINDOW_DAYS = 14
RETENTION_TARGET = "signup"
RETENTION_RETURNING = "pageview"
RETENTION_PERIODS = 8
RETENTION_FROM = date(2025, 1, 6)
"""The first Monday of the range: first_time cohorts are the weeks starting in the range."""
PATHS_START = "signup"
COHORT_ID = 1
COHORT_DEFINITION = {"event": "funding", "operator": "gte", "count": 1, "days": 30}
"""The cohort filter's cohort: persons who funded a project in the last 30 days."""
SLOW_SECONDS = 10.0
"""A query whose warm-up took longer is timed once more, not ``runs`` times."""
SQL = (
    "select event, count(*) as events, count(distinct person_id) as persons "
    "from events group by event order by events desc"
)

_RANGE = {"date_from": FIRST_DAY.isoformat(), "date_to": LAST_DAY.isoformat()}

TrendView = tuple[tuple[str, int, int], ...]
"""(local day, events, distinct persons) for every day of the range, zero-filled."""
FunnelView = tuple[int, ...]
"""Persons reaching each step."""
RetentionView = tuple[tuple[str, tuple[int, ...]], ...]
"""(cohort week start, [size, returned in week 1, …]) per cohort, in order."""


@dataclass(frozen=True, slots=True)
class Insight:
    """One benchmarked question: its Heron spec, and which peer question it is (if any:
    ``trend``, ``funnel`` or ``retention``)."""

    key: str
    title: str
    spec: dict[str, Any]
    peer: str | None = None

    @property
    def module(self) -> str:
        """The Heron module registering the spec's kind (``TrendsQuery`` → ``…trends``)."""
        kind = self.spec["kind"]
        if kind == "SQLQuery":
            return "heron.query.sql"
        return "heron.analysis." + kind.removesuffix("Query").lower()


def _series(*maths: str) -> list[dict[str, str]]:
    return [{"event": TREND_EVENT, "math": math} for math in maths]


_DAILY = {"interval": "day", **_RANGE}
INSIGHTS: tuple[Insight, ...] = (
    Insight(
        "trend",
        "trend: total + DAU, daily",
        {"kind": "TrendsQuery", "series": _series("total", "dau"), **_DAILY},
        "trend",
    ),
    Insight(
        "breakdown",
        f"trend by {BREAKDOWN_PROPERTY}",
        {
            "kind": "TrendsQuery",
            "series": _series("total"),
            "breakdown": {"property": BREAKDOWN_PROPERTY, "type": "event"},
            **_DAILY,
        },
    ),
    Insight(
        "funnel",
        f"funnel: 3 steps, {FUNNEL_WINDOW_DAYS}-day window",
        {
            "kind": "FunnelsQuery",
            "steps": [{"event": e} for e in FUNNEL_STEPS],
            "conversion_window": {"value": FUNNEL_WINDOW_DAYS, "unit": "day"},
            "order": "ordered",
            **_RANGE,
        },
        "funnel",
    ),
    Insight(
        "retention",
        f"retention: first_time, {RETENTION_PERIODS} weeks",
        {
            "kind": "RetentionQuery",
            "target_event": RETENTION_TARGET,
            "returning_event": RETENTION_RETURNING,
            "period": "week",
            "periods": RETENTION_PERIODS,
            "retention_type": "first_time",
            "date_from": RETENTION_FROM.isoformat(),
            "date_to": LAST_DAY.isoformat(),
        },
        "retention",
    ),
    Insight(
        "stickiness",
        "stickiness, daily",
        {"kind": "StickinessQuery", "series": [{"event": TREND_EVENT}], **_DAILY},
    ),
    Insight(
        "lifecycle", "lifecycle, daily", {"kind": "LifecycleQuery", "event": TREND_EVENT, **_DAILY}
    ),
    Insight(
        "paths",
        f"paths from {PATHS_START}",
        {"kind": "PathsQuery", "start_event": PATHS_START, "step_limit": 5, **_RANGE},
    ),
    Insight(
        "cohort",
        "trend (DAU) filtered by a cohort",
        {"kind": "TrendsQuery", "series": _series("dau"), "cohort": COHORT_ID, **_DAILY},
    ),
    Insight("sql", "SQLQuery aggregate", {"kind": "SQLQuery", "sql": SQL}),
)


# -- sizes ------------------------------------------------------------------------------------

_SUFFIXES = {"k": 1_000, "m": 1_000_000}


def parse_sizes(text: str) -> list[int]:
    """``"1m,10m"`` → ``[1_000_000, 10_000_000]`` (``k`` and ``m`` suffixes)."""
    sizes = []
    for part in text.lower().replace(" ", "").split(","):
        if not part:
            continue
        scale = _SUFFIXES.get(part[-1], 1)
        number = part[:-1] if part[-1] in _SUFFIXES else part
        if not number.isdigit() or int(number) == 0:
            raise ValueError(f"not a size: {part!r} (try 1m, 10m, 100m)")
        sizes.append(int(number) * scale)
    if not sizes:
        raise ValueError("no sizes given")
    return sizes


def size_label(events: int) -> str:
    """``10_000_000`` → ``10M``."""
    for suffix, scale in (("M", 1_000_000), ("k", 1_000)):
        if events % scale == 0:
            return f"{events // scale}{suffix}"
    return str(events)


# -- Heron ----------------------------------------------------------------------------------


def unavailable(insight: Insight) -> str | None:
    """Why Heron cannot run this insight in this tree (None when it can)."""
    from heron.query.registry import KINDS

    problems = []
    for module in ("heron.analysis", insight.module):
        try:
            importlib.import_module(module)
        except Exception as exc:  # a module another engineer is still finishing
            problems.append(f"{module}: {type(exc).__name__}")
    kind = insight.spec["kind"]
    if kind in KINDS:
        return None
    reason = "; ".join(problems) if problems else "not registered"
    return f"{kind} not available ({reason})"


def heron_runner(insight: Insight, store: Any) -> Callable[[], Any]:
    """A function running the insight once on ``store`` through Heron's runner, as the query
    service does without its result cache: validate the spec, build the context, run."""
    from heron.analysis.cohorts import members_query, parse_definition
    from heron.query.context import QueryContext
    from heron.query.dialects import dialect
    from heron.query.registry import KINDS, parse_spec
    from heron.query.runner import Runner

    def once() -> Any:
        spec = parse_spec(insight.spec)
        ctx = QueryContext(PROJECT_ID, ZoneInfo(TIMEZONE), dialect(store.dialect), now=NOW)
        cohort = parse_definition(COHORT_DEFINITION)
        ctx.cohort_members = lambda _cohort_id: members_query(ctx, cohort)
        return KINDS[spec.kind].run(spec, Runner(store, ctx))

    return once


# -- views ----------------------------------------------------------------------------------


def day_labels(first: date = FIRST_DAY, last: date = LAST_DAY) -> list[str]:
    """Every local day of ``[first, last]`` as an ISO date."""
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def trend_view(rows: Mapping[str, tuple[int, int]], labels: list[str] | None = None) -> TrendView:
    """Per-day ``(events, persons)`` (days without events absent) → the zero-filled view."""
    return tuple((day, *rows.get(day, (0, 0))) for day in labels or day_labels())


def heron_trend(result: list[dict[str, Any]]) -> TrendView:
    """Heron's trend result (series ``total`` then ``dau``) as a view."""
    total, dau = result
    rows = {
        label: (int(t), int(d))
        for label, t, d in zip(total["labels"], total["data"], dau["data"], strict=True)
    }
    return trend_view(rows, list(total["labels"]))


def heron_funnel(result: dict[str, Any]) -> FunnelView:
    return tuple(int(step["count"]) for step in result["steps"])


def heron_retention(result: dict[str, Any]) -> RetentionView:
    return tuple(
        (str(c["cohort_start"])[:10], tuple(int(v) for v in c["values"])) for c in result["cohorts"]
    )


HERON_VIEWS: dict[str, Callable[[Any], Any]] = {
    "trend": heron_trend,
    "funnel": heron_funnel,
    "retention": heron_retention,
}


def retention_periods(cohort: date, now: datetime = NOW, periods: int = RETENTION_PERIODS) -> int:
    """How many of ``values`` a cohort has: its size, then each week that has begun by ``now``
    (later weeks have not happened yet and are omitted)."""
    today = now.astimezone(ZoneInfo(TIMEZONE)).date()
    begun = (today - cohort).days // 7
    return 1 + max(0, min(periods, begun))


def retention_view(
    sizes: Mapping[date, int], returned: Mapping[tuple[date, int], int], now: datetime = NOW
) -> RetentionView:
    """Cohort sizes and ``(cohort, n) → persons back in week n`` → the view (in cohort order)."""
    view = []
    for cohort in sorted(sizes):
        values = [sizes[cohort]]
        values += [returned.get((cohort, n), 0) for n in range(1, retention_periods(cohort, now))]
        view.append((cohort.isoformat(), tuple(values)))
    return tuple(view)


def canonical(value: Any) -> Any:
    """A result reduced to what must agree across backends: floats to 9 significant digits,
    SQL rows as a sorted list without the engine's type names."""
    if isinstance(value, dict):
        if "rows" in value and "columns" in value:
            return {
                "columns": value["columns"],
                "rows": sorted(map(repr, canonical(value["rows"]))),
            }
        return {str(k): canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        return float(f"{value:.9g}") if math.isfinite(value) else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def first_difference(left: Any, right: Any, path: str = "") -> str | None:
    """Where two canonical results first differ (``None`` when equal), for the report."""
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(set(left) | set(right)):
            found = first_difference(left.get(key), right.get(key), f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(left, list) and isinstance(right, list):
        for i, (a, b) in enumerate(zip(left, right, strict=False)):
            found = first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        if len(left) != len(right):
            return f"{path or 'result'}: {len(left)} vs {len(right)} items"
        return None
    if left != right:
        return f"{path or 'result'}: {str(left)[:80]} vs {str(right)[:80]}"
    return None


# -- measuring and comparing ----------------------------------------------------------------


def timed(fn: Callable[[], Any], warmups: int, runs: int) -> tuple[dict[str, Any], Any]:
    """``warmups`` untimed runs (the first one's result is returned), then ``runs`` timed
    ones, or a single one when the warm-up took over :data:`SLOW_SECONDS`."""
    try:
        started = time.perf_counter()
        result = fn()
        first = time.perf_counter() - started
        for _ in range(warmups - 1):
            fn()
        seconds = repeat(fn, 1 if first > SLOW_SECONDS else runs)
    except Exception as exc:
        return {"seconds": [], "error": f"{type(exc).__name__}: {str(exc)[:300]}"}, None
    return {"seconds": seconds, "error": None}, result


def median_ms(timing: dict[str, Any] | None) -> float | None:
    """A timing's median in milliseconds (None when it has no runs)."""
    seconds = timing.get("seconds") if timing else None
    return median(seconds) * 1000 if seconds else None


def progress(label: str, timing: dict[str, Any]) -> None:
    shown = timing["error"] or f"{median_ms(timing) or 0:,.1f} ms"
    print(f"  {label}: {shown[:200]}", flush=True)


def peak_rss() -> int:
    return proc_memory(os.getpid()).get("VmHWM", 0)


def compare(
    reference: tuple[str, Any] | None, results: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Each result against the reference's: ``{name: {"same": bool, "difference": str}}``."""
    if reference is None:
        return {}
    ref_name, ref_value = reference
    marks = {}
    for name, value in results.items():
        if name == ref_name or value is None:
            continue
        difference = first_difference(canonical(ref_value), canonical(value))
        marks[name] = {"same": difference is None, "difference": difference, "vs": ref_name}
    return marks


def checks(insight: Insight, results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Heron chdb against Heron DuckDB; each peer against Heron (or the first peer that
    answered, when Heron cannot run the insight)."""
    heron = {k: v for k, v in results.items() if k in ("duckdb", "chdb") and v is not None}
    marks = compare(next(iter(heron.items()), None), heron)
    if insight.peer is None:
        return marks
    view = HERON_VIEWS[insight.peer]
    views = {k: _read(view, v) if k in heron else v for k, v in results.items() if v is not None}
    reference = next(iter(views.items()), None)
    peer_marks = compare(reference, {k: v for k, v in views.items() if k not in heron})
    return {**marks, **peer_marks}


def _read(view: Callable[[Any], Any], result: Any) -> Any:
    """Heron's result as a view; a result of an unexpected shape becomes a mismatch."""
    try:
        return view(result)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        return f"unreadable result ({type(exc).__name__}: {exc})"
