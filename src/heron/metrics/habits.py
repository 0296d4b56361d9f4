"""Habit adherence and streaks (seed 003), per habit (``habit_id``) and local day.

A habit is active on day d from the local day of its ``habit_created`` on. Its scheduled
weekdays come from that event's ``scheduled_days`` (``"mon,wed,fri"``; absent or
unreadable = every day); a day counts as checked when the habit has a ``habit_checked``
that local day. On day d:

- *adherence ratio* = scheduled days of the trailing 7 (d−6 … d, not before creation)
  that were checked ÷ those scheduled days (days without any scheduled day are skipped);
- *current streak* = consecutive scheduled days checked, walking back from d (an
  unchecked scheduled day, d included, ends it);
- *score* = 0.7 × ratio + 0.3 × min(streak, 7) ÷ 7 (weights: option
  ``adherence_weights``).

``habit_adherence_score`` and ``avg_streak_length`` average over the habits active that
day, and a week or month bucket averages its days.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlglot import exp

from heron.analysis.intervals import BUCKET
from heron.metrics.computed import MetricRun, Values, breakdown_columns, history, in_names
from heron.query import dates
from heron.query.properties import property_expr

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HABIT = "habit_id"
WINDOW = 7
HORIZON = timedelta(days=366)
"""How far before the range local days are exact (DST offsets are computed that far)."""


def schedule(text: Any) -> frozenset[int]:
    """``"mon,wed,fri"`` → weekday numbers (Monday 0); unreadable → every day."""
    if not isinstance(text, str):
        return frozenset(range(7))
    days = {
        WEEKDAYS.index(p.strip()[:3].lower())
        for p in text.split(",")
        if p.strip()[:3].lower() in WEEKDAYS
    }
    return frozenset(days) or frozenset(range(7))


def day_scores(
    created: date, scheduled: frozenset[int], checked: set[date], day: date
) -> tuple[float, int] | None:
    """``(adherence ratio, current streak)`` of one habit on ``day``; None when not active."""
    if day < created:
        return None
    window = [day - timedelta(days=k) for k in range(WINDOW)]
    due = [d for d in window if d >= created and d.weekday() in scheduled]
    if not due:
        return None
    done = sum(1 for d in due if d in checked)
    streak, current = 0, day
    while current >= created:
        if current.weekday() in scheduled:
            if current not in checked:
                break
            streak += 1
        current -= timedelta(days=1)
    return done / len(due), streak


def _habits(run: MetricRun) -> tuple[list[dict[str, Any]], dict[Any, set[date]]]:
    d = run.ctx.dialect
    ts = exp.column("timestamp", "e")
    created = in_names(run.names.names("habit_created"))
    horizon = run.ctx.local_range(run.rng.start_local - HORIZON, run.rng.end_local)
    local_day = d.trunc("day", run.ctx.local_time(ts, horizon))
    columns = [
        exp.alias_(exp.Min(this=exp.If(this=created, true=local_day, false=exp.null())), "created"),
        exp.alias_(
            exp.Max(
                this=exp.If(this=created, true=property_expr(d, "scheduled_days"), false=exp.null())
            ),
            "scheduled",
        ),
    ]
    columns.extend(breakdown_columns(run, created))
    names = [*run.names.names("habit_created"), *run.names.names("habit_checked")]
    base = history(run, names)
    habit = property_expr(d, HABIT)
    habits = (
        base.copy()
        .select(exp.alias_(habit, "habit"), *columns)
        .where(habit.is_(exp.null()).not_())
        .group_by(exp.column("habit"))
    )
    checks = (
        base.where(in_names(run.names.names("habit_checked")))
        .select(exp.alias_(habit.copy(), "habit"), exp.alias_(local_day.copy(), "day"))
        .distinct()
    )
    checked: dict[Any, set[date]] = {}
    for row in run.rows(checks):
        checked.setdefault(row["habit"], set()).add(
            row["day"].date() if hasattr(row["day"], "date") else row["day"]
        )
    return [r for r in run.rows(habits) if r["created"] is not None], checked


def _days(run: MetricRun) -> Iterator[tuple[int, date]]:
    """Every local day of the range with its bucket position."""
    day, last = run.rng.start_local.date(), (run.rng.end_local - timedelta(microseconds=1)).date()
    while day <= last:
        key = dates.truncate(datetime.combine(day, time()), run.buckets.interval)
        i = run.buckets.position({BUCKET: key})
        if i is not None:
            yield i, day
        day += timedelta(days=1)


def habit_metric(
    pick: Callable[[float, int, tuple[float, float]], float],
) -> Callable[[MetricRun], Values]:
    def compute(run: MetricRun) -> Values:
        run.day_grain("habit metrics")
        weights = tuple(run.options.get("adherence_weights") or (0.7, 0.3))
        rows, checked = _habits(run)
        groups: dict[Any, list[dict[str, Any]]] = {}
        for row in rows:
            groups.setdefault(row.get("bv") if run.breakdown else None, []).append(row)
        if run.breakdown is None:
            groups.setdefault(None, [])
        out: Values = {}
        days = list(_days(run))
        for key, habits in groups.items():
            sums: list[list[float]] = [[] for _ in run.buckets.keys]
            prepared = [
                (
                    r["created"].date() if hasattr(r["created"], "date") else r["created"],
                    schedule(r["scheduled"]),
                    checked.get(r["habit"], set()),
                )
                for r in habits
            ]
            for i, day in days:
                scores = [
                    s for c, sch, chk in prepared if (s := day_scores(c, sch, chk, day)) is not None
                ]
                if scores:
                    sums[i].append(sum(pick(r, k, weights) for r, k in scores) / len(scores))
            out[key] = [sum(v) / len(v) if v else 0.0 for v in sums]
        return out

    return compute


def _score(ratio: float, streak: int, weights: tuple[float, float]) -> float:
    return weights[0] * ratio + weights[1] * min(streak, WINDOW) / WINDOW


habit_adherence_score = habit_metric(_score)
avg_streak_length = habit_metric(lambda _ratio, streak, _weights: float(streak))
