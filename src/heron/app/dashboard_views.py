"""What dashboard endpoints share: the JSON of a dashboard, request filters, widget data."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request

from heron.analysis.service import QueryService
from heron.app.errors import ApiError
from heron.app.routers.query import run_spec
from heron.dashboards.filters import apply_filters
from heron.dashboards.spec import DashboardFilters, FilterOverrides
from heron.dashboards.widget_types import WIDGET_TYPES
from heron.dashboards.widgets import layouts
from heron.meta.dashboard_models import Dashboard
from heron.meta.models import Project
from heron.query.properties import PropertyFilter

PROPERTY_LIST = TypeAdapter(list[PropertyFilter])


def dashboard_json(
    dashboard: Dashboard, permission: str, *, with_queries: bool = True
) -> dict[str, Any]:
    widgets = [
        w if with_queries else {k: v for k, v in w.items() if k != "query"}
        for w in dashboard.widgets
    ]
    return {
        "id": dashboard.id,
        "project_id": dashboard.project_id,
        "name": dashboard.name,
        "description": dashboard.description,
        "filters": stored_filters(dashboard).model_dump(mode="json"),
        "widgets": widgets,
        "layouts": layouts(dashboard.widgets),
        "permission": permission,
        "created_at": dashboard.created_at.isoformat(),
        "updated_at": dashboard.updated_at.isoformat(),
    }


def stored_filters(dashboard: Dashboard) -> DashboardFilters:
    return DashboardFilters.model_validate(dashboard.filters or {})


def request_overrides(request: Request) -> FilterOverrides:
    """``date_from``, ``date_to``, ``compare`` and ``properties`` (a JSON list) from the URL."""
    params = request.query_params
    try:
        properties = (
            PROPERTY_LIST.validate_python(orjson.loads(params["properties"]))
            if params.get("properties")
            else None
        )
        compare = params.get("compare")
        return FilterOverrides(
            date_from=params.get("date_from") or None,
            date_to=params.get("date_to") or None,
            properties=properties,
            compare=None if compare is None else compare.lower() in ("1", "true", "yes"),
        )
    except (ValidationError, orjson.JSONDecodeError) as exc:
        raise ApiError(400, "invalid_filters", f"invalid dashboard filters: {exc}") from None


def find_widget(dashboard: Dashboard, widget_id: str) -> dict[str, Any]:
    for widget in dashboard.widgets:
        if widget.get("id") == widget_id:
            return widget
    raise ApiError(404, "widget_not_found", f"no widget {widget_id!r} on this dashboard")


def widget_result(
    service: QueryService,
    project: Project,
    dashboard: Dashboard,
    widget_id: str,
    overrides: FilterOverrides,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(widget, result envelope)``: only the widget's stored query, under the filters."""
    widget = find_widget(dashboard, widget_id)
    query = widget.get("query")
    if query is None:
        raise ApiError(400, "no_query", "this widget shows no data")
    widget_type = WIDGET_TYPES.get(widget["type"])
    applied = apply_filters(
        query,
        overrides.over(stored_filters(dashboard)),
        compare_always=widget_type is not None and widget_type.compare_always,
    )
    return widget, run_spec(service, project, applied, share_activity=True)
