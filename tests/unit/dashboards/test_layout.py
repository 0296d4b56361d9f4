"""Desktop layouts lose their overlaps; the mobile layout is one column in reading order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from heron.dashboards.layout import LayoutItem, desktop_layout, mobile_layout
from heron.dashboards.spec import GRID_COLUMNS, Position


@st.composite
def positions(draw: st.DrawFn) -> list[tuple[str, Position]]:
    count = draw(st.integers(0, 12))
    out = []
    for i in range(count):
        w = draw(st.integers(1, GRID_COLUMNS))
        x = draw(st.integers(0, GRID_COLUMNS - w))
        y = draw(st.integers(0, 20))
        h = draw(st.integers(1, 6))
        out.append((f"w{i}", Position(x=x, y=y, w=w, h=h)))
    return out


def no_overlaps(items: list[LayoutItem]) -> bool:
    return not any(a.overlaps(b) for i, a in enumerate(items) for b in items[i + 1 :])


@given(positions())
def test_desktop_layout_has_no_overlaps_and_keeps_sizes(given_positions) -> None:
    desktop = desktop_layout(given_positions)
    assert no_overlaps(desktop)
    by_id = {item.id: item for item in desktop}
    assert set(by_id) == {wid for wid, _ in given_positions}
    for wid, p in given_positions:
        item = by_id[wid]
        assert (item.x, item.w, item.h) == (p.x, p.w, p.h) and item.y >= p.y


@given(positions())
def test_a_layout_without_overlaps_is_kept(given_positions) -> None:
    placed = desktop_layout(given_positions)
    again = desktop_layout([(i.id, Position(x=i.x, y=i.y, w=i.w, h=i.h)) for i in placed])
    assert sorted(again, key=lambda i: i.id) == sorted(placed, key=lambda i: i.id)


@given(positions())
def test_mobile_layout_is_one_column_in_reading_order(given_positions) -> None:
    desktop = desktop_layout(given_positions)
    mobile = mobile_layout(desktop)
    assert no_overlaps(mobile)
    assert [m.id for m in mobile] == [d.id for d in sorted(desktop, key=lambda d: (d.y, d.x, d.id))]
    assert all(m.x == 0 and m.w == GRID_COLUMNS for m in mobile)
    y = 0
    for m, d in zip(mobile, sorted(desktop, key=lambda d: (d.y, d.x, d.id)), strict=True):
        assert m.y == y and m.h == d.h
        y += m.h


def test_overlapping_widget_moves_below() -> None:
    placed = desktop_layout(
        [("a", Position(x=0, y=0, w=6, h=4)), ("b", Position(x=3, y=2, w=6, h=2))]
    )
    assert [(i.id, i.y) for i in placed] == [("a", 0), ("b", 4)]
