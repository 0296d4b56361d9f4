"""A plain-Python trends oracle, written from the definitions, not from the engine.

It takes the same raw rows the store was given, resolves identities itself (``$identify``
with ``$anon_distinct_id``, in timestamp order, never absorbing an identified person),
converts UTC to the project timezone with zoneinfo and computes the expected entries.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Event:
    event: str
    person: str
    utc: datetime
    local: datetime
    properties: dict[str, Any]
    session: str | None = None


def resolve(rows: list[dict[str, Any]], project_id: int, tz: ZoneInfo) -> list[Event]:
    """The project's rows as events carrying their final person."""
    mine = [r for r in rows if r["project_id"] == project_id]
    owner: dict[str, str] = {}
    identified: set[str] = set()

    def find(distinct_id: str) -> str:
        return owner.get(distinct_id, distinct_id)

    ordered = sorted(enumerate(mine), key=lambda pair: (pair[1]["timestamp"], pair[0]))
    for _, row in ordered:
        if row["event"] != "$identify":
            continue
        user, anon = row["distinct_id"], row.get("properties", {}).get("$anon_distinct_id")
        person = find(user)
        if isinstance(anon, str) and anon and anon != user:
            other = find(anon)
            if other != person and other not in identified:
                for member, current in list(owner.items()):
                    if current == other:
                        owner[member] = person
                owner[other] = person
        identified.add(person)
    return [
        Event(
            r["event"],
            find(r["distinct_id"]),
            r["timestamp"],
            r["timestamp"].replace(tzinfo=UTC).astimezone(tz),
            r.get("properties", {}),
            r.get("session_id") or None,
        )
        for r in mine
    ]


@dataclass(frozen=True)
class Period:
    """A local range ``[start, end)`` (aware datetimes) and its interval keys and labels."""

    start: datetime
    end: datetime
    interval: str
    keys: list[Any]
    labels: list[str]

    def key_of(self, local: datetime) -> Any:
        return bucket(local, self.interval)

    def contains(self, e: Event) -> bool:
        """Compared as instants: same-zone datetimes would compare wall clocks, ignoring fold."""
        return self.start.astimezone(UTC) <= e.utc.replace(tzinfo=UTC) < self.end.astimezone(UTC)


def bucket(local: datetime, interval: str) -> Any:
    """Hour: the UTC instant of the local hour start; otherwise the local start date."""
    if interval == "hour":
        return local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
    day = local.date()
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def next_start(key: date, interval: str) -> date:
    if interval == "day":
        return key + timedelta(days=1)
    if interval == "week":
        return key + timedelta(days=7)
    return (key.replace(day=28) + timedelta(days=4)).replace(day=1)


def midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def period(start: datetime, end: datetime, interval: str, tz: ZoneInfo) -> Period:
    keys: list[Any] = []
    if interval == "hour":
        moment = start.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
        while moment < end:
            keys.append(moment)
            moment += HOUR
        labels = [k.astimezone(tz).isoformat() for k in keys]
    else:
        key = bucket(start, interval)
        while midnight(key, tz) < end:
            keys.append(key)
            key = next_start(key, interval)
        labels = [k.isoformat() for k in keys]
    return Period(start, end, interval, keys, labels)


def date_period(date_from: str, date_to: str, interval: str, tz: ZoneInfo) -> Period:
    first, last = date.fromisoformat(date_from), date.fromisoformat(date_to)
    return period(midnight(first, tz), midnight(last + timedelta(days=1), tz), interval, tz)


def shift_months(day: date, months: int) -> date:
    """The same day ``months`` later, or that month's last day when it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def previous(current: Period, tz: ZoneInfo) -> Period:
    n = len(current.keys)
    if current.interval == "hour":
        start = (current.start.astimezone(UTC) - n * HOUR).astimezone(tz)
        end = (current.end.astimezone(UTC) - n * HOUR).astimezone(tz)
        return period(start, end, "hour", tz)
    if current.interval == "month":
        start_day = shift_months(current.start.date(), -n)
        end_day = shift_months(current.end.date(), -n)
    else:
        step = timedelta(days=7 if current.interval == "week" else 1)
        start_day, end_day = current.start.date() - n * step, current.end.date() - n * step
    return period(midnight(start_day, tz), midnight(end_day, tz), current.interval, tz)


def number(value: Any) -> float | None:
    """What ``TRY_CAST(json text AS DOUBLE)`` gives: numbers and numeric strings."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value)
    except ValueError:
        return None


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    lo, hi = math.floor(position), math.ceil(position)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (position - lo)


AGGREGATES = {
    "sum": sum,
    "avg": lambda v: sum(v) / len(v),
    "min": min,
    "max": max,
    "median": lambda v: quantile(v, 0.5),
    "p90": lambda v: quantile(v, 0.9),
    "p95": lambda v: quantile(v, 0.95),
    "p99": lambda v: quantile(v, 0.99),
}
ACTIVE = {"weekly_active": 7, "monthly_active": 30}


def passes(e: Event, filters: list[dict[str, Any]]) -> bool:
    """The ``eq`` / ``neq`` filters the tests use (``neq`` keeps events without the property)."""
    for f in filters:
        value = e.properties.get(f["property"])
        if (value == f["value"]) != (f.get("operator", "eq") == "eq"):
            return False
    return True


def matches(e: Event, spec: dict[str, Any], series: dict[str, Any]) -> bool:
    wanted = series.get("event")
    return (
        (wanted is None or e.event == wanted)
        and passes(e, spec.get("filters", []))
        and passes(e, series.get("filters", []))
    )


def breakdown_map(events: list[Event], prop: str, limit: int) -> dict[str | None, str]:
    """Raw property value → shown value: top ``limit`` by events, else $other; null → $none."""
    counts = Counter(e.properties.get(prop) for e in events)
    counts.pop(None, None)
    top = sorted(counts, key=lambda v: (-counts[v], v))[:limit]
    mapping: dict[str | None, str] = {v: "$other" for v in counts}
    mapping.update({v: v for v in top})
    mapping[None] = "$none"
    return mapping


def series_data(
    events: list[Event], spec: dict[str, Any], series: dict[str, Any], p: Period
) -> dict[str | None, list[float]]:
    math_ = series.get("math", "total")
    pool = [e for e in events if matches(e, spec, series)]
    in_range = [e for e in pool if p.contains(e)]
    breakdown = spec.get("breakdown")
    if breakdown:
        mapping = breakdown_map(in_range, breakdown["property"], breakdown.get("limit", 10))

        def shown(e: Event) -> str | None:
            return mapping.get(e.properties.get(breakdown["property"]), "$other")
    else:

        def shown(e: Event) -> str | None:
            return None

    index = {k: i for i, k in enumerate(p.keys)}
    out: dict[str | None, list[float]] = {}
    if math_ in ACTIVE:
        days = ACTIVE[math_]
        end_day = (
            p.end.date()
            if p.end.time() == datetime.min.time()
            else p.end.date() + timedelta(days=1)
        )
        for i, key in enumerate(p.keys):
            last = min(next_start(key, p.interval), end_day) - timedelta(days=1)
            first = last - timedelta(days=days - 1)
            seen: dict[str | None, set[str]] = {}
            for e in pool:
                if first <= e.local.date() <= last and e.local.astimezone(UTC) < p.end.astimezone(
                    UTC
                ):
                    seen.setdefault(shown(e), set()).add(e.person)
            for value, persons in seen.items():
                out.setdefault(value, [0] * len(p.keys))[i] = len(persons)
    else:
        groups: dict[tuple[str | None, int], list[Event]] = {}
        for e in in_range:
            groups.setdefault((shown(e), index[p.key_of(e.local)]), []).append(e)
        for (value, i), members in groups.items():
            row = out.setdefault(value, [0] * len(p.keys))
            if math_ == "total":
                row[i] = len(members)
            elif math_ == "dau":
                row[i] = len({e.person for e in members})
            elif math_ == "unique_session":
                row[i] = len({e.session for e in members if e.session})
            else:
                numbers = [
                    n
                    for e in members
                    if (n := number(e.properties.get(series["math_property"]))) is not None
                ]
                row[i] = AGGREGATES[math_](numbers) if numbers else 0.0
    if not breakdown:
        out.setdefault(None, [0] * len(p.keys))
    return out


class Safe(float):
    """A float whose division by zero is 0, for evaluating test formulas."""

    def __truediv__(self, other: float) -> Safe:
        return Safe(0.0 if other == 0 else float(self) / other)

    def __add__(self, other: float) -> Safe:
        return Safe(float(self) + other)

    def __sub__(self, other: float) -> Safe:
        return Safe(float(self) - other)

    def __mul__(self, other: float) -> Safe:
        return Safe(float(self) * other)

    __radd__ = __add__
    __rmul__ = __mul__

    def __rsub__(self, other: float) -> Safe:
        return Safe(other - float(self))

    def __rtruediv__(self, other: float) -> Safe:
        return Safe(0.0 if float(self) == 0 else other / float(self))


def evaluate_formula(text: str, values: list[list[float]], length: int) -> list[float]:
    out = []
    for i in range(length):
        names = {chr(ord("A") + k): Safe(v[i] if v else 0) for k, v in enumerate(values)}
        out.append(float(eval(text.upper(), {"__builtins__": {}}, names)))  # fixed test formulas
    return out


def trends(
    rows: list[dict[str, Any]], project_id: int, tz_name: str, spec: dict[str, Any]
) -> list[dict[str, Any]]:
    """Expected entries of a TrendsQuery spec with ISO-date bounds."""
    tz = ZoneInfo(tz_name)
    events = resolve(rows, project_id, tz)
    current = date_period(spec["date_from"], spec["date_to"], spec.get("interval", "day"), tz)
    periods = {"current": current}
    if spec.get("compare"):
        periods["previous"] = previous(current, tz)
    entries = []
    for name, p in periods.items():
        per_series = [series_data(events, spec, s, p) for s in spec["series"]]
        for s, data in zip(spec["series"], per_series, strict=True):
            for value, values in data.items():
                entries.append(
                    _entry(s.get("name") or s.get("event") or "All events", value, p, values)
                )
        if spec.get("formula"):
            shown = dict.fromkeys(v for d in per_series for v in d)
            for value in shown:
                values = evaluate_formula(
                    spec["formula"], [d.get(value, []) for d in per_series], len(p.keys)
                )
                entries.append(_entry(f"Formula ({spec['formula']})", value, p, values))
        if spec.get("compare"):
            for entry in entries:
                entry.setdefault("compare", name)
    return entries


def _entry(label: str, value: str | None, p: Period, data: list[float]) -> dict[str, Any]:
    return {
        "label": label,
        "breakdown_value": value,
        "labels": p.labels,
        "data": data,
        "count": sum(data),
    }
