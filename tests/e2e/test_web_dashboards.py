"""The browser app against a real server: sign-in, building a dashboard with real mouse
drags, filters reaching every widget, public links, viewers, live widgets, phone width."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from playwright.sync_api import Browser, Page, expect

from tests.e2e.app import OWNER, VIEWER, HeronApp, heron_app, post_events
from tests.e2e.browser import browser, page
from tests.e2e.web import first_dashboard, session_request, shot, sign_in, wait_ready

__all__ = ["browser", "heron_app", "page"]


def test_sign_in_rejects_a_wrong_password_then_lands_on_dashboards(page: Page, heron_app: HeronApp):
    page.goto(f"{heron_app.url}/projects/{heron_app.project_id}/dashboards")
    page.wait_for_url("**/login**")
    page.get_by_label("E-mail").fill(OWNER[0])
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong e-mail or password.")
    shot(page, "login-error")
    page.get_by_label("Password").fill(OWNER[1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/projects/{heron_app.project_id}/dashboards")
    expect(page.get_by_role("heading", name="Dashboards")).to_be_visible()
    expect(page.get_by_role("link", name="Product overview")).to_be_visible()
    shot(page, "dashboards-list")


def _drag(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move((start[0] + end[0]) / 2, (start[1] + end[1]) / 2, steps=8)
    page.mouse.move(*end, steps=8)
    page.mouse.up()


def test_build_a_dashboard_by_dragging_and_resizing(page: Page, heron_app: HeronApp):
    page.set_viewport_size({"width": 1400, "height": 1000})
    sign_in(page, heron_app.url, *OWNER)
    page.get_by_role("button", name="New dashboard").click()
    page.get_by_label("Name", exact=True).fill("Built by hand")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r".*/dashboards/\d+$"))
    dashboard_id = int(page.url.rsplit("/", 1)[1])
    page.get_by_role("button", name="Edit", exact=True).click()
    for widget_type in ("metric", "line", "table"):
        page.get_by_role("button", name="+ Add widget").click()
        page.locator(f".library-item[data-type='{widget_type}']").click()
    items = page.locator(".grid-stack-item")
    expect(items).to_have_count(3)
    page.keyboard.press("Control+z")
    expect(items).to_have_count(2)
    page.get_by_role("button", name="Duplicate Line chart").click()
    expect(items).to_have_count(3)
    page.get_by_role("button", name="Undo").click()
    expect(items).to_have_count(2)
    page.get_by_role("button", name="Edit Metric").click()
    page.get_by_label("Title").fill("Pageviews")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("heading", name="Pageviews")).to_be_visible()
    wait_ready(page)
    grid = page.locator(".grid-stack").bounding_box()
    assert grid is not None
    column = grid["width"] / 12

    # The line chart (6×4, under the metric card) goes up, right of the metric card.
    line_header = items.nth(1).locator(".widget-header").bounding_box()
    assert line_header is not None
    start = (line_header["x"] + 40, line_header["y"] + line_header["height"] / 2)
    target_x = grid["x"] + 5 * column + 40
    _drag(page, start, (target_x, grid["y"] + 20))

    # The metric card grows by two columns and one row, from its bottom-right corner.
    metric = items.nth(0)
    metric.hover()
    handle = metric.locator(".ui-resizable-se").bounding_box()
    assert handle is not None
    corner = (handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    _drag(page, corner, (corner[0] - column, corner[1] + 90))
    # The keyboard does the same: Shift+Right widens the focused widget by a column.
    metric.focus()
    page.keyboard.press("Shift+ArrowRight")
    shot(page, "dashboard-editing")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("button", name="Edit", exact=True)).to_be_visible()

    status, saved = session_request(
        page, "GET", f"/api/projects/{heron_app.project_id}/dashboards/{dashboard_id}"
    )
    assert status == 200
    assert [w["title"] for w in saved["widgets"]] == ["Pageviews", "Line chart"]
    by_type = {w["type"]: w["position"] for w in saved["widgets"]}
    assert by_type["line"]["y"] == 0, by_type
    assert by_type["line"]["x"] >= by_type["metric"]["x"] + by_type["metric"]["w"], by_type
    assert by_type["metric"]["h"] == 3, by_type
    assert by_type["metric"]["w"] == 3, by_type
    desktop = {item["id"]: item for item in saved["layouts"]["desktop"]}
    assert {w["id"] for w in saved["widgets"]} == set(desktop)


def _data_requests(page: Page, action) -> list[str]:
    urls: list[str] = []
    listener = lambda request: urls.append(request.url) if "/data" in request.url else None  # noqa: E731
    page.on("request", listener)
    action()
    wait_ready(page)
    page.remove_listener("request", listener)
    return urls


def test_changing_the_date_range_updates_every_widget(page: Page, heron_app: HeronApp):
    page.set_viewport_size({"width": 1400, "height": 1000})
    sign_in(page, heron_app.url, *OWNER)
    overview = first_dashboard(page, heron_app.project_id)
    page.goto(f"{heron_app.url}/projects/{heron_app.project_id}/dashboards/{overview['id']}")
    wait_ready(page)
    data_widgets = {w["id"] for w in overview["widgets"] if w["type"] != "markdown"}
    signups = page.locator("[data-widget-id='signups'] [data-testid='metric-value']")
    before = signups.inner_text()
    shot(page, "dashboard")

    urls = _data_requests(page, lambda: page.get_by_label("Date range").select_option("7d"))
    asked = {re.search(r"/widgets/([^/]+)/data", u).group(1) for u in urls}  # type: ignore[union-attr]
    assert asked == data_widgets
    assert all("date_from=-7d" in u for u in urls)
    expect(signups).not_to_have_text(before)
    assert "date_from=-7d" in page.url
    expect(page.locator(".widget-error")).to_have_count(0)

    urls = _data_requests(page, lambda: page.get_by_label("Compare to previous period").check())
    assert {re.search(r"/widgets/([^/]+)/data", u).group(1) for u in urls} == data_widgets  # type: ignore[union-attr]
    assert all("compare=true" in u for u in urls)
    shot(page, "dashboard-7d-compare")

    # A metric card drills into its query in the explorer.
    signups.click()
    page.wait_for_url("**/insights/new?kind=trends**")
    expect(page.get_by_label("Series 1 event")).to_have_value("signup")
    expect(page.get_by_role("status").first).to_have_text(re.compile(r"\d+ ms"), timeout=30_000)


def test_clicking_a_breakdown_value_filters_the_whole_dashboard(page: Page, heron_app: HeronApp):
    sign_in(page, heron_app.url, *OWNER)
    status, made = session_request(
        page,
        "POST",
        f"/api/projects/{heron_app.project_id}/dashboards",
        {"template": "acquisition"},
    )
    assert status == 201, made
    page.goto(f"{heron_app.url}/projects/{heron_app.project_id}/dashboards/{made['id']}")
    wait_ready(page)
    referrers = page.locator("[data-widget-id='referrers']")
    expect(referrers.get_by_role("button", name="github.com")).to_be_visible()
    data_widgets = {w["id"] for w in made["widgets"] if w["type"] != "markdown"}
    urls = _data_requests(page, lambda: referrers.get_by_role("button", name="github.com").click())
    assert {re.search(r"/widgets/([^/]+)/data", u).group(1) for u in urls} == data_widgets  # type: ignore[union-attr]
    assert all("github.com" in u and "%24referring_domain" in u for u in urls)
    expect(page.get_by_label("Property")).to_have_value("$referring_domain")
    expect(referrers.get_by_role("button", name="google.com")).to_have_count(0)
    shot(page, "dashboard-acquisition-filtered")


def test_a_public_link_opens_without_signing_in_until_revoked(
    page: Page, browser: Browser, heron_app: HeronApp
):
    sign_in(page, heron_app.url, *OWNER)
    _, me = session_request(page, "GET", "/api/me")
    theme = {"name": "Acme Analytics", "colors": {"primary": "#0f766e"}, "dark_mode": True}
    org = me["organizations"][0]["id"]
    status, body = session_request(page, "PUT", f"/api/organizations/{org}/theme", theme)
    assert status == 200, body
    overview = first_dashboard(page, heron_app.project_id)
    page.goto(f"{heron_app.url}/projects/{heron_app.project_id}/dashboards/{overview['id']}")
    page.get_by_role("button", name="Share").click()
    page.get_by_role("button", name="Create public link").click()
    link = page.get_by_test_id("public-url")
    expect(link).to_have_value(re.compile(r"/public/[A-Za-z0-9_-]{32,}$"))
    url = link.input_value()

    stranger = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        public = stranger.new_page()
        public.goto(url)
        wait_ready(public)
        expect(public.get_by_role("heading", name=overview["name"])).to_be_visible()
        expect(public.get_by_label("E-mail")).to_have_count(0)
        expect(public.locator(".widget-error")).to_have_count(0)
        expect(public.locator(".widget")).to_have_count(len(overview["widgets"]))
        expect(public.locator(".public-header")).to_contain_text("Acme Analytics")
        assert public.evaluate("document.documentElement.dataset.theme") == "dark"
        primary = "getComputedStyle(document.documentElement).getPropertyValue('--primary')"
        assert public.evaluate(primary).strip() == "#0f766e"
        shot(public, "public-dashboard-dark")

        page.get_by_role("button", name="Revoke").click()
        expect(page.get_by_role("button", name="Create public link")).to_be_visible()
        public.reload()
        expect(public.get_by_role("alert")).to_be_visible()
    finally:
        stranger.close()


def test_a_viewer_cannot_edit(page: Page, heron_app: HeronApp):
    sign_in(page, heron_app.url, *VIEWER)
    overview = first_dashboard(page, heron_app.project_id)
    page.goto(f"{heron_app.url}/projects/{heron_app.project_id}/dashboards/{overview['id']}")
    wait_ready(page)
    expect(page.get_by_role("heading", name=overview["name"])).to_be_visible()
    expect(page.get_by_role("button", name="Edit", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Share")).to_have_count(0)
    expect(page.get_by_role("link", name="SQL")).to_have_count(0)
    status, body = session_request(
        page,
        "PATCH",
        f"/api/projects/{heron_app.project_id}/dashboards/{overview['id']}",
        {"name": "Taken over"},
    )
    assert status == 403, body
    assert body["error"]["code"] == "forbidden"
    shot(page, "dashboard-viewer")


def test_a_live_widget_updates_when_events_arrive(page: Page, heron_app: HeronApp):
    sign_in(page, heron_app.url, *OWNER)
    overview = first_dashboard(page, heron_app.project_id)
    live = next(
        w for w in overview["widgets"] if w["options"].get("live") and w["type"] == "metric"
    )
    page.goto(f"{heron_app.url}/projects/{heron_app.project_id}/dashboards/{overview['id']}")
    wait_ready(page)
    value = page.locator(f"[data-widget-id='{live['id']}'] [data-testid='metric-value']")
    before = value.inner_text()
    event = live["query"]["series"][0]["event"] or "pageview"
    now = datetime.now(UTC).isoformat()
    post_events(
        heron_app.url,
        heron_app.write_key,
        [{"event": event, "distinct_id": f"live-{i}", "timestamp": now} for i in range(25)],
    )
    expect(value).not_to_have_text(before, timeout=30_000)


def test_phone_width_shows_one_column(browser: Browser, heron_app: HeronApp):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = context.new_page()
        sign_in(page, heron_app.url, *OWNER)
        overview = first_dashboard(page, heron_app.project_id)
        page.goto(f"{heron_app.url}/projects/{heron_app.project_id}/dashboards/{overview['id']}")
        wait_ready(page)
        expect(page.locator("[data-layout='phone']")).to_be_visible()
        boxes = [item.bounding_box() for item in page.locator(".flow-item").all()]
        assert len(boxes) == len(overview["widgets"])
        assert len({round(b["x"]) for b in boxes if b}) == 1
        assert all(b and b["width"] > 390 * 0.85 for b in boxes)
        tops = [b["y"] for b in boxes if b]
        assert tops == sorted(tops)
        shot(page, "dashboard-phone")
    finally:
        context.close()


def test_phone_width_edit_mode_reorders_and_removes_widgets(browser: Browser, heron_app: HeronApp):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = context.new_page()
        sign_in(page, heron_app.url, *OWNER)
        status, made = session_request(
            page,
            "POST",
            f"/api/projects/{heron_app.project_id}/dashboards",
            {"template": "overview", "name": "Edited on a phone"},
        )
        assert status == 201, made
        titles = {w["id"]: w["title"] for w in made["widgets"]}
        order = [item["id"] for item in made["layouts"]["mobile"]]
        first, second, last = order[0], order[1], order[-1]
        page.goto(f"{heron_app.url}/projects/{heron_app.project_id}/dashboards/{made['id']}")
        wait_ready(page)
        page.get_by_role("button", name="Edit", exact=True).click()
        expect(page.locator("[data-layout='phone']")).to_be_visible()
        expect(page.locator(".grid-stack")).to_have_count(0)
        expect(page.get_by_role("button", name=f"Move {titles[first]} up")).to_be_disabled()
        expect(page.get_by_role("button", name=f"Move {titles[last]} down")).to_be_disabled()

        page.get_by_role("button", name=f"Move {titles[second]} up").click()
        shown = page.locator(".flow-item [data-widget-id]")
        expect(shown.first).to_have_attribute("data-widget-id", second)
        expect(shown.nth(1)).to_have_attribute("data-widget-id", first)
        page.get_by_role("button", name=f"Delete {titles[last]}").click()
        expect(shown).to_have_count(len(order) - 1)
        page.get_by_role("button", name="Undo").click()
        expect(shown).to_have_count(len(order))
        page.get_by_role("button", name=f"Delete {titles[last]}").click()
        shot(page, "dashboard-phone-editing")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("status").filter(has_text="Dashboard saved.")).to_be_visible()

        status, saved = session_request(
            page, "GET", f"/api/projects/{heron_app.project_id}/dashboards/{made['id']}"
        )
        assert status == 200, saved
        saved_order = [item["id"] for item in saved["layouts"]["mobile"]]
        assert saved_order == [second, first, *order[2:-1]]
        # Both kept their desktop sizes, trading only their grid cells.
        before = {w["id"]: w["position"] for w in made["widgets"]}
        after = {w["id"]: w["position"] for w in saved["widgets"]}
        assert (after[second]["w"], after[second]["h"]) == (
            before[second]["w"],
            before[second]["h"],
        )
        assert (after[first]["x"], after[first]["y"]) == (before[second]["x"], before[second]["y"])
    finally:
        context.close()


STAMP_KEPT = """
window.requestIdleCallback = () => 0;
new MutationObserver(() => {
  if (document.documentElement?.dataset.chartsReady === 'true' && window.__kept === undefined) {
    window.__kept = document.querySelectorAll('[data-kept-drawing]').length;
  }
}).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-charts-ready']});
"""
"""Counts the kept drawings shown when the charts are ready; the page never goes idle, so a
kept drawing stands until something wakes its chart."""


def test_a_reopened_dashboard_shows_its_charts_as_last_drawn_then_live(
    browser: Browser, heron_app: HeronApp
):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    sign_in(page, heron_app.url, *OWNER)
    overview = first_dashboard(page, heron_app.project_id)
    page.goto(f"{heron_app.url}/projects/{heron_app.project_id}/dashboards/{overview['id']}")
    wait_ready(page)
    charts = page.locator(".chart")
    count = charts.count()
    assert count >= 3
    page.wait_for_function(
        f"JSON.parse(localStorage.getItem('heron.drawings') || '[]').length >= {count}"
    )
    assert page.locator("[data-kept-drawing]").count() == 0
    drawn = [chart.screenshot() for chart in charts.all()]

    context.add_init_script(STAMP_KEPT)
    page.reload()
    wait_ready(page)
    assert page.evaluate("window.__kept") == count
    assert page.evaluate("document.querySelectorAll('[_echarts_instance_]').length") == 0
    assert [chart.screenshot() for chart in charts.all()] == drawn

    first = charts.first
    first.dispatch_event("focusin")
    expect(first).not_to_have_attribute("data-kept-drawing", "")
    expect(first).to_have_attribute("_echarts_instance_", re.compile(r".+"))
    assert first.screenshot() == drawn[0]
    charts.nth(1).hover()
    expect(charts.nth(1)).to_have_attribute("_echarts_instance_", re.compile(r".+"))
    assert page.locator("[data-kept-drawing]").count() == count - 2
    context.close()
