"""A plain-Python retention oracle, written from CONTRACTS.md (RetentionQuery).

It takes resolved events (``trends_oracle.resolve``: identities merged, local times by
zoneinfo) and computes cohorts, values and D1/D7/D30 shortcuts from the definitions.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from tests.unit.analysis.oracles.trends_oracle import Event, bucket, next_start, passes


def period_start(e: Event, period: str) -> date:
    return bucket(e.local.replace(tzinfo=None), period)


def shift(start: date, period: str, n: int) -> date:
    for _ in range(n):
        start = next_start(start, period)
    return start


def cohort_starts(spec: dict[str, Any]) -> list[date]:
    lo, hi = date.fromisoformat(spec["date_from"]), date.fromisoformat(spec["date_to"])
    first = bucket(datetime.combine(lo, datetime.min.time()), spec["period"])
    starts, current = [], first
    while current <= hi:
        if current >= lo:
            starts.append(current)
        current = next_start(current, spec["period"])
    return starts


def retention(events: list[Event], spec: dict[str, Any], now_local: datetime) -> dict[str, Any]:
    period, periods = spec["period"], spec["periods"]
    common = spec.get("filters", [])
    targets = [
        e
        for e in events
        if e.event == spec["target_event"]
        and passes(e, common)
        and passes(e, spec.get("target_filters", []))
    ]
    returns = [
        e
        for e in events
        if e.event == spec["returning_event"]
        and passes(e, common)
        and passes(e, spec.get("returning_filters", []))
    ]
    starts = cohort_starts(spec)
    members: dict[date, set[str]] = defaultdict(set)
    if spec["retention_type"] == "first_time":
        first: dict[str, Event] = {}
        for e in sorted(targets, key=lambda e: e.utc):
            first.setdefault(e.person, e)
        for person, e in first.items():
            members[period_start(e, period)].add(person)
    else:
        for e in targets:
            members[period_start(e, period)].add(e.person)
    returned: dict[str, set[date]] = defaultdict(set)
    for e in returns:
        returned[e.person].add(period_start(e, period))
    most = max(periods, 30) if period == "day" else periods
    cohorts, table = [], []
    for start in starts:
        row = [len(members[start])]
        for n in range(1, most + 1):
            later = shift(start, period, n)
            if datetime.combine(later, datetime.min.time()) > now_local:
                break
            row.append(sum(later in returned[p] for p in members[start]))
        table.append(row)
        cohorts.append(
            {"cohort_start": start.isoformat(), "size": row[0], "values": row[: periods + 1]}
        )
    result: dict[str, Any] = {"cohorts": cohorts}
    if period == "day":
        shortcuts = {}
        for name, n in {"d1": 1, "d7": 7, "d30": 30}.items():
            eligible = [row for row in table if len(row) > n]
            size = sum(row[0] for row in eligible)
            shortcuts[name] = sum(row[n] for row in eligible) / size if size else None
        result["shortcuts"] = shortcuts
    return result
