"""Which metric snapshots a dashboard made from a template asks for (a pure settings edit).

A template's plain metric widgets (a built-in ``MetricQuery`` without breakdown) can be
answered from snapshots (:mod:`heron.metrics.snapshots`) once the project's
``metric_snapshots`` setting lists them; creating the dashboard from its template adds
the ones missing, so the scheduler keeps them fresh from then on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from heron.dashboards.template_model import Template
from heron.metrics.snapshots import DEFAULT_SERIES, SeriesKey, snapshottable

SETTING = "metric_snapshots"


def snapshot_series(template: Template) -> list[dict[str, str]]:
    """The snapshottable ``{"metric", "interval"}`` series of the template's widgets."""
    wanted: list[dict[str, str]] = []
    for w in template.widgets:
        query = w["query"] or {}
        if query.get("kind") != "MetricQuery" or "breakdown" in query:
            continue
        entry = {"metric": str(query["metric"]), "interval": str(query.get("interval", "day"))}
        key = SeriesKey(entry["metric"], entry["interval"])
        if snapshottable(key) is None and entry not in wanted:
            wanted.append(entry)
    return wanted


def with_snapshots(settings: Mapping[str, Any], template: Template) -> dict[str, Any] | None:
    """The project settings with the template's series added, or ``None`` if none is new."""
    raw = settings.get(SETTING)
    current: list[Any] = (
        list(raw)
        if isinstance(raw, list)
        else [{"metric": m, "interval": i} for m, i, _ in DEFAULT_SERIES]
    )
    listed = {
        (str(e.get("metric")), str(e.get("interval", "day")), str(e.get("dimension") or ""))
        for e in current
        if isinstance(e, dict)
    }
    added = [e for e in snapshot_series(template) if (e["metric"], e["interval"], "") not in listed]
    if not added:
        return None
    return {**settings, SETTING: [*current, *added]}
