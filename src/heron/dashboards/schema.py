"""A project's schema for the pickers: event names, property keys and their top values.

Event names are an exact aggregate. Property keys come from a sample of the most recent
events (and persons), so the cost does not grow with the project: ``count`` is the
number of sampled rows carrying the key, and the type is inferred from its JSON values.
Every statement goes through the :class:`~heron.query.runner.Runner`, which scopes it
to the project.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

import orjson
from sqlglot import exp

from heron.query.properties import property_expr
from heron.query.runner import Runner
from heron.query.source import event_rows

SAMPLE_ROWS = 5_000
TOP_VALUES = 50
MAX_EVENTS = 1_000
Source = Literal["event", "person"]
ISO_PREFIX = 19


def event_names(runner: Runner) -> list[dict[str, Any]]:
    """``[{"name", "count", "last_seen"}]``, most frequent first."""
    query = (
        event_rows(runner.ctx, None)
        .select(
            exp.alias_(exp.column("event", "e"), "name"),
            exp.alias_(exp.Count(this=exp.Star()), "count"),
            exp.alias_(exp.Max(this=exp.column("timestamp", "e")), "last_seen"),
        )
        .group_by(exp.column("event", "e"))
        .order_by(exp.Ordered(this=exp.column("count"), desc=True), "name")
        .limit(MAX_EVENTS)
    )
    return [
        {"name": r["name"], "count": int(r["count"]), "last_seen": _iso(r["last_seen"])}
        for r in runner.execute(query).to_pylist()
    ]


def property_keys(runner: Runner) -> list[dict[str, Any]]:
    """``[{"key", "source", "type", "count"}]`` from recent events and persons."""
    found = summarize(_props(runner, recent(runner, "events", "e", "timestamp")), "event")
    persons = summarize(_props(runner, recent(runner, "persons", "p", "updated_at")), "person")
    return found + persons


def recent(runner: Runner, table: str, alias: str, stamp: str) -> exp.Select:
    """The ``properties`` of the ``SAMPLE_ROWS`` newest rows of a table.

    The cut-off time comes first from the time column alone, so the wide JSON column is
    read only for the rows past it.
    """
    ts = exp.column(stamp, alias)
    source = exp.alias_(exp.to_table(table), alias, table=True)
    cutoff = runner.execute(
        exp.select(exp.alias_(ts, "cutoff"))
        .from_(source)
        .order_by(exp.Ordered(this=ts.copy(), desc=True))
        .limit(1)
        .offset(SAMPLE_ROWS - 1)
    ).to_pylist()
    query = exp.select(exp.column("properties", alias)).from_(source.copy())
    if cutoff:
        query = query.where(ts.copy() >= runner.ctx.dialect.timestamp(cutoff[0]["cutoff"]))
    return query.limit(SAMPLE_ROWS)


def _props(runner: Runner, query: exp.Select) -> Iterable[Any]:
    for value in runner.execute(query).column("properties").to_pylist():
        yield orjson.loads(value) if isinstance(value, str | bytes) else value


def summarize(objects: Iterable[Any], source: Source) -> list[dict[str, Any]]:
    """Keys of JSON objects with how many carry each and the type of their values."""
    counts: Counter[str] = Counter()
    types: dict[str, Counter[str]] = {}
    for obj in objects:
        if not isinstance(obj, dict):
            continue
        for key, value in obj.items():
            counts[key] += 1
            types.setdefault(key, Counter())[value_type(value)] += 1
    return [
        {"key": key, "source": source, "type": types[key].most_common(1)[0][0], "count": n}
        for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def value_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str) and len(value) >= 10 and _looks_like_datetime(value):
        return "datetime"
    return "string"


def _looks_like_datetime(text: str) -> bool:
    try:
        datetime.fromisoformat(text[:ISO_PREFIX].rstrip("Z"))
    except ValueError:
        return False
    return text[4] == "-"


def property_values(
    runner: Runner, key: str, source: Source, event: str | None, date_from: str = "-90d"
) -> list[dict[str, Any]]:
    """The ``TOP_VALUES`` most frequent values of a property over recent events."""
    ctx = runner.ctx
    rng = ctx.time_range(date_from, None)
    rows = event_rows(
        ctx, rng, events=[event] if event else None, person_properties=source == "person"
    ).select(exp.alias_(property_expr(ctx.dialect, key, source), "value"))
    query = (
        exp.select("value", exp.alias_(exp.Count(this=exp.Star()), "count"))
        .from_(rows.subquery("matched"))
        .where(exp.column("value").is_(exp.null()).not_())
        .group_by("value")
        .order_by(exp.Ordered(this=exp.column("count"), desc=True), "value")
        .limit(TOP_VALUES)
    )
    return [
        {"value": r["value"], "count": int(r["count"])} for r in runner.execute(query).to_pylist()
    ]


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
