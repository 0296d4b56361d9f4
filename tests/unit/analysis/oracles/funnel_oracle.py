"""A plain-Python funnel oracle, written from the definitions, not from the engine.

Levels come from enumerating every chain (distinct events, one per step, timestamps
not decreasing — strictly increasing with ``strict_increase`` — within the window), so
they restate ``windowFunnel``'s semantics declaratively; strict funnels cut each unit's
entries where ClickHouse's ``strict_order`` would stop. The reported chain, exclusions,
trends units, first-touch breakdown values, unordered matchings and the aggregates
follow the docstrings of :mod:`heron.analysis.funnels` and ``funnels_sql``.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.unit.analysis.oracles.trends_oracle import Event, bucket

UNIT = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}
OTHER, NONE = "$other", "$none"


@dataclass(frozen=True)
class Row:
    index: int
    ts: int
    steps: frozenset[int]
    step_event: bool
    exclusions: frozenset[int]
    value: str | None
    bucket: Any


Entry = tuple[int, int, int]
"""(timestamp, step, row index): ClickHouse's sort order."""


def micros(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp()) * 1_000_000 + moment.microsecond


def matches(event: Event, name: str, filters: list[dict[str, Any]]) -> bool:
    if event.event != name:
        return False
    for f in filters:
        assert f["operator"] == "eq"
        if event.properties.get(f["property"]) != f["value"]:
            return False
    return True


def rows_of(events: list[Event], spec: dict[str, Any], tz: ZoneInfo) -> dict[str, list[Row]]:
    """Each person's funnel rows inside the spec's local date range."""
    lo = date.fromisoformat(spec["date_from"])
    hi = date.fromisoformat(spec["date_to"])
    steps, exclusions = spec["steps"], spec.get("exclusions", [])
    names = {s["event"] for s in steps}
    interval = spec.get("interval", "day")
    per_person: dict[str, list[Row]] = defaultdict(list)
    for index, e in enumerate(events):
        local = e.utc.replace(tzinfo=UTC).astimezone(tz)
        if not lo <= local.date() <= hi:
            continue
        matched = frozenset(
            j for j, s in enumerate(steps, 1) if matches(e, s["event"], s.get("filters", []))
        )
        excluded = frozenset(
            i for i, x in enumerate(exclusions) if matches(e, x["event"], x.get("filters", []))
        )
        if not matched and not excluded and e.event not in names:
            continue
        value = None
        if spec.get("breakdown"):
            raw = e.properties.get(spec["breakdown"]["property"])
            value = None if raw is None else str(raw)
        per_person[e.person].append(
            Row(
                index,
                micros(e.utc),
                matched,
                e.event in names,
                excluded,
                value,
                bucket(local.replace(tzinfo=None), interval),
            )
        )
    return per_person


def entries_of(rows: list[Row], strict: bool) -> list[Entry]:
    out = [(r.ts, j, r.index) for r in rows for j in r.steps]
    if strict:
        out += [(r.ts, 0, r.index) for r in rows if not r.steps and r.step_event]
    return sorted(out)


def all_chains(entries: list[Entry], k: int, window: int, increase: bool) -> list[list[Entry]]:
    chains: list[list[Entry]] = []

    def extend(chain: list[Entry]) -> None:
        chains.append(chain)
        if len(chain) == k:
            return
        last, start = chain[-1][0], chain[0][0]
        used = {e[2] for e in chain}
        for e in entries:
            later = e[0] > last if increase else e[0] >= last
            if e[1] == len(chain) + 1 and e[2] not in used and later and e[0] - start <= window:
                extend([*chain, e])

    for e in entries:
        if e[1] == 1:
            extend([e])
    return chains


def strict_prefix(entries: list[Entry], k: int, window: int, increase: bool) -> list[Entry]:
    """The entries ClickHouse's ``strict_order`` processes before it stops."""
    first = next((i for i, e in enumerate(entries) if e[1] == 1), None)
    if first is None:
        return entries
    for i in range(first + 1, len(entries)):
        step = entries[i][1]
        if step == 0:
            return entries[:i]
        if step >= 2:
            level = max(map(len, all_chains(entries[:i], k, window, increase)), default=0)
            if level < step - 1:
                return entries[:i]
    return entries


def reported(rows: list[Row], spec: dict[str, Any]) -> tuple[int, tuple[int, ...]]:
    """(level, step timestamps of the latest-starting, earliest-timed deepest chain)."""
    k, window = len(spec["steps"]), window_of(spec)
    strict, increase = spec.get("order") == "strict", bool(spec.get("strict_increase"))
    entries = entries_of(rows, strict)
    if strict:
        entries = strict_prefix(entries, k, window, increase)
    chains = all_chains(entries, k, window, increase)
    if not chains:
        return 0, ()
    level = max(map(len, chains))
    deepest = [tuple(e[0] for e in c) for c in chains if len(c) == level]
    start = max(t[0] for t in deepest)
    return level, min(t for t in deepest if t[0] == start)


def window_of(spec: dict[str, Any]) -> int:
    w = spec.get("conversion_window", {"value": 14, "unit": "day"})
    return w["value"] * UNIT[w["unit"]] * 1_000_000


def excluded(level: int, times: tuple[int, ...], rows: list[Row], spec: dict[str, Any]) -> int:
    window = window_of(spec)
    caps = []
    for i, x in enumerate(spec.get("exclusions", [])):
        a, b = x["from_step"], x["to_step"]
        if level <= a:
            continue
        end = times[b - 1] if level >= b else times[0] + window + 1
        if any(i in r.exclusions and times[a - 1] < r.ts < end for r in rows):
            caps.append(a)
    return min([level, *caps])


def max_matching(k: int, rows: list[Row]) -> int:
    owner: dict[int, int] = {}

    def augment(step: int, seen: set[int]) -> bool:
        for r, row in enumerate(rows):
            if step in row.steps and r not in seen:
                seen.add(r)
                if r not in owner or augment(owner[r], seen):
                    owner[r] = step
                    return True
        return False

    return sum(augment(step, set()) for step in range(1, k + 1))


def first_touch(rows: Iterable[Row]) -> str | None:
    ranked = sorted(rows, key=lambda r: (r.ts, r.value is None, r.value or ""))
    return ranked[0].value if ranked else None


@dataclass(frozen=True)
class Unit:
    person: str
    bucket: Any
    level: int
    times: tuple[int, ...]
    value: str | None


def units(events: list[Event], spec: dict[str, Any], tz: ZoneInfo) -> list[Unit]:
    trends = spec.get("funnel_viz") == "trends"
    out = []
    for person, rows in rows_of(events, spec, tz).items():
        if spec.get("order") == "unordered":
            out.extend(_unordered_units(person, rows, spec, trends))
            continue
        starts = sorted({r.bucket for r in rows if 1 in r.steps}) if trends else [None]
        for key in starts:
            mine = [_restricted(r, key) for r in rows] if trends else rows
            level, times = reported(mine, spec)
            if level == 0:
                continue
            value = first_touch(r for r in mine if 1 in r.steps)
            out.append(Unit(person, key, excluded(level, times, mine, spec), times, value))
    return out


def _restricted(row: Row, key: Any) -> Row:
    """A trends unit's view of a row: step 1 only matches in the unit's own interval."""
    return row if row.bucket == key else replace(row, steps=row.steps - {1})


def _unordered_units(person: str, rows: list[Row], spec: dict[str, Any], trends: bool):
    k, window = len(spec["steps"]), window_of(spec)
    stepped = [r for r in rows if r.steps]
    best: dict[Any, int] = {}
    for anchor in stepped:
        inside = [r for r in stepped if anchor.ts <= r.ts <= anchor.ts + window]
        key = anchor.bucket if trends else None
        best[key] = max(best.get(key, 0), max_matching(k, inside))
    for key, level in best.items():
        mine = [r for r in stepped if not trends or r.bucket == key]
        yield Unit(person, key, level, (), first_touch(mine))


def labelled(unit_list: list[Unit], spec: dict[str, Any]) -> dict[Unit, str | None]:
    if not spec.get("breakdown"):
        return {u: None for u in unit_list}
    counts: dict[str, int] = defaultdict(int)
    for u in unit_list:
        if u.value is not None:
            counts[u.value] += 1
    top = set(sorted(counts, key=lambda v: (-counts[v], v))[: spec["breakdown"].get("limit", 10)])
    return {
        u: NONE if u.value is None else (u.value if u.value in top else OTHER) for u in unit_list
    }


def _order(values: dict[Any, int]) -> list[Any]:
    special = {OTHER: 1, NONE: 2}
    return sorted(values, key=lambda v: (special.get(v or "", 0), -values[v], str(v)))


def steps_result(unit_list: list[Unit], spec: dict[str, Any]) -> Any:
    k = len(spec["steps"])
    labels = labelled(unit_list, spec)
    groups: dict[str | None, list[Unit]] = defaultdict(list)
    for u in unit_list:
        groups[labels[u]].append(u)
    entries = []
    for value in _order({v: len(g) for v, g in groups.items()}):
        group = groups[value]
        counts = [sum(u.level >= j for u in group) for j in range(1, k + 1)]
        steps = []
        for j, step in enumerate(spec["steps"], 1):
            timed = j > 1 and spec.get("order") != "unordered"
            gaps = [
                (u.times[j - 1] - u.times[j - 2]) / 1e6 for u in group if timed and u.level >= j
            ]
            timed = timed and bool(gaps)
            previous = counts[j - 2] if j > 1 else counts[0]
            steps.append(
                {
                    "event": step["event"],
                    "name": step.get("name") or step["event"],
                    "count": counts[j - 1],
                    "conversion_rate": counts[j - 1] / counts[0] if counts[0] else 0.0,
                    "conversion_from_previous": counts[j - 1] / previous if previous else 0.0,
                    "median_seconds_to_convert": statistics.median(gaps) if timed else None,
                    "average_seconds_to_convert": statistics.fmean(gaps) if timed else None,
                }
            )
        entries.append({"steps": steps, "breakdown_value": value})
    if spec.get("breakdown"):
        return entries
    return entries[0] if entries else {"steps": _empty_steps(spec), "breakdown_value": None}


def _empty_steps(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "event": s["event"],
            "name": s.get("name") or s["event"],
            "count": 0,
            "conversion_rate": 0.0,
            "conversion_from_previous": 0.0,
            "median_seconds_to_convert": None,
            "average_seconds_to_convert": None,
        }
        for s in spec["steps"]
    ]


def trends_result(unit_list: list[Unit], spec: dict[str, Any], keys: list[Any]) -> Any:
    k = len(spec["steps"])
    labels = labelled(unit_list, spec)
    series: dict[str | None, dict[str, list[int]]] = {}
    for u in unit_list:
        data = series.setdefault(
            labels[u], {"entered": [0] * len(keys), "converted": [0] * len(keys)}
        )
        position = keys.index(u.bucket)
        data["entered"][position] += 1
        data["converted"][position] += u.level >= k
    entries = [
        {
            "breakdown_value": value,
            "entered": series[value]["entered"],
            "converted": series[value]["converted"],
        }
        for value in _order({v: sum(d["entered"]) for v, d in series.items()})
    ]
    if spec.get("breakdown"):
        return entries
    return (
        entries[0]
        if entries
        else {"breakdown_value": None, "entered": [0] * len(keys), "converted": [0] * len(keys)}
    )


def time_to_convert_result(unit_list: list[Unit], spec: dict[str, Any]) -> Any:
    k, bins = len(spec["steps"]), spec.get("bins", 10)
    labels = labelled(unit_list, spec)
    converted = [
        (labels[u], (u.times[k - 1] - u.times[0]) / 1e6) for u in unit_list if u.level >= k
    ]
    if not converted:
        return (
            []
            if spec.get("breakdown")
            else {
                "breakdown_value": None,
                "bins": [],
                "average_conversion_time": None,
                "median_conversion_time": None,
                "converted": 0,
            }
        )
    lo = min(s for _, s in converted)
    width = max(math.ceil((max(s for _, s in converted) - lo) / bins), 1)
    groups: dict[str | None, list[float]] = defaultdict(list)
    for value, seconds in converted:
        groups[value].append(seconds)
    entries = []
    for value in _order({v: len(g) for v, g in groups.items()}):
        counts = [0] * bins
        for seconds in groups[value]:
            counts[min(math.floor((seconds - lo) / width), bins - 1)] += 1
        entries.append(
            {
                "breakdown_value": value,
                "bins": [[lo + i * width, n] for i, n in enumerate(counts)],
                "average_conversion_time": statistics.fmean(groups[value]),
                "median_conversion_time": statistics.median(groups[value]),
                "converted": len(groups[value]),
            }
        )
    return entries if spec.get("breakdown") else entries[0]


def day_keys(spec: dict[str, Any]) -> list[date]:
    lo, hi = date.fromisoformat(spec["date_from"]), date.fromisoformat(spec["date_to"])
    return [lo + timedelta(days=i) for i in range((hi - lo).days + 1)]
