"""Plain-Python oracles for stickiness and lifecycle, from their written definitions."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.unit.analysis.oracles.trends_oracle import (
    bucket,
    date_period,
    matches,
    resolve,
    shift_months,
)


def stickiness(
    rows: list[dict[str, Any]], project_id: int, tz_name: str, spec: dict[str, Any]
) -> list[dict[str, Any]]:
    tz = ZoneInfo(tz_name)
    events = resolve(rows, project_id, tz)
    interval = spec.get("interval", "day")
    p = date_period(spec["date_from"], spec["date_to"], interval, tz)
    out = []
    for series in spec["series"]:
        active: dict[str, set[date]] = {}
        for e in events:
            if matches(e, spec, series) and p.contains(e):
                active.setdefault(e.person, set()).add(bucket(e.local, interval))
        data = [0] * len(p.keys)
        for keys in active.values():
            data[len(keys) - 1] += 1
        out.append(
            {
                "label": series.get("name") or series.get("event") or "All events",
                "days": list(range(1, len(p.keys) + 1)),
                "data": data,
                "count": sum(data),
            }
        )
    return out


def _before(key: date, interval: str) -> date:
    if interval == "month":
        return shift_months(key, -1)
    return key - timedelta(days=7 if interval == "week" else 1)


def lifecycle(
    rows: list[dict[str, Any]], project_id: int, tz_name: str, spec: dict[str, Any]
) -> dict[str, Any]:
    tz = ZoneInfo(tz_name)
    interval = spec.get("interval", "day")
    p = date_period(spec["date_from"], spec["date_to"], interval, tz)
    end = p.end.astimezone(UTC)
    series = {"event": spec.get("event")}
    events = [
        e
        for e in resolve(rows, project_id, tz)
        if matches(e, spec, series) and e.utc.replace(tzinfo=UTC) < end
    ]
    first: dict[str, Any] = {}
    active: dict[date, set[str]] = {}
    for e in events:
        if e.person not in first or e.utc < first[e.person].utc:
            first[e.person] = e
        active.setdefault(bucket(e.local, interval), set()).add(e.person)
    result: dict[str, Any] = {
        "labels": p.labels,
        "new": [],
        "returning": [],
        "resurrecting": [],
        "dormant": [],
    }
    for key in p.keys:
        now, before = active.get(key, set()), active.get(_before(key, interval), set())
        new = {person for person in now if bucket(first[person].local, interval) == key}
        result["new"].append(len(new))
        result["returning"].append(len(now & before))
        result["resurrecting"].append(len(now - before - new))
        result["dormant"].append(-len(before - now))
    return result
