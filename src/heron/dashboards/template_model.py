"""What a dashboard template is: a named ``POST .../dashboards`` body of stored widgets.

Shared by the product templates (:mod:`heron.dashboards.templates`) and the business ones
(:mod:`heron.dashboards.business_templates`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from heron.dashboards.widget_types import WIDGET_TYPES, default_aggregate

LAST_30_DAYS: dict[str, Any] = {
    "date_from": "-30d",
    "date_to": None,
    "properties": [],
    "compare": False,
}


@dataclass(frozen=True, slots=True)
class Template:
    id: str
    name: str
    description: str
    widgets: tuple[dict[str, Any], ...]
    date_from: str = "-30d"
    """The filter bar's range: how far back the dashboard looks by default."""

    def dashboard(self) -> dict[str, Any]:
        """The dashboard body this template creates."""
        return {
            "name": self.name,
            "description": self.description,
            "filters": {**LAST_30_DAYS, "date_from": self.date_from},
            "widgets": [dict(w) for w in self.widgets],
        }

    def listing(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "dashboard": self.dashboard(),
        }


def widget(
    wid: str,
    type_: str,
    title: str,
    query: dict[str, Any] | None,
    at: tuple[int, int, int, int],
    **options: Any,
) -> dict[str, Any]:
    x, y, w, h = at
    if type_ == "metric":
        options.setdefault("aggregate", default_aggregate(query))
    return {
        "id": wid,
        "type": type_,
        "title": title,
        "query": query,
        "options": WIDGET_TYPES[type_]
        .options_model.model_validate(options)
        .model_dump(mode="json"),
        "position": {"x": x, "y": y, "w": w, "h": h},
        "refresh_seconds": None,
        "click": {"action": WIDGET_TYPES[type_].clicks[0]},
    }


def by(prop: str, limit: int = 10) -> dict[str, Any]:
    return {"property": prop, "type": "event", "limit": limit}
