"""The business dashboards in the browser: each template, created on request, draws every
widget (revenue ones included, for the owner) without an error; screenshots for review."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from heron.dashboards.business_templates import BUSINESS_TEMPLATES
from tests.e2e.app import OWNER, HeronApp, heron_app
from tests.e2e.browser import browser, page
from tests.e2e.web import session_request, shot, sign_in, wait_ready

__all__ = ["browser", "heron_app", "page"]


@pytest.mark.parametrize("template", [t.id for t in BUSINESS_TEMPLATES])
def test_a_business_dashboard_draws_every_widget(page: Page, heron_app: HeronApp, template: str):
    page.set_viewport_size({"width": 1400, "height": 1000})
    sign_in(page, heron_app.url, *OWNER)
    path = f"/api/projects/{heron_app.project_id}/dashboards/from-template/{template}"
    status, made = session_request(page, "POST", path)
    assert status in (200, 201), made
    page.goto(f"{heron_app.url}/projects/{heron_app.project_id}/dashboards/{made['id']}")
    wait_ready(page)
    expect(page.locator(".widget-error")).to_have_count(0)
    drawn = [w["id"] for w in made["widgets"] if w["type"] != "markdown"]
    for wid in drawn:
        expect(page.locator(f"[data-widget-id='{wid}']")).to_be_visible()
    shot(page, f"business-{template}")
