"""Typed dashboard bodies: widgets, positions, filters and click behaviours (webapi.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from heron.query.properties import PropertyFilter

GRID_COLUMNS = 12
WIDGET_ID_PATTERN = r"^[A-Za-z0-9_-]{1,40}$"
ClickAction = Literal["filter", "drill", "link"]
Permission = Literal["view", "edit"]


class Position(BaseModel):
    """A widget's place on the 12-column grid."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    x: int = Field(ge=0, lt=GRID_COLUMNS)
    y: int = Field(ge=0, le=100_000)
    w: int = Field(ge=1, le=GRID_COLUMNS)
    h: int = Field(ge=1, le=100)

    @model_validator(mode="after")
    def _inside_grid(self) -> Position:
        if self.x + self.w > GRID_COLUMNS:
            raise ValueError(f"x + w must be at most {GRID_COLUMNS}")
        return self


class Click(BaseModel):
    """What clicking a widget's data does: filter the dashboard, drill in, or open a link."""

    model_config = ConfigDict(extra="forbid")

    action: ClickAction = "drill"
    url: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _link_needs_url(self) -> Click:
        if self.action == "link":
            if not self.url:
                raise ValueError("a link click needs a url")
            if not self.url.startswith(("https://", "http://", "/")) or self.url.startswith("//"):
                raise ValueError("url must be http(s) or a path on this site")
        return self


class Widget(BaseModel):
    """One widget; ``id`` is assigned by the server when absent."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, pattern=WIDGET_ID_PATTERN)
    type: str = Field(min_length=1, max_length=40)
    title: str = Field(default="", max_length=200)
    query: dict[str, Any] | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    position: Position
    refresh_seconds: int | None = Field(default=None, ge=5, le=86_400)
    click: Click | None = None


class DashboardFilters(BaseModel):
    """The filter bar: date range, property filters, compare to the previous period."""

    model_config = ConfigDict(extra="forbid")

    date_from: str | None = Field(default=None, max_length=40)
    date_to: str | None = Field(default=None, max_length=40)
    properties: list[PropertyFilter] = Field(default_factory=list, max_length=50)
    compare: bool = False


class FilterOverrides(BaseModel):
    """Request-time filters; a field given here replaces the dashboard's stored one."""

    date_from: str | None = None
    date_to: str | None = None
    properties: list[PropertyFilter] | None = None
    compare: bool | None = None

    def over(self, stored: DashboardFilters) -> DashboardFilters:
        given = self.model_dump(exclude_none=True)
        return DashboardFilters.model_validate({**stored.model_dump(), **given})


class DashboardIn(BaseModel):
    """``POST .../dashboards``: a full dashboard, or ``{"template": id}``."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="Untitled dashboard", min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    filters: DashboardFilters = Field(default_factory=DashboardFilters)
    widgets: list[Widget] = Field(default_factory=list, max_length=100)
    template: str | None = None


class DashboardPatch(BaseModel):
    """``PATCH .../dashboards/{id}``: the fields to change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    filters: DashboardFilters | None = None
    widgets: list[Widget] | None = Field(default=None, max_length=100)
