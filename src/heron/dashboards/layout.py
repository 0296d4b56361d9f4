"""Grid layouts: the desktop layout as stored, without overlaps, and the derived mobile one.

Both are pure functions of the widgets' positions. The mobile layout is one column:
widgets in reading order (by ``(y, x)``), each the full grid width, stacked top to bottom.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from heron.dashboards.spec import GRID_COLUMNS, Position


class LayoutItem(BaseModel):
    """A widget id with its place."""

    model_config = ConfigDict(frozen=True)

    id: str
    x: int
    y: int
    w: int
    h: int

    def overlaps(self, other: LayoutItem) -> bool:
        return (
            self.x < other.x + other.w
            and other.x < self.x + self.w
            and self.y < other.y + other.h
            and other.y < self.y + self.h
        )


def reading_order(items: Sequence[LayoutItem]) -> list[LayoutItem]:
    """Items by row, then column (then id, for ties)."""
    return sorted(items, key=lambda item: (item.y, item.x, item.id))


def desktop_layout(positions: Sequence[tuple[str, Position]]) -> list[LayoutItem]:
    """The positions in reading order; an item overlapping an earlier one moves down."""
    items = [LayoutItem(id=wid, x=p.x, y=p.y, w=p.w, h=p.h) for wid, p in positions]
    placed: list[LayoutItem] = []
    for item in reading_order(items):
        while clash := [p for p in placed if p.overlaps(item)]:
            item = item.model_copy(update={"y": max(p.y + p.h for p in clash)})
        placed.append(item)
    return placed


def mobile_layout(desktop: Sequence[LayoutItem]) -> list[LayoutItem]:
    """One column: every item full width, stacked in reading order, heights kept."""
    stacked, y = [], 0
    for item in reading_order(desktop):
        stacked.append(LayoutItem(id=item.id, x=0, y=y, w=GRID_COLUMNS, h=item.h))
        y += item.h
    return stacked
