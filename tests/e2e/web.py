"""Helpers of the browser-app tests: signing in, waiting on the charts-ready signal,
screenshots, and API calls made with a page's own session."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from tests.e2e.app import SCREENSHOTS

READY = "document.documentElement?.dataset.chartsReady === 'true'"


def sign_in(page: Page, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboards")


def wait_ready(page: Page, timeout: float = 30_000) -> None:
    """Until every widget has rendered or failed (the signal exports wait on too)."""
    page.wait_for_function(READY, timeout=timeout)


def shot(page: Page, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def session_request(page: Page, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """An API call with the page's cookies and its CSRF token, as the app makes it."""
    csrf = next((c["value"] for c in page.context.cookies() if c["name"] == "heron_csrf"), "")
    origin = page.evaluate("location.origin")
    reply = page.request.fetch(
        origin + path,
        method=method,
        data=body,
        headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
    )
    try:
        payload = reply.json()
    except Exception:
        payload = None
    return reply.status, payload


def first_dashboard(page: Page, project_id: int) -> dict:
    status, dashboards = session_request(page, "GET", f"/api/projects/{project_id}/dashboards")
    assert status == 200, dashboards
    assert dashboards, "a new project gets the overview dashboard"
    return dashboards[0]
