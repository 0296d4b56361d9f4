"""Dashboard filters applied to a widget's stored query (a pure spec → spec function).

The filter bar's date range replaces the query's; its property filters are added to the
query's own (both must hold); ``compare`` turns on the previous-period comparison for
kinds that have one. A part the query kind does not take (no such field, or a kind such
as ``SQLQuery`` that refuses it) is left out, so a filter never makes a valid stored
query invalid; revenue (read from the subscription log, which has no event properties)
takes no property filters.
"""

from __future__ import annotations

from typing import Any

from heron.dashboards.spec import DashboardFilters
from heron.metrics.builtins import reads_revenue
from heron.query.registry import KINDS, SpecError, parse_spec


def apply_filters(
    query: dict[str, Any], filters: DashboardFilters, *, compare_always: bool = False
) -> dict[str, Any]:
    """The query as the widget runs it under ``filters``."""
    kind = KINDS.get(str(query.get("kind")))
    if kind is None:
        return dict(query)
    fields = kind.spec.model_fields
    parts: list[dict[str, Any]] = []
    dates = {"date_from": filters.date_from, "date_to": filters.date_to}
    parts.append({k: v for k, v in dates.items() if v is not None and k in fields})
    if filters.properties and "filters" in fields and not reads_revenue(query):
        added = [f.model_dump(mode="json") for f in filters.properties]
        parts.append({"filters": [*query.get("filters", []), *added]})
    if (filters.compare or compare_always) and "compare" in fields:
        parts.append({"compare": True})
    applied = dict(query)
    for part in parts:
        if part and accepted({**applied, **part}):
            applied.update(part)
    return applied


def accepted(spec: dict[str, Any]) -> bool:
    try:
        parse_spec(spec)
    except SpecError:
        return False
    return True
