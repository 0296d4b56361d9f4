"""Plain-Python oracles of the built-in metrics, written from METRICS.md and docs/metrics.md.

They read the raw rows the store was given, resolve persons with the trends oracle's
independent identity resolution, and compute each bucket's value directly.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.unit.analysis.oracles.trends_oracle import (
    Period,
    date_period,
    midnight,
    next_start,
    quantile,
    resolve,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Ev:
    event: str
    person: str
    utc: datetime
    local: datetime
    props: dict[str, Any]
    session: str | None


def events(rows: list[dict[str, Any]], project_id: int, tz: ZoneInfo) -> list[Ev]:
    mine = [r for r in rows if r["project_id"] == project_id]
    resolved = resolve(rows, project_id, tz)
    return [
        Ev(e.event, e.person, e.utc, e.local, e.properties, r.get("session_id"))
        for r, e in zip(mine, resolved, strict=True)
    ]


@dataclass(frozen=True)
class Frame:
    period: Period
    tz: ZoneInfo

    @property
    def start(self) -> datetime:
        return self.period.start.astimezone(UTC).replace(tzinfo=None)

    @property
    def end(self) -> datetime:
        return self.period.end.astimezone(UTC).replace(tzinfo=None)

    def index(self, local: datetime) -> int | None:
        key = self.period.key_of(local)
        return self.period.keys.index(key) if key in self.period.keys else None

    def bounds(self) -> list[tuple[datetime, datetime]]:
        out = []
        for key in self.period.keys:
            lo = max(midnight(key, self.tz), self.period.start)
            hi = min(midnight(next_start(key, self.period.interval), self.tz), self.period.end)
            out.append(
                (lo.astimezone(UTC).replace(tzinfo=None), hi.astimezone(UTC).replace(tzinfo=None))
            )
        return out

    def days(self) -> list[date]:
        first, last = self.period.start.date(), (self.period.end - timedelta(days=1)).date()
        return [first + timedelta(days=k) for k in range((last - first).days + 1)]

    def zeros(self) -> list[float]:
        return [0.0] * len(self.period.keys)


def frame(date_from: str, date_to: str, interval: str, tz: str) -> Frame:
    zone = ZoneInfo(tz)
    return Frame(date_period(date_from, date_to, interval, zone), zone)


def local(utc: datetime, tz: ZoneInfo) -> datetime:
    return utc.replace(tzinfo=UTC).astimezone(tz)


def active(e: Ev) -> bool:
    return not e.event.startswith("$")


def inside(f: Frame, e: Ev) -> bool:
    return f.start <= e.utc < f.end


def ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


# Engagement ---------------------------------------------------------------------------


def session_values(evs: list[Ev], f: Frame, name: str) -> list[float]:
    sessions: dict[str, list[Ev]] = {}
    for e in evs:
        if active(e) and inside(f, e) and e.session is not None:
            sessions.setdefault(e.session, []).append(e)
    per: dict[int, list[tuple[str, float, int]]] = {}
    for members in sessions.values():
        first = min(members, key=lambda e: e.utc)
        last = max(e.utc for e in members)
        i = f.index(first.local)
        if i is None:
            continue
        duration = (last - first.utc).total_seconds() * 1000
        pages = sum(1 for e in members if e.event == "pageview")
        per.setdefault(i, []).append((first.person, duration, pages))
    out = f.zeros()
    for i, items in per.items():
        n = len(items)
        total = sum(d for _, d, _ in items)
        out[i] = {
            "sessions": n,
            "session_duration": total / 1000 / n,
            "pages_per_session": sum(p for _, _, p in items) / n,
            "bounce_rate": sum(1 for _, d, p in items if p == 1 and d < 10_000) / n,
            "sessions_per_user": n / len({p for p, _, _ in items}),
            "active_minutes": total / 60_000,
        }[name]
    return out


def message_response_time(evs: list[Ev], f: Frame) -> list[float]:
    times: dict[int, list[float]] = {}
    for e in evs:
        conv = e.props.get("conversation_id")
        if e.event != "message_sent" or conv is None or not inside(f, e):
            continue
        replies = [
            r.utc
            for r in evs
            if r.event == "message_received"
            and r.props.get("conversation_id") == conv
            and r.utc >= e.utc
        ]
        if replies:
            i = f.index(e.local)
            if i is not None:
                times.setdefault(i, []).append((min(replies) - e.utc).total_seconds())
    out = f.zeros()
    for i, values in times.items():
        out[i] = quantile(values, 0.5)
    return out


def _cohort(evs: list[Ev], f: Frame) -> dict[str, datetime]:
    first: dict[str, datetime] = {}
    for e in evs:
        if e.event == "signup" and (e.person not in first or e.utc < first[e.person]):
            first[e.person] = e.utc
    return {p: t for p, t in first.items() if f.start <= t < f.end}


def _bucketed(
    f: Frame, cohort: dict[str, datetime], hit: Callable[[str, datetime], bool]
) -> list[float]:
    size, hits = f.zeros(), f.zeros()
    for person, t in cohort.items():
        i = f.index(local(t, f.tz))
        if i is None:
            continue
        size[i] += 1
        hits[i] += hit(person, t)
    return [ratio(h, s) for h, s in zip(hits, size, strict=True)]


def retention(evs: list[Ev], f: Frame, n: int, or_after: bool) -> list[float]:
    cohort = _cohort(evs, f)
    days: dict[str, set[date]] = {}
    for e in evs:
        if active(e) and e.utc >= f.start:
            days.setdefault(e.person, set()).add(e.local.date())

    def hit(person: str, t: datetime) -> bool:
        target = local(t, f.tz).date() + timedelta(days=n)
        seen = days.get(person, set())
        return any(d >= target for d in seen) if or_after else target in seen

    return _bucketed(f, cohort, hit)


def activation_rate(evs: list[Ev], f: Frame) -> list[float]:
    cohort = _cohort(evs, f)

    def hit(person: str, t: datetime) -> bool:
        return any(
            e.event == "activated" and e.person == person and t <= e.utc <= t + timedelta(days=7)
            for e in evs
        )

    return _bucketed(f, cohort, hit)


# Goals, habits, nudges ----------------------------------------------------------------


def _firsts(evs: list[Ev], f: Frame, key: str, kinds: tuple[str, ...]) -> dict[Any, dict[str, Any]]:
    out: dict[Any, dict[str, Any]] = {}
    for e in evs:
        ident = e.props.get(key)
        if e.event not in kinds or ident is None or e.utc >= f.end:
            continue
        entry = out.setdefault(ident, {})
        if e.event not in entry or e.utc < entry[e.event].utc:
            entry[e.event] = e
        if e.event == kinds[0]:
            entry.setdefault("created_all", []).append(e)
    return out


def goal_completion_rate(evs: list[Ev], f: Frame, breakdown: str | None) -> dict[Any, list[float]]:
    goals = _firsts(evs, f, "goal_id", ("goal_created", "goal_completed", "goal_abandoned"))
    groups: dict[Any, list[tuple[datetime, datetime | None, datetime | None]]] = {}
    if breakdown is None:
        groups[None] = []
    for entry in goals.values():
        if "goal_created" not in entry:
            continue
        values = [
            str(e.props[breakdown])
            for e in entry["created_all"]
            if breakdown and e.props.get(breakdown) is not None
        ]
        key = max(values) if values else None
        done = entry["goal_completed"].utc if "goal_completed" in entry else None
        gone = entry["goal_abandoned"].utc if "goal_abandoned" in entry else None
        ends = [t for t in (done, gone) if t is not None]
        groups.setdefault(key, []).append(
            (entry["goal_created"].utc, min(ends) if ends else None, done)
        )
    out = {}
    for key, goals_ in groups.items():
        row = []
        for lo, hi in f.bounds():
            act = sum(1 for c, end, _ in goals_ if c < hi and (end is None or end >= lo))
            done = sum(1 for _, _, d in goals_ if d is not None and lo <= d < hi)
            row.append(ratio(done, act))
        out[key] = row
    return out


def _schedule(text: Any) -> set[int]:
    if not isinstance(text, str):
        return set(range(7))
    days = {
        WEEKDAYS.index(p.strip()[:3].lower())
        for p in text.split(",")
        if p.strip()[:3].lower() in WEEKDAYS
    }
    return days or set(range(7))


def habits(evs: list[Ev], f: Frame, which: str, breakdown: str | None) -> dict[Any, list[float]]:
    found = _firsts(evs, f, "habit_id", ("habit_created",))
    checks: dict[Any, set[date]] = {}
    for e in evs:
        if e.event == "habit_checked" and e.props.get("habit_id") is not None and e.utc < f.end:
            checks.setdefault(e.props["habit_id"], set()).add(e.local.date())
    groups: dict[Any, list[tuple[date, set[int], set[date]]]] = {}
    if breakdown is None:
        groups[None] = []
    for ident, entry in found.items():
        created_events = entry["created_all"]
        texts = [
            str(e.props["scheduled_days"])
            for e in created_events
            if e.props.get("scheduled_days") is not None
        ]
        values = [
            str(e.props[breakdown])
            for e in created_events
            if breakdown and e.props.get(breakdown) is not None
        ]
        key = max(values) if values else None
        groups.setdefault(key, []).append(
            (
                entry["habit_created"].local.date(),
                _schedule(max(texts) if texts else None),
                checks.get(ident, set()),
            )
        )
    out = {}
    for key, items in groups.items():
        daily: list[list[float]] = [[] for _ in f.period.keys]
        for day in f.days():
            i = f.index(datetime(day.year, day.month, day.day, tzinfo=f.tz))
            scores = []
            for created, scheduled, checked in items:
                if day < created:
                    continue
                due = [day - timedelta(days=k) for k in range(7)]
                due = [d for d in due if d >= created and d.weekday() in scheduled]
                if not due:
                    continue
                streak, cur = 0, day
                while cur >= created:
                    if cur.weekday() in scheduled:
                        if cur not in checked:
                            break
                        streak += 1
                    cur -= timedelta(days=1)
                adherence = sum(1 for d in due if d in checked) / len(due)
                scores.append(
                    0.7 * adherence + 0.3 * min(streak, 7) / 7 if which == "score" else streak
                )
            if scores and i is not None:
                daily[i].append(sum(scores) / len(scores))
        out[key] = [sum(v) / len(v) if v else 0.0 for v in daily]
    return out


def nudge_effectiveness(evs: list[Ev], f: Frame, breakdown: str | None) -> dict[Any, list[float]]:
    sent: dict[Any, list[float]] = {}
    hits: dict[Any, list[float]] = {}
    if breakdown is None:
        sent[None], hits[None] = f.zeros(), f.zeros()
    for e in evs:
        if e.event != "nudge_sent" or not inside(f, e):
            continue
        key = e.props.get(breakdown) if breakdown else None
        key = None if key is None else str(key)
        i = f.index(e.local)
        if i is None:
            continue
        sent.setdefault(key, f.zeros())[i] += 1
        ok = any(
            r.person == e.person
            and active(r)
            and r.event != "nudge_sent"
            and e.utc <= r.utc <= e.utc + timedelta(hours=24)
            for r in evs
        )
        hits.setdefault(key, f.zeros())[i] += ok
    return {k: [ratio(h, s) for h, s in zip(hits[k], sent[k], strict=True)] for k in sent}


def average_funding_time(evs: list[Ev], f: Frame) -> list[float]:
    projects = _firsts(evs, f, "project_id", ("project_created", "project_funded"))
    waits: dict[int, list[float]] = {}
    for entry in projects.values():
        if "project_created" not in entry or "project_funded" not in entry:
            continue
        created, funded = entry["project_created"], entry["project_funded"]
        if funded.utc < created.utc or funded.utc < f.start:
            continue
        i = f.index(funded.local)
        if i is not None:
            waits.setdefault(i, []).append((funded.utc - created.utc).total_seconds())
    out = f.zeros()
    for i, values in waits.items():
        out[i] = statistics.median(values)
    return out


# Formula metrics ----------------------------------------------------------------------


def per_bucket(
    evs: list[Ev], f: Frame, pick: Callable[[Ev], bool], measure: Callable[[list[Ev]], float]
) -> list[float]:
    groups: dict[int, list[Ev]] = {}
    for e in evs:
        if inside(f, e) and pick(e):
            i = f.index(e.local)
            if i is not None:
                groups.setdefault(i, []).append(e)
    out = f.zeros()
    for i, members in groups.items():
        out[i] = measure(members)
    return out


def persons(members: list[Ev]) -> float:
    return len({e.person for e in members})


def amount_sum(prop: str) -> Callable[[list[Ev]], float]:
    def measure(members: list[Ev]) -> float:
        values = [
            float(e.props[prop]) for e in members if isinstance(e.props.get(prop), int | float)
        ]
        return sum(values)

    return measure


def divide(a: list[float], b: list[float]) -> list[float]:
    return [ratio(x, y) for x, y in zip(a, b, strict=True)]


def trailing_active(evs: list[Ev], f: Frame, days: int) -> list[float]:
    """Persons active in the ``days`` local days ending on each bucket's last day (cut at
    the range end); the first windows reach back before the range."""
    out = f.zeros()
    for i, key in enumerate(f.period.keys):
        hi = min(midnight(next_start(key, f.period.interval), f.tz), f.period.end)
        last = (hi - timedelta(microseconds=1)).astimezone(f.tz).date()
        first = last - timedelta(days=days - 1)
        window = [e for e in evs if active(e) and e.utc < f.end]
        out[i] = len({e.person for e in window if first <= e.local.date() <= last})
    return out


def formula_metric(evs: list[Ev], f: Frame, name: str) -> list[float]:
    named = lambda *names: lambda e: e.event in names  # noqa: E731
    if name == "dau":
        return per_bucket(evs, f, active, persons)
    if name in ("wau", "mau"):
        return trailing_active(evs, f, 7 if name == "wau" else 30)
    if name == "stickiness":
        return divide(per_bucket(evs, f, active, persons), trailing_active(evs, f, 30))
    if name == "signups":
        return per_bucket(evs, f, named("signup"), persons)
    if name == "open_rate":
        return divide(
            per_bucket(evs, f, named("email_opened"), persons),
            per_bucket(evs, f, named("email_delivered"), len),
        )
    if name == "gmv":
        return per_bucket(evs, f, named("payment", "funding"), amount_sum("amount"))
    if name == "gross_margin":
        amount = per_bucket(evs, f, named("payment", "funding"), amount_sum("amount"))
        cost = per_bucket(evs, f, named("payment", "funding"), amount_sum("cost"))
        return [ratio(a - c, a) for a, c in zip(amount, cost, strict=True)]
    if name == "ai_session_satisfaction":

        def mean(members: list[Ev]) -> float:
            values = [
                float(e.props["rating"])
                for e in members
                if isinstance(e.props.get("rating"), int | float)
            ]
            return sum(values) / len(values) if values else 0.0

        return per_bucket(evs, f, named("session_rated"), mean)
    raise KeyError(name)
