"""A plain-Python paths oracle, written from the definitions of ``heron.analysis.paths``."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from itertools import pairwise
from typing import Any

from tests.unit.analysis.oracles.trends_oracle import Event, passes

PAGE_VIEWS = {"$pageview", "pageview"}


def included(e: Event, spec: dict[str, Any]) -> bool:
    if spec.get("event_filter") is not None:
        return e.event in spec["event_filter"]
    return not e.event.startswith("$") or e.event in {"$pageview", "$screen"}


def step_name(e: Event, spec: dict[str, Any]) -> str:
    pathname = e.properties.get("$pathname")
    if spec.get("path_type") == "pathname" and e.event in PAGE_VIEWS and pathname:
        return pathname
    return e.event


def paths(events: list[Event], spec: dict[str, Any]) -> dict[str, Any]:
    lo, hi = date.fromisoformat(spec["date_from"]), date.fromisoformat(spec["date_to"])
    steps: dict[str, list[tuple[Any, str]]] = defaultdict(list)
    for e in events:
        if lo <= e.local.date() <= hi and included(e, spec) and passes(e, spec.get("filters", [])):
            steps[e.person].append((e.utc, step_name(e, spec)))
    limit = spec.get("step_limit", 5)
    counts: Counter[tuple[int, str, str]] = Counter()
    for rows in steps.values():
        names: list[str] = []
        for _, name in sorted(rows):
            if not names or names[-1] != name:
                names.append(name)
        if spec.get("start_event"):
            if spec["start_event"] not in names:
                continue
            first = names.index(spec["start_event"])
            path, positions = names[first : first + limit], range(1, limit + 1)
        elif spec.get("end_event"):
            if spec["end_event"] not in names:
                continue
            last = len(names) - 1 - names[::-1].index(spec["end_event"])
            path = names[max(0, last - limit + 1) : last + 1]
            positions = range(limit - len(path) + 1, limit + 1)
        else:
            path, positions = names[:limit], range(1, limit + 1)
        numbered = list(zip(positions, path, strict=False))
        for (pos, source), (_, target) in pairwise(numbered):
            counts[(pos, source, target)] += 1
    kept = [(k, v) for k, v in counts.items() if v >= spec.get("min_edge_weight", 1)]
    kept.sort(key=lambda kv: (-kv[1], kv[0]))
    kept = kept[: spec.get("edge_limit", 50)]
    nodes: set[tuple[int, str]] = set()
    links = []
    for (pos, source, target), value in kept:
        nodes |= {(pos, source), (pos + 1, target)}
        links.append({"source": f"{pos}_{source}", "target": f"{pos + 1}_{target}", "value": value})
    return {"nodes": [{"name": f"{p}_{n}"} for p, n in sorted(nodes)], "links": links}
