"""Checking and normalising a dashboard's widgets before they are stored.

Ids are kept when given and unique, else assigned; options are checked against the
widget type's schema; queries are parsed by the query registry (an invalid widget is
refused when saved, not when viewed); positions lose their overlaps.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError

import heron.analysis.service  # registers every query kind
import heron.metrics.extensions  # noqa: F401  (registers MetricQuery and RevenueQuery)
from heron.dashboards.layout import LayoutItem, desktop_layout, mobile_layout
from heron.dashboards.spec import Click, Position, Widget
from heron.dashboards.widget_types import WIDGET_TYPES, default_aggregate
from heron.query.registry import SpecError, parse_spec

IdFactory = Callable[[], str]


def new_widget_id() -> str:
    return f"w{secrets.token_hex(5)}"


class WidgetError(ValueError):
    """Invalid widgets; ``errors`` lists ``{"loc", "msg", "type"}`` like pydantic's."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{e['loc']}: {e['msg']}" for e in errors))
        self.errors = errors


def normalize_widgets(
    widgets: Sequence[Widget], new_id: IdFactory = new_widget_id
) -> list[dict[str, Any]]:
    """Stored widget dicts: ids assigned, defaults filled, positions without overlaps."""
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    stored: list[dict[str, Any]] = []
    for index, widget in enumerate(widgets):
        loc: list[str | int] = ["widgets", index]
        try:
            stored.append(_normalize(widget, seen, new_id))
        except WidgetError as exc:
            errors.extend({**e, "loc": [*loc, *e["loc"]]} for e in exc.errors)
    if errors:
        raise WidgetError(errors)
    placed = {item.id: item for item in desktop_layout(positions(stored))}
    for entry in stored:
        item = placed[entry["id"]]
        entry["position"] = {"x": item.x, "y": item.y, "w": item.w, "h": item.h}
    return stored


def _normalize(widget: Widget, seen: set[str], new_id: IdFactory) -> dict[str, Any]:
    kind = WIDGET_TYPES.get(widget.type)
    if kind is None:
        known = ", ".join(sorted(WIDGET_TYPES))
        raise _error("type", f"unknown widget type {widget.type!r}; known: {known}")
    try:
        options = kind.options_model.model_validate(widget.options).model_dump(mode="json")
    except ValidationError as exc:
        raise WidgetError(
            [
                {"loc": ["options", *e["loc"]], "msg": e["msg"], "type": e["type"]}
                for e in exc.errors(include_url=False)
            ]
        ) from None
    query = _checked_query(widget.query, kind.query_kinds)
    if kind.type == "metric" and options.get("aggregate") is None:
        options["aggregate"] = default_aggregate(query)
    click = widget.click or default_click(kind.clicks)
    if click is not None and click.action not in kind.clicks:
        raise _error("click", f"a {kind.type} widget allows clicks: {', '.join(kind.clicks)}")
    wid = widget.id if widget.id is not None and widget.id not in seen else new_id()
    while wid in seen:
        wid = new_id()
    seen.add(wid)
    return {
        "id": wid,
        "type": kind.type,
        "title": widget.title,
        "query": query,
        "options": options,
        "position": widget.position.model_dump(),
        "refresh_seconds": widget.refresh_seconds,
        "click": click.model_dump(exclude_none=True) if click is not None else None,
    }


def default_click(allowed: tuple[str, ...]) -> Click | None:
    """The first allowed action, unless it is a link (which needs a url of its own)."""
    first = allowed[0]
    return Click(action=first) if first != "link" else None  # type: ignore[arg-type]


def _checked_query(query: dict[str, Any] | None, kinds: tuple[str, ...]) -> dict[str, Any] | None:
    if not kinds:
        if query is not None:
            raise _error("query", "this widget type takes no query")
        return None
    if query is None:
        raise _error("query", "this widget type needs a query")
    if query.get("kind") not in kinds:
        raise _error("query", f"expected a query of kind {', '.join(kinds)}")
    try:
        parse_spec(query)
    except SpecError as exc:
        raise WidgetError(
            [{**e, "loc": ["query", *e.get("loc", [])]} for e in exc.errors]
        ) from None
    return query


def _error(field: str, message: str) -> WidgetError:
    return WidgetError([{"loc": [field], "msg": message, "type": "value_error"}])


def positions(stored: Sequence[dict[str, Any]]) -> list[tuple[str, Position]]:
    return [(w["id"], Position.model_validate(w["position"])) for w in stored]


def layouts(stored: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """``{"desktop": [...], "mobile": [...]}`` for stored widgets."""
    desktop: list[LayoutItem] = desktop_layout(positions(stored))
    return {
        "desktop": [item.model_dump() for item in desktop],
        "mobile": [item.model_dump() for item in mobile_layout(desktop)],
    }
